package codec

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"testing"

	"github.com/medqr/medqr/internal/testimg"
)

func psnr8(a, b *image.Gray) float64 { return testimg.PSNR(a, b) }

// TestJPEGBudgets checks, for budgets around every QR level's capacity and
// below, that the payload fits and decodes to the input size; that a
// full-size payload holds exactly the pixels a standard decoder shows for
// Go's full JPEG stream at the largest quality that fits; and that a reduced
// one beats the full-size candidate's PSNR.
func TestJPEGBudgets(t *testing.T) {
	layouts := map[byte]int{}
	// Version-40 byte capacities (L, M, Q, H) less a generous container
	// allowance, and budgets below what quality 1 needs at full size.
	qrBudgets := []int{2953 - 60, 2331 - 60, 1663 - 60, 1273 - 60, 900, 400}
	testJPEGBudgets(t, loadPNG(t, "cxr256.png").(*image.Gray), qrBudgets, layouts)
	testJPEGBudgets(t, to8bit(loadPNG(t, "cr16_256.png").(*image.Gray16)), qrBudgets, layouts)
	// One-pixel stripes: any reduction destroys them, so full size wins.
	stripes := image.NewGray(image.Rect(0, 0, 64, 48))
	for i := range stripes.Pix {
		stripes.Pix[i] = byte(255 * (i % 2))
	}
	testJPEGBudgets(t, stripes, []int{3000, 1500}, layouts)
	if _, err := (JPEG{}).Encode(loadPNG(t, "cxr256.png"), 12); !errors.Is(err, ErrBudget) {
		t.Errorf("budget 12: err = %v, want ErrBudget", err)
	}
	if layouts[jpegFull] == 0 || layouts[jpegReduced] == 0 {
		t.Errorf("layouts used: %v, want both", layouts)
	}
}

func testJPEGBudgets(t *testing.T, img *image.Gray, budgets []int, layouts map[byte]int) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	for _, budget := range budgets {
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
		if got.Bounds() != img.Bounds() {
			t.Fatalf("budget %d: decoded %v", budget, got.Bounds())
		}
		gotPSNR := psnr8(img, got.(*image.Gray))
		layouts[p[0]]++
		full, fullQ, _ := jpegFit(img, w, h, budget)
		switch p[0] {
		case jpegFull:
			var std bytes.Buffer
			if err := jpeg.Encode(&std, img, &jpeg.Options{Quality: q}); err != nil {
				t.Fatal(err)
			}
			want, err := jpeg.Decode(&std)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.(*image.Gray).Pix, want.(*image.Gray).Pix) {
				t.Fatalf("budget %d: pixels differ from image/jpeg's decoding at quality %d", budget, q)
			}
			if q < 100 {
				if p2, _ := jpegPayload(img, w, h, q+1); len(p2) <= budget {
					t.Errorf("budget %d: quality %d chosen but %d also fits (%d bytes)", budget, q, q+1, len(p2))
				}
			}
		case jpegReduced:
			if full != nil {
				f, _ := JPEG{}.Decode(full)
				if fp := psnr8(img, f.(*image.Gray)); fp > gotPSNR {
					t.Errorf("budget %d: reduced %.2f dB < full size %.2f dB", budget, gotPSNR, fp)
				}
			} else {
				t.Logf("budget %d: full size needs %d bytes at quality 1", budget, fullQ)
			}
		}
		t.Logf("budget %4d: layout %d quality %2d, %4d bytes, PSNR %.2f dB", budget, p[0], q, len(p), gotPSNR)
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
		{"reduced, short", []byte{jpegReduced, 50, 0, 10, 0, 10, 0, 5}},
		{"reduced, larger", []byte{jpegReduced, 50, 0, 10, 0, 10, 0, 20, 0, 5, 1, 2}},
		{"reduced, same size", []byte{jpegReduced, 50, 0, 10, 0, 10, 0, 10, 0, 10, 1, 2}},
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

// to8bit stretches a 16-bit image's range to 8 bits.
func to8bit(g16 *image.Gray16) *image.Gray {
	var hi int
	for i := 0; i < len(g16.Pix); i += 2 {
		hi = max(hi, int(g16.Pix[i])<<8|int(g16.Pix[i+1]))
	}
	g := image.NewGray(g16.Rect)
	for i := range g.Pix {
		v := int(g16.Pix[2*i])<<8 | int(g16.Pix[2*i+1])
		g.Pix[i] = byte((v*255 + hi/2) / max(hi, 1))
	}
	return g
}
