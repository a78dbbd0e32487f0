package codec

import (
	"errors"
	"image"
	"testing"
)

func learnedOrSkip(t testing.TB) *Learned {
	t.Helper()
	l, err := DefaultLearned()
	if err != nil {
		t.Fatalf("embedded weights: %v", err)
	}
	return l
}

// qrBudgets are the version-40 capacities minus a 60-byte seal overhead.
var qrBudgets = map[string]int{"L": 2953 - 60, "M": 2331 - 60, "Q": 1663 - 60, "H": 1273 - 60}

func TestLearnedBudgets(t *testing.T) {
	l := learnedOrSkip(t)
	img := loadPNG(t, "cxr256.png")
	prev := 0.0
	for _, lv := range []string{"H", "Q", "M", "L"} {
		budget := qrBudgets[lv]
		p, err := l.Encode(img, budget)
		if err != nil {
			t.Fatalf("level %s: %v", lv, err)
		}
		if len(p) > budget {
			t.Fatalf("level %s: %d bytes > budget %d", lv, len(p), budget)
		}
		dec, err := l.Decode(p)
		if err != nil {
			t.Fatal(err)
		}
		if dec.Bounds() != image.Rect(0, 0, 256, 256) {
			t.Fatalf("decoded bounds %v", dec.Bounds())
		}
		psnr := psnr8(toGray(img), toGray(dec))
		t.Logf("level %s: %d bytes (budget %d), gain step %d, PSNR %.2f dB", lv, len(p), budget, p[5], psnr)
		if psnr < 22 {
			t.Fatalf("level %s: PSNR %.2f dB is not a reconstruction", lv, psnr)
		}
		if psnr < prev-0.3 {
			t.Fatalf("level %s: PSNR %.2f dB below the smaller budget's %.2f", lv, psnr, prev)
		}
		prev = psnr
	}
	// the payload is deterministic
	a, _ := l.Encode(img, qrBudgets["M"])
	b, _ := l.Encode(img, qrBudgets["M"])
	if string(a) != string(b) {
		t.Fatal("encoding is not deterministic")
	}
}

func TestLearnedShapes(t *testing.T) {
	l := learnedOrSkip(t)
	r := newRand()
	xray := loadPNG(t, "cxr256.png").(*image.Gray)
	for _, img := range []image.Image{
		xray.SubImage(image.Rect(10, 20, 110, 57)), // odd size, non-zero origin
		randGray(r, 1, 1, false),
		randGray(r, 17, 33, true),
		loadPNG(t, "cr16_256.png"), // 16-bit input is coded from its high byte
	} {
		p, err := l.Encode(img, 0)
		if err != nil {
			t.Fatal(err)
		}
		dec, err := l.Decode(p)
		if err != nil {
			t.Fatal(err)
		}
		b := img.Bounds()
		if dec.Bounds() != image.Rect(0, 0, b.Dx(), b.Dy()) {
			t.Fatalf("%v came back as %v", b, dec.Bounds())
		}
	}
}

func TestLearnedErrors(t *testing.T) {
	l := learnedOrSkip(t)
	img := loadPNG(t, "cxr256.png")
	if _, err := l.Encode(img, 20); !errors.Is(err, ErrBudget) {
		t.Fatalf("20-byte budget: %v, want ErrBudget", err)
	}
	if _, err := l.Encode(image.NewGray(image.Rect(0, 0, 2048, 16)), 0); err == nil {
		t.Fatal("oversized image accepted")
	}
	good, err := l.Encode(img, qrBudgets["H"])
	if err != nil {
		t.Fatal(err)
	}
	mod := func(f func(p []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	cases := map[string][]byte{
		"empty":     {},
		"header":    good[:learnedHeaderSize-1],
		"version":   mod(func(p []byte) []byte { p[0] = 9; return p }),
		"zero dims": mod(func(p []byte) []byte { p[1], p[2] = 0, 0; return p }),
		"huge dims": mod(func(p []byte) []byte { p[1], p[2] = 0xFF, 0xFF; return p }),
		"model id":  mod(func(p []byte) []byte { p[6] ^= 0xFF; return p }),
	}
	for name, p := range cases {
		t.Run(name, func(t *testing.T) {
			dec, err := l.Decode(p)
			var fe *FormatError
			if !errors.As(err, &fe) || dec != nil {
				t.Fatalf("got (%v, %v), want a *FormatError and no image", dec, err)
			}
		})
	}
}

func FuzzLearnedDecode(f *testing.F) {
	l, err := DefaultLearned()
	if err != nil {
		f.Fatal(err)
	}
	fuzzDecode(f, l, fuzzSeeds(f))
}

func BenchmarkLearnedEncode(b *testing.B) { benchEncode(b, learnedOrSkip(b), qrBudgets["M"]) }
func BenchmarkLearnedDecode(b *testing.B) { benchDecode(b, learnedOrSkip(b), qrBudgets["M"]) }
