package codec

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"math"
	"testing"
)

func psnr8(a, b *image.Gray) float64 {
	var se float64
	for i := range a.Pix {
		d := float64(a.Pix[i]) - float64(b.Pix[i])
		se += d * d
	}
	mse := se / float64(len(a.Pix))
	return 10 * math.Log10(255*255/mse)
}

// TestJPEGBudgets checks, for budgets around every QR level's capacity,
// that the payload fits, decodes to the same pixels as a standard decoder
// reading Go's full JPEG stream, and uses the largest quality that fits.
func TestJPEGBudgets(t *testing.T) {
	img := loadPNG(t, "cxr256.png").(*image.Gray)
	// Version-40 byte capacities (L, M, Q, H) less a generous container
	// allowance, and two small budgets.
	for _, budget := range []int{2953 - 60, 2331 - 60, 1663 - 60, 1273 - 60, 1100} {
		p, err := JPEG{}.Encode(img, budget)
		if err != nil {
			t.Fatalf("budget %d: %v", budget, err)
		}
		if len(p) > budget {
			t.Fatalf("budget %d: payload %d bytes", budget, len(p))
		}
		q, err := JPEGQuality(p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := JPEG{}.Decode(p)
		if err != nil {
			t.Fatalf("budget %d: decode: %v", budget, err)
		}
		var full bytes.Buffer
		if err := jpeg.Encode(&full, img, &jpeg.Options{Quality: q}); err != nil {
			t.Fatal(err)
		}
		fullLen := full.Len()
		want, err := jpeg.Decode(&full)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.(*image.Gray).Pix, want.(*image.Gray).Pix) {
			t.Fatalf("budget %d: pixels differ from image/jpeg's decoding at quality %d", budget, q)
		}
		if q < 100 {
			if p2, _ := jpegPayload(img, q+1); len(p2) <= budget {
				t.Errorf("budget %d: quality %d chosen but %d also fits (%d bytes)", budget, q, q+1, len(p2))
			}
		}
		t.Logf("budget %4d: quality %2d, %4d bytes (full JFIF %d), PSNR %.2f dB", budget, q, len(p), fullLen, psnr8(img, got.(*image.Gray)))
	}
	if _, err := (JPEG{}).Encode(img, 100); !errors.Is(err, ErrBudget) {
		t.Errorf("budget 100: err = %v, want ErrBudget", err)
	}
}

func TestJPEGShapes(t *testing.T) {
	r := newRand()
	for _, sz := range []image.Point{{1, 1}, {7, 3}, {17, 33}, {256, 256}} {
		img := randGray(r, sz.X, sz.Y, true)
		p, err := JPEG{}.Encode(img, 0)
		if err != nil {
			t.Fatalf("%v: %v", sz, err)
		}
		got, err := JPEG{}.Decode(p)
		if err != nil {
			t.Fatalf("%v: %v", sz, err)
		}
		if got.Bounds().Size() != sz {
			t.Fatalf("%v: decoded %v", sz, got.Bounds())
		}
	}
}

func TestJPEGDecodeErrors(t *testing.T) {
	img := loadPNG(t, "cxr256.png")
	good, err := JPEG{}.Encode(img, 2000)
	if err != nil {
		t.Fatal(err)
	}
	mut := func(f func(p []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	tests := []struct {
		name string
		p    []byte
	}{
		{"empty", nil},
		{"short header", good[:5]},
		{"bad version", mut(func(p []byte) []byte { p[0] = 9; return p })},
		{"quality 0", mut(func(p []byte) []byte { p[1] = 0; return p })},
		{"quality 101", mut(func(p []byte) []byte { p[1] = 101; return p })},
		{"zero width", mut(func(p []byte) []byte { p[2], p[3] = 0, 0; return p })},
		{"huge", mut(func(p []byte) []byte { p[2], p[3], p[4], p[5] = 0xFF, 0xFF, 0xFF, 0xFF; return p })},
		{"no scan", good[:6]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img, err := JPEG{}.Decode(tc.p)
			var fe *FormatError
			if !errors.As(err, &fe) || img != nil {
				t.Fatalf("Decode = %v, %v; want nil, *FormatError", img, err)
			}
		})
	}
}
