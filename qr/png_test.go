package qr

import (
	"bytes"
	"image"
	"image/png"
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
	if _, ok := img.(*image.Paletted); !ok {
		t.Errorf("symbol PNG decodes to %T, want a 1-bit *image.Paletted", img)
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
