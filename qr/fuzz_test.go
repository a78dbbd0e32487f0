package qr

import (
	"bytes"
	"image"
	"image/png"
	"path/filepath"
	"testing"

	"github.com/medqr/medqr/internal/testimg"
)

// maxFuzzPixels and maxFuzzPNGPixels keep each fuzz input fast (Decode tries
// every strategy on images without a symbol) while admitting every
// testdata PNG as a seed.
const (
	maxFuzzPixels    = 100 * 100
	maxFuzzPNGPixels = 450 * 450
)

// FuzzDecodePNG feeds arbitrary PNG files to Decode and DecodeAll: they may
// fail, but never panic, and never return bytes together with an error.
func FuzzDecodePNG(f *testing.F) {
	testimg.AddSeeds(f, 0, filepath.Join("testdata", "*.png"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if img, ok := fuzzPNG(data); ok {
			checkDecoders(t, img)
		}
	})
}

// FuzzDecodeGray feeds arbitrary gray pixels (width w, rows from pix) to
// Decode and DecodeAll.
func FuzzDecodeGray(f *testing.F) {
	small, err := Encode([]byte("fuzz"), L, 4)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(uint16(small.Rect.Dx()), small.Pix)
	f.Add(uint16(3), []byte{0, 255, 0, 255, 0, 255})
	f.Add(uint16(0), []byte{})
	f.Fuzz(func(t *testing.T, w uint16, pix []byte) {
		if w == 0 || int(w) > len(pix) || len(pix) > maxFuzzPixels {
			return
		}
		h := len(pix) / int(w)
		g := image.NewGray(image.Rect(0, 0, int(w), h))
		copy(g.Pix, pix)
		checkDecoders(t, g)
	})
}

func checkDecoders(t *testing.T, img image.Image) {
	if b, err := Decode(img); err != nil && b != nil {
		t.Fatalf("Decode returned %d bytes and error %v", len(b), err)
	}
	if bs, err := DecodeAll(img); err != nil && bs != nil {
		t.Fatalf("DecodeAll returned %d payloads and error %v", len(bs), err)
	} else if err == nil && len(bs) == 0 {
		t.Fatal("DecodeAll returned no payloads and no error")
	}
}

// fuzzPNG decodes a fuzz input if it is a PNG of at most maxFuzzPNGPixels.
func fuzzPNG(data []byte) (image.Image, bool) {
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width*cfg.Height > maxFuzzPNGPixels {
		return nil, false
	}
	img, err := png.Decode(bytes.NewReader(data))
	return img, err == nil
}
