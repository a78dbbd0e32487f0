package codec

import (
	"bytes"
	"errors"
	"github.com/medqr/medqr/internal/cputime"
	"github.com/medqr/medqr/internal/testimg"
	"image"
	"image/png"
	"math/rand/v2"
	"path/filepath"
	"testing"
)

func loadPNG(t testing.TB, name string) image.Image {
	t.Helper()
	return testimg.ReadPNG(t, filepath.Join("testdata", name))
}

func TestRegistry(t *testing.T) {
	for _, tc := range []struct {
		name string
		id   uint8
	}{{"lossless", IDLossless}, {"jpeg", IDJPEG}} {
		c, err := ByName(tc.name)
		if err != nil {
			t.Fatalf("ByName(%q): %v", tc.name, err)
		}
		if c.ID() != tc.id || c.Name() != tc.name {
			t.Errorf("ByName(%q) = id %d name %q", tc.name, c.ID(), c.Name())
		}
		c2, err := Lookup(tc.id)
		if err != nil || c2.Name() != tc.name {
			t.Errorf("Lookup(%d) = %v, %v", tc.id, c2, err)
		}
	}
	if _, err := Lookup(200); !errors.Is(err, ErrUnknown) {
		t.Errorf("Lookup(200) err = %v, want ErrUnknown", err)
	}
	if _, err := ByName("webp"); !errors.Is(err, ErrUnknown) {
		t.Errorf("ByName(webp) err = %v, want ErrUnknown", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("duplicate Register did not panic")
		}
	}()
	Register(JPEG{})
}

func randGray(r *rand.Rand, w, h int, smooth bool) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		if smooth && i > 0 {
			g.Pix[i] = byte(int(g.Pix[i-1]) + r.IntN(5) - 2)
		} else {
			g.Pix[i] = byte(r.IntN(256))
		}
	}
	return g
}

func randGray16(r *rand.Rand, w, h, bits int) *image.Gray16 {
	g := image.NewGray16(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		v := r.IntN(1 << bits)
		g.Pix[2*i], g.Pix[2*i+1] = byte(v>>8), byte(v)
	}
	return g
}

func TestLosslessRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	extremes := image.NewGray16(image.Rect(0, 0, 7, 5))
	for i := range extremes.Pix {
		if (i/2)%2 == 0 {
			extremes.Pix[i] = 0xFF
		}
	}
	offset := image.NewGray(image.Rect(3, 4, 20, 11)) // non-zero origin
	for i := range offset.Pix {
		offset.Pix[i] = byte(i * 7)
	}
	tests := []struct {
		name string
		img  image.Image
	}{
		{"1x1 gray", randGray(r, 1, 1, false)},
		{"1x1 gray16", randGray16(r, 1, 1, 16)},
		{"1xN", randGray(r, 1, 37, false)},
		{"Nx1", randGray(r, 41, 1, false)},
		{"odd noise", randGray(r, 33, 17, false)},
		{"odd smooth", randGray(r, 65, 31, true)},
		{"zeros", image.NewGray(image.Rect(0, 0, 16, 16))},
		{"gray16 full range", randGray16(r, 19, 23, 16)},
		{"gray16 12-bit", randGray16(r, 31, 9, 12)},
		{"gray16 extremes", extremes},
		{"zeros16", image.NewGray16(image.Rect(0, 0, 5, 3))},
		{"offset origin", offset},
		{"xray 8-bit", loadPNG(t, "cxr256.png")},
		{"xray 16-bit", loadPNG(t, "cr16_256.png")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Lossless{}.Encode(tc.img, 0)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Lossless{}.Decode(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := testimg.SamePixels(tc.img, got); err != nil {
				t.Fatal(err)
			}
			if _, err := (Lossless{}).Encode(tc.img, len(p)); err != nil {
				t.Errorf("budget == size: %v", err)
			}
			if _, err := (Lossless{}).Encode(tc.img, len(p)-1); !errors.Is(err, ErrBudget) {
				t.Errorf("budget size-1: err = %v, want ErrBudget", err)
			}
		})
	}
}

// TestLosslessSize measures the lossless codec against PNG on the 8- and
// 16-bit test X-rays and fails if it stops beating PNG by a clear margin.
func TestLosslessSize(t *testing.T) {
	for _, name := range []string{"cxr256.png", "cr16_256.png"} {
		img := loadPNG(t, name)
		p, err := Lossless{}.Encode(img, 0)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		enc := png.Encoder{CompressionLevel: png.BestCompression}
		if err := enc.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		n := img.Bounds().Dx() * img.Bounds().Dy()
		t.Logf("%s: lossless %d bytes (%.3f bpp), Go PNG best %d bytes (%.3f bpp), ratio %.3f",
			name, len(p), 8*float64(len(p))/float64(n), buf.Len(), 8*float64(buf.Len())/float64(n), float64(len(p))/float64(buf.Len()))
		if float64(len(p)) > 0.9*float64(buf.Len()) {
			t.Errorf("%s: lossless %d bytes is not 10%% smaller than PNG %d", name, len(p), buf.Len())
		}
	}
}

func newRand() *rand.Rand { return rand.New(rand.NewPCG(7, 11)) }

func BenchmarkLosslessEncode(b *testing.B) { benchEncode(b, Lossless{}, 0) }
func BenchmarkLosslessDecode(b *testing.B) { benchDecode(b, Lossless{}, 0) }
func BenchmarkJPEGEncode(b *testing.B)     { benchEncode(b, JPEG{}, 2331-48) }
func BenchmarkJPEGDecode(b *testing.B)     { benchDecode(b, JPEG{}, 2331-48) }

// benchEncode times c encoding cxr256.png into budget bytes.
func benchEncode(b *testing.B, c Codec, budget int) {
	img := loadPNG(b, "cxr256.png")
	start := cputime.Now()
	for b.Loop() {
		if _, err := c.Encode(img, budget); err != nil {
			b.Fatal(err)
		}
	}
	cputime.ReportMillis(b, start)
}

// benchDecode times c decoding its payload of cxr256.png in budget bytes.
func benchDecode(b *testing.B, c Codec, budget int) {
	p, err := c.Encode(loadPNG(b, "cxr256.png"), budget)
	if err != nil {
		b.Fatal(err)
	}
	start := cputime.Now()
	for b.Loop() {
		if _, err := c.Decode(p); err != nil {
			b.Fatal(err)
		}
	}
	cputime.ReportMillis(b, start)
}
