package codec

import (
	"bytes"
	"image"
	"testing"

	"github.com/medqr/medqr/model/iwave"
)

// TestIWaveDecodeAfterEncode: Decode of a payload Encode just returned
// (the image kept from choosing the filter gain) gives the pixels a fresh
// codec decodes, and so do a second Decode, a payload changed after
// Encode, and the first of more encodes than the codec keeps.
func TestIWaveDecodeAfterEncode(t *testing.T) {
	full := loadPNG(t, "cxr256.png").(*image.Gray)
	var crops []*image.Gray
	for i := range 6 {
		crops = append(crops, full.SubImage(image.Rect(16*i, 32, 16*i+96, 96)).(*image.Gray))
	}
	iw := NewIWave(iwave.Default())
	fresh := func(p []byte) []byte {
		t.Helper()
		g, err := iwave.Default().Decode(p)
		if err != nil {
			t.Fatal(err)
		}
		return g.Pix
	}
	decode := func(p []byte) []byte {
		t.Helper()
		g, err := iw.Decode(p)
		if err != nil {
			t.Fatal(err)
		}
		return g.(*image.Gray).Pix
	}
	encode := func(g *image.Gray) []byte {
		t.Helper()
		p, err := iw.Encode(g, 600)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := encode(full)
	if iw.takeDecoded(p) == nil {
		t.Fatal("Encode kept no image for its payload")
	}
	p = encode(full)
	for _, name := range []string{"kept", "again"} {
		if !bytes.Equal(decode(p), fresh(p)) {
			t.Errorf("%s: other pixels than a fresh decode", name)
		}
	}
	// The kept image is handed out once: the caller may change it.
	p = encode(full)
	first, _ := iw.Decode(p)
	second, _ := iw.Decode(p)
	if first == second {
		t.Error("two Decodes of one payload returned the same image")
	}
	q := encode(full)
	q[len(q)/2] ^= 0x40
	if !bytes.Equal(decode(q), fresh(q)) {
		t.Error("payload changed after Encode: the kept image was returned")
	}
	var ps [][]byte
	for _, g := range crops {
		ps = append(ps, encode(g))
	}
	for i, p := range ps {
		if !bytes.Equal(decode(p), fresh(p)) {
			t.Errorf("crop %d: other pixels than a fresh decode", i)
		}
	}
}
