package data

import (
	"bytes"
	"errors"
	"image"
	"image/color"

	"github.com/medqr/medqr/internal/jpegx"
)

// jpegFrameRaw decodes a frame of the JPEG family (baseline, extended 8-
// and 12-bit, lossless process 14 with any selection value) with
// internal/jpegx, to little-endian words of f.bitsAlloc bits. Colour
// frames come out interleaved as GDCM writes them: YCbCr at full
// resolution (labelled YBR_FULL) or, for an Adobe RGB JPEG, RGB.
func jpegFrameRaw(data []byte, f frameSpec) ([]byte, error) {
	fi, err := jpegx.Probe(data)
	if err != nil {
		return nil, jpegErr(err, f)
	}
	if err := f.check("JPEG", fi.Width, fi.Height, fi.Comps, fi.Precision); err != nil {
		return nil, err
	}
	n := f.rows * f.cols
	out := make([]byte, n*f.spp*f.bitsAlloc/8)
	if fi.SOF == 0xC3 || fi.Precision != 8 {
		s, err := jpegx.DecodeSamples(data, f.maxPixels)
		if err != nil {
			return nil, jpegErr(err, f)
		}
		for i, v := range s.Pix {
			putWords(out, i, int32(v), f.bitsAlloc)
		}
		return out, nil
	}
	img, err := jpegx.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, jpegErr(err, f)
	}
	switch g := img.(type) {
	case *image.Gray:
		for y := 0; y < f.rows; y++ {
			row := g.Pix[g.PixOffset(0, y):]
			for x := 0; x < f.cols; x++ {
				putWords(out, y*f.cols+x, int32(row[x]), f.bitsAlloc)
			}
		}
	case *image.YCbCr:
		// GDCM keeps JPEG colour in YCbCr (Photometric YBR_FULL), with
		// libjpeg's upsampling of the chroma planes.
		if f.spp != 3 {
			return nil, formatErr("dicom", nil, "colour JPEG frame for %d sample per pixel", f.spp)
		}
		cb, cr := upsampleChroma(g, g.Cb), upsampleChroma(g, g.Cr)
		for y := 0; y < f.rows; y++ {
			for x := 0; x < f.cols; x++ {
				i, k := 3*(y*f.cols+x), y*f.cols+x
				putWords(out, i, int32(g.Y[g.YOffset(x, y)]), f.bitsAlloc)
				putWords(out, i+1, int32(cb[k]), f.bitsAlloc)
				putWords(out, i+2, int32(cr[k]), f.bitsAlloc)
			}
		}
	default:
		if f.spp != 3 {
			return nil, formatErr("dicom", nil, "JPEG frame of type %T for %d samples per pixel", img, f.spp)
		}
		for y := 0; y < f.rows; y++ {
			for x := 0; x < f.cols; x++ {
				c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
				i := 3 * (y*f.cols + x)
				putWords(out, i, int32(c.R), f.bitsAlloc)
				putWords(out, i+1, int32(c.G), f.bitsAlloc)
				putWords(out, i+2, int32(c.B), f.bitsAlloc)
			}
		}
	}
	return out, nil
}

// jpegErr turns a jpegx error into an UnsupportedError naming the
// transfer syntax, or a FormatError.
func jpegErr(err error, f frameSpec) error {
	var ue jpegx.UnsupportedError
	if errors.As(err, &ue) {
		return &UnsupportedError{Format: "dicom", TransferSyntax: f.syntax, UID: f.uid, Feature: err.Error()}
	}
	return formatErr("dicom", err, "invalid JPEG frame")
}

// upsampleChroma returns a chroma plane of g at full resolution as IJG
// libjpeg 6b does by default (jdsample.c "fancy" upsampling): 4:2:2 by the
// triangle filter h2v1_fancy_upsample, 4:2:0 by h2v2_fancy_upsample with
// the rows above the first and below the last replicated (jdmainct.c);
// other ratios, and planes 2 samples wide or less, by replication
// (h2v1_upsample and friends).
func upsampleChroma(g *image.YCbCr, plane []uint8) []uint8 {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	out := make([]uint8, w*h)
	base := g.COffset(g.Rect.Min.X, g.Rect.Min.Y)
	cw, ch := (w+1)/2, (h+1)/2
	at := func(cx, cy int) int { return int(plane[base+cy*g.CStride+cx]) }
	fancy := cw > 2
	switch {
	case g.SubsampleRatio == image.YCbCrSubsampleRatio422 && fancy:
		for y := 0; y < h; y++ {
			row := out[y*w:]
			put := func(x, v int) {
				if x < w {
					row[x] = uint8(v)
				}
			}
			v := at(0, y)
			put(0, v)
			put(1, (v*3+at(1, y)+2)>>2)
			for cx := 1; cx < cw-1; cx++ {
				v := at(cx, y) * 3
				put(2*cx, (v+at(cx-1, y)+1)>>2)
				put(2*cx+1, (v+at(cx+1, y)+2)>>2)
			}
			v = at(cw-1, y)
			put(2*cw-2, (v*3+at(cw-2, y)+1)>>2)
			put(2*cw-1, v)
		}
	case g.SubsampleRatio == image.YCbCrSubsampleRatio420 && fancy:
		for y := 0; y < h; y++ {
			cy := y / 2
			near := cy - 1 // even output rows lean on the row above
			if y%2 == 1 {
				near = cy + 1
			}
			near = max(0, min(near, ch-1))
			row := out[y*w:]
			put := func(x, v int) {
				if x < w {
					row[x] = uint8(v)
				}
			}
			sum := func(cx int) int { return at(cx, cy)*3 + at(cx, near) }
			this, next := sum(0), sum(1)
			put(0, (this*4+8)>>4)
			put(1, (this*3+next+7)>>4)
			last := this
			this = next
			for cx := 1; cx < cw-1; cx++ {
				next = sum(cx + 1)
				put(2*cx, (this*3+last+8)>>4)
				put(2*cx+1, (this*3+next+7)>>4)
				last, this = this, next
			}
			put(2*cw-2, (this*3+last+8)>>4)
			put(2*cw-1, (this*4+7)>>4)
		}
	default:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				out[y*w+x] = plane[g.COffset(g.Rect.Min.X+x, g.Rect.Min.Y+y)]
			}
		}
	}
	return out
}
