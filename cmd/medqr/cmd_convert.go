package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"

	"github.com/medqr/medqr/data"
	"github.com/medqr/medqr/internal/pngchunk"
	"github.com/medqr/medqr/store"
)

const convertUsage = `Usage:
    medqr convert [--frame N] [--display | --raw] [--force] -o OUT IN.dcm

Write a DICOM frame's pixels to a PNG or a raw file.

The researcher's way out of DICOM, for every transfer syntax medqr decodes
(native, deflate, big endian, RLE, JPEG baseline/extended 8- and 12-bit,
JPEG lossless, JPEG-LS, JPEG 2000). By default OUT is a gray PNG of the
stored pixel values (8-bit when Bits Allocated is 8, else 16-bit; signed
values offset by 2^(BitsStored-1); MONOCHROME1 not inverted), and a tEXt
chunk in the PNG states the mapping. --display writes the windowed 8-bit
image that "medqr encrypt" encrypts. --raw writes the frame's stored values
as little-endian samples of Bits Allocated width, exactly what "gdcmconv
--raw" stores as Pixel Data. Colour images are reduced to luminance (a
notice says so), except with --raw. OUT is created with mode 0600 (it holds
medical data) and never overwritten without --force. Patient attributes are
never written.

Flags:
    -o, --output OUT   output file (required)
    --frame N          frame of a multi-frame file, from 1 (default 1)
    --display          the windowed 8-bit rendering instead of stored values
    --raw              the raw little-endian samples instead of a PNG
    --force            overwrite OUT if it exists

Examples:
    medqr convert -o chest.png chest.dcm
    medqr convert --display -o chest-8bit.png chest.dcm
    medqr convert --raw --frame 3 -o frame3.raw cine.dcm
`

func init() {
	register(&command{name: "convert", usage: convertUsage, run: withFlags(oneArg("convert needs exactly one input file"), runConvert),
		summary: "write a DICOM frame's pixels to PNG (stored or windowed) or raw samples"})
}

type convertOptions struct {
	output              string
	frame               int
	display, raw, force bool
}

func (o *convertOptions) flags(fs *flag.FlagSet) {
	aliasVar(fs, &o.output, "", "o", "output")
	fs.IntVar(&o.frame, "frame", 1, "")
	fs.BoolVar(&o.display, "display", false, "")
	fs.BoolVar(&o.raw, "raw", false, "")
	fs.BoolVar(&o.force, "force", false, "")
}

func runConvert(_ context.Context, e *env, o convertOptions, args []string) error {
	in := args[0]
	switch {
	case o.output == "":
		return usageError{"convert needs -o OUT"}
	case o.display && o.raw:
		return usageError{"--display and --raw exclude each other"}
	case o.frame < 1:
		return usageError{fmt.Sprintf("--frame %d: frames count from 1", o.frame)}
	}
	if sameFile(in, o.output) {
		return withHint(fmt.Errorf("output %s is the input file", o.output), "choose another -o: medqr never writes over an input, even with --force")
	}
	opts := data.LoadOptions{Frame: o.frame}
	var out []byte
	var what string
	if o.raw {
		r, err := data.LoadRaw(in, opts)
		if err != nil {
			return decodeHint(err, in)
		}
		out = r.Data
		what = fmt.Sprintf("frame %d of %d, %dx%d x %d sample(s), %d-bit little-endian words", r.Meta.Frame, r.Meta.Frames,
			r.Meta.Width, r.Meta.Height, r.SamplesPerPixel, r.Meta.BitsAllocated)
	} else {
		d, err := data.LoadWith(in, opts)
		if err != nil {
			return decodeHint(err, in)
		}
		if d.Meta.Format != "dicom" {
			return withHint(fmt.Errorf("%s is a %s file, not DICOM", in, d.Meta.Format), "convert reads DICOM files; PNG and JPEG need no conversion")
		}
		if d.Meta.Notice != "" {
			warningf(e, "%s: %s", in, d.Meta.Notice)
		}
		var img image.Image
		var text string
		if o.display {
			img = d.Display()
			m := d.Meta
			text = fmt.Sprintf("medqr display rendering of frame %d: VOI window center %g width %g (%s) on modality values (slope %g, intercept %g), MONOCHROME2 sense",
				m.Frame, m.Window.Center, m.Window.Width, m.WindowSource, m.RescaleSlope, m.RescaleIntercept)
		} else {
			img, text = storedImage(d)
		}
		what = fmt.Sprintf("frame %d of %d, %dx%d", d.Meta.Frame, d.Meta.Frames, d.Meta.Width, d.Meta.Height)
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			return fmt.Errorf("failed to encode PNG: %w", err)
		}
		out = withPNGText(buf.Bytes(), "Comment", text)
	}
	if err := store.WriteFileAtomic(o.output, out, 0o600, o.force); err != nil {
		if errors.Is(err, store.ErrExists) {
			return outputExists(o.output)
		}
		return fmt.Errorf("failed to write %s: %w", o.output, err)
	}
	fmt.Fprintf(e.stdout, "wrote %s (%d bytes): %s\n", o.output, len(out), what)
	return nil
}

// decodeHint attaches the next step to a decoding error.
func decodeHint(err error, in string) error {
	var ue *data.UnsupportedError
	var fe *data.FrameError
	switch {
	case errors.As(err, &fe):
		return withHint(err, "pass --frame between 1 and %d", fe.Frames)
	case errors.As(err, &ue) && ue.UID != "" && data.CodecLibrary(ue.UID) == "" && ue.Feature != "":
		return withHint(err, "install the decoder named above and rebuild, or decompress with: gdcmconv --raw %s out.dcm", in)
	case errors.As(err, &ue):
		return withHint(err, "decompress it with GDCM first (gdcmconv --raw %s out.dcm) and convert out.dcm", in)
	case errors.Is(err, data.ErrTooLarge):
		return withHint(err, "the image is larger than medqr's pixel limit; crop or downsample it with another tool")
	}
	return withHint(err, "the file is damaged or not DICOM: check it with dcmdump %s (DCMTK) or gdcmconv --raw %s out.dcm (GDCM)", in, in)
}

// storedImage returns the stored values of d as gray samples (signed values
// offset by 2^(BitsStored-1), MONOCHROME1 not inverted) and the text that
// states the mapping.
func storedImage(d *data.Decoded) (image.Image, string) {
	m := d.Meta
	b := d.Image.Bounds()
	offset := 0
	if m.Signed {
		offset = 1 << (m.BitDepth - 1)
	}
	sample := func(x, y int) int {
		var q int
		switch g := d.Image.(type) {
		case *image.Gray:
			q = int(g.GrayAt(x, y).Y)
		case *image.Gray16:
			q = int(g.Gray16At(x, y).Y)
		}
		return d.StoredValue(q) + offset
	}
	text := fmt.Sprintf("DICOM stored pixel values of frame %d (Bits Stored %d, %s), not windowed", m.Frame, m.BitDepth, m.Photometric)
	if m.Signed {
		text += fmt.Sprintf("; signed: stored value = sample - %d", offset)
	}
	if m.Notice != "" {
		text += "; " + m.Notice
	}
	if m.BitsAllocated == 8 && m.BitDepth <= 8 {
		g := image.NewGray(b)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				g.Pix[g.PixOffset(x, y)] = uint8(sample(x, y))
			}
		}
		return g, text
	}
	g := image.NewGray16(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			i := g.PixOffset(x, y)
			v := sample(x, y)
			g.Pix[i], g.Pix[i+1] = uint8(v>>8), uint8(v)
		}
	}
	return g, text
}

// withPNGText inserts a tEXt chunk (PNG spec 11.3.4.3) after IHDR.
func withPNGText(p []byte, keyword, text string) []byte {
	out := make([]byte, 0, len(p)+12+len(keyword)+1+len(text))
	out = append(out, p[:pngchunk.IHDREnd]...)
	out = pngchunk.Append(out, "tEXt", pngchunk.Text(keyword, text))
	return append(out, p[pngchunk.IHDREnd:]...)
}
