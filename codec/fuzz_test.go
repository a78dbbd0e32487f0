package codec

import (
	"errors"
	"image"
	"testing"
)

// fuzzDecode checks a codec's Decode contract on arbitrary bytes: either an
// image and no error, or a *FormatError and no image; never a panic. A
// decoded image must survive its own round trip.
func fuzzDecode(f *testing.F, c Codec, seeds []image.Image) {
	for _, img := range seeds {
		p, err := c.Encode(img, 0)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(p)
		if len(p) > 12 {
			f.Add(p[:len(p)/2])
		}
	}
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, p []byte) {
		img, err := c.Decode(p)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T) is not a *FormatError", err, err)
			}
			if img != nil {
				t.Fatal("image returned with an error")
			}
			return
		}
		if img == nil {
			t.Fatal("nil image without an error")
		}
		p2, err := c.Encode(img, 0)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		img2, err := c.Decode(p2)
		if err != nil {
			t.Fatalf("decode of re-encoded payload: %v", err)
		}
		if img2.Bounds() != img.Bounds() {
			t.Fatalf("round trip changed bounds %v -> %v", img.Bounds(), img2.Bounds())
		}
	})
}

// fuzzSeeds are small images (a crop of the test X-ray among them): large
// seeds make mutated headers declare huge images and slow the fuzzer down.
func fuzzSeeds(f *testing.F) []image.Image {
	r := newRand()
	xray := loadPNG(f, "cxr256.png").(*image.Gray)
	return []image.Image{
		xray.SubImage(image.Rect(100, 100, 124, 116)),
		randGray(r, 1, 1, false),
		randGray(r, 13, 7, true),
		randGray16(r, 5, 9, 12),
	}
}

func FuzzLosslessDecode(f *testing.F) { fuzzDecode(f, Lossless{}, fuzzSeeds(f)) }

func FuzzJPEGDecode(f *testing.F) {
	seeds := fuzzSeeds(f)
	fuzzDecode(f, JPEG{}, seeds)
}
