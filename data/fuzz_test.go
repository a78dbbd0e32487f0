package data

import (
	"bytes"
	"errors"
	"image"
	"testing"

	"github.com/medqr/medqr/internal/testimg"
)

// Fuzz targets: every parser either returns a typed error and no result, or
// a result consistent with its own header. The limits keep each input
// cheap.

var fuzzOpts = LoadOptions{MaxPixels: 1 << 20, MaxBytes: 1 << 22}

func addSeeds(f *testing.F, globs ...string) {
	f.Helper()
	testimg.AddSeeds(f, 1<<18, globs...)
}

func checkDecoded(t *testing.T, b []byte, d *Decoded, err error) {
	if err != nil {
		if d != nil {
			t.Fatal("result returned with an error")
		}
		checkTypedError(t, err)
		return
	}
	r := d.Image.Bounds()
	if r.Dx() != d.Meta.Width || r.Dy() != d.Meta.Height || r.Min != (image.Point{}) {
		t.Fatalf("image %v, meta %dx%d", r, d.Meta.Width, d.Meta.Height)
	}
	g := d.Display()
	if g.Rect != r {
		t.Fatalf("display %v, image %v", g.Rect, r)
	}
	if d.Meta.Patient != nil {
		t.Fatal("patient fields without IncludePatient")
	}
	cfg, err := DecodeConfig(bytes.NewReader(b))
	if err == nil && (cfg.Width != d.Meta.Width || cfg.Height != d.Meta.Height) {
		t.Fatalf("DecodeConfig %dx%d, Decode %dx%d", cfg.Width, cfg.Height, d.Meta.Width, d.Meta.Height)
	}
}

// FuzzDecode runs the whole sniffing decoder (PNG, JPEG, DICOM).
func FuzzDecode(f *testing.F) {
	addSeeds(f, "samples/dicom/*.dcm", "samples/kermany_cxr_224/NORMAL/IM-011*.jpeg")
	f.Add(encodePNG(f, benchImage(7, 5)))
	f.Add(pngIHDR(1<<16, 1<<16))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := DecodeWith(bytes.NewReader(b), fuzzOpts)
		checkDecoded(t, b, d, err)
	})
}

// FuzzDICOM feeds DICOM-looking inputs: the seeds are the shipped DICOMs,
// and the "DICM" preamble is forced so the DICOM path always runs.
func FuzzDICOM(f *testing.F) {
	addSeeds(f, "samples/dicom/*.dcm")
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) >= 132 {
			b = bytes.Clone(b)
			copy(b[128:], "DICM")
		}
		d, err := decodeDICOM(b, fuzzOpts)
		checkDecoded(t, b, d, err)
	})
}

// FuzzNPZ checks the NPZ reader and the MedMNIST interpretation.
func FuzzNPZ(f *testing.F) {
	addSeeds(f, "testdata/*.npz")
	f.Fuzz(func(t *testing.T, b []byte) {
		arrays, err := ReadNPZ(b, 1<<20)
		if err != nil {
			if arrays != nil {
				t.Fatal("arrays returned with an error")
			}
			return
		}
		for _, a := range arrays {
			n := itemSize(a.DType)
			for _, d := range a.Shape {
				n *= d
			}
			if n != len(a.Data) {
				t.Fatalf("%s: shape %v dtype %s but %d bytes", a.Name, a.Shape, a.DType, len(a.Data))
			}
		}
		imgs, labels, err := npzImages(arrays)
		if err != nil {
			return
		}
		for name, a := range imgs {
			if l, ok := labels[name]; ok {
				for i := 0; i < a.Shape[0]; i++ {
					_ = l.Int(i)
				}
			}
		}
	})
}

// FuzzRLE checks the RLE Lossless frame decoder.
func FuzzRLE(f *testing.F) {
	f.Add([]byte{1, 0, 0, 0, 64, 0, 0, 0}, 1, 4)
	f.Fuzz(func(t *testing.T, b []byte, nseg, n int) {
		if nseg < 1 || nseg > 2 || n < 0 || n > 1<<16 {
			return
		}
		segs, err := decodeRLE(b, nseg, n)
		if err != nil {
			return
		}
		if len(segs) != nseg {
			t.Fatalf("%d segments, want %d", len(segs), nseg)
		}
		for _, s := range segs {
			if len(s) != n {
				t.Fatalf("segment of %d bytes, want %d", len(s), n)
			}
		}
	})
}

// checkTypedError fails t unless err is one of the errors the decoders
// promise: a *FormatError, an *UnsupportedError or ErrTooLarge.
func checkTypedError(t *testing.T, err error) {
	t.Helper()
	var fe *FormatError
	var ue *UnsupportedError
	if !errors.As(err, &fe) && !errors.As(err, &ue) && !errors.Is(err, ErrTooLarge) {
		t.Fatalf("untyped error %T: %v", err, err)
	}
}
