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
// frames come out interleaved as the JPEG stores them: YCbCr (which GDCM
// labels YBR_FULL) or, for an Adobe RGB JPEG, RGB.
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
		// GDCM keeps JPEG colour in YCbCr (Photometric YBR_FULL): Y exact,
		// chroma upsampled here by replication where libjpeg interpolates.
		if f.spp != 3 {
			return nil, formatErr("dicom", nil, "colour JPEG frame for %d sample per pixel", f.spp)
		}
		for y := 0; y < f.rows; y++ {
			for x := 0; x < f.cols; x++ {
				i, yi, ci := 3*(y*f.cols+x), g.YOffset(x, y), g.COffset(x, y)
				putWords(out, i, int32(g.Y[yi]), f.bitsAlloc)
				putWords(out, i+1, int32(g.Cb[ci]), f.bitsAlloc)
				putWords(out, i+2, int32(g.Cr[ci]), f.bitsAlloc)
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
