package qr

import (
	"bytes"
	"image"
	"image/png"
	"math/rand/v2"
	"testing"
)

func TestPNG(t *testing.T) {
	p := []byte("png round trip \x00\x01\xfe\xff")
	file, err := EncodePNG(p, Q, 5)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if cfg, _ := png.DecodeConfig(bytes.NewReader(file)); file[24] != 1 || cfg.Width != img.Bounds().Dx() {
		t.Errorf("symbol PNG has bit depth %d, want 1", file[24])
	}
	want, _ := Encode(p, Q, 5)
	for y := 0; y < want.Rect.Dy(); y++ {
		for x := 0; x < want.Rect.Dx(); x++ {
			r, _, _, _ := img.At(x, y).RGBA()
			if uint8(r>>8) != want.GrayAt(x, y).Y {
				t.Fatalf("pixel (%d,%d) differs", x, y)
			}
		}
	}
	got, err := Decode(img)
	if err != nil || !bytes.Equal(got, p) {
		t.Fatalf("Decode(PNG) = %q, %v", got, err)
	}
	// Gray levels other than 0 and 255 keep an 8-bit gray PNG.
	g := image.NewGray(image.Rect(0, 0, 3, 1))
	copy(g.Pix, []uint8{0, 128, 255})
	file, err = PNG(g)
	if err != nil {
		t.Fatal(err)
	}
	back, err := png.Decode(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if bg, ok := back.(*image.Gray); !ok || !bytes.Equal(bg.Pix, g.Pix) {
		t.Errorf("gray PNG round trip: %T %v", back, back)
	}
	if _, err := EncodePNG(nil, Q, 5); err == nil {
		t.Error("EncodePNG(empty): no error")
	}
}

// TestBilevelPNG: 1-bit PNGs of black-and-white images of awkward sizes
// (widths that are not a multiple of 8, repeated and changing rows, a
// sub-image) decode to the same pixels; other gray levels are refused.
func TestBilevelPNG(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 7))
	for _, sz := range [][2]int{{1, 1}, {7, 3}, {8, 2}, {9, 9}, {13, 40}, {740, 4}} {
		g := image.NewGray(image.Rect(0, 0, sz[0]+2, sz[1]+1))
		for i := range g.Pix {
			g.Pix[i] = 0xff * uint8(rng.IntN(2))
		}
		if sz[1] > 3 { // a row repeated, as a module's pixel rows are
			copy(g.Pix[2*g.Stride:3*g.Stride], g.Pix[g.Stride:2*g.Stride])
		}
		sub := g.SubImage(image.Rect(1, 1, sz[0]+1, sz[1]+1)).(*image.Gray)
		file, ok := bilevelPNG(sub)
		if !ok {
			t.Fatalf("%v: refused", sz)
		}
		back, err := png.Decode(bytes.NewReader(file))
		if err != nil {
			t.Fatalf("%v: %v", sz, err)
		}
		if back.Bounds().Size() != sub.Rect.Size() {
			t.Fatalf("%v: decoded %v", sz, back.Bounds())
		}
		for y := 0; y < sz[1]; y++ {
			for x := 0; x < sz[0]; x++ {
				if r, _, _, _ := back.At(x, y).RGBA(); uint8(r>>8) != sub.GrayAt(x+1, y+1).Y {
					t.Fatalf("%v: pixel (%d, %d) differs", sz, x, y)
				}
			}
		}
		sub.Pix[0] = 7
		if _, ok := bilevelPNG(sub); ok {
			t.Fatalf("%v: a gray pixel was not refused", sz)
		}
	}
}
