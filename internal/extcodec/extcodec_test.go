package extcodec

import (
	"image"
	"os"
	"path/filepath"
	"testing"

	xdraw "golang.org/x/image/draw"

	"github.com/medqr/medqr/internal/testimg"
)

func sample(t testing.TB) *image.Gray {
	t.Helper()
	src := testimg.ReadImage(t, filepath.Join("..", "..", "data", "samples", "kermany_cxr_224", "NORMAL", "IM-0115-0001.jpeg"))
	g := image.NewGray(image.Rect(0, 0, 256, 256))
	xdraw.CatmullRom.Scale(g, g.Bounds(), src, src.Bounds(), xdraw.Src, nil)
	return g
}

func psnr(a, b *image.Gray) float64 { return testimg.PSNR(a, b) }

// TestFitRespectsBudget checks every available tool lands at or under the
// budget, near it (bisection found the largest quality), and reconstructs
// an image close to the input.
func TestFitRespectsBudget(t *testing.T) {
	img := sample(t)
	for _, tool := range Tools() {
		t.Run(tool.Name, func(t *testing.T) {
			if err := tool.Available(); err != nil {
				if os.Getenv("CI") != "" {
					t.Fatal(err)
				}
				t.Skip(err)
			}
			const budget = 2925
			r, err := tool.Fit(img, budget)
			if err != nil {
				t.Fatal(err)
			}
			if r.Bytes > budget {
				t.Fatalf("%d bytes > budget %d", r.Bytes, budget)
			}
			if r.Bytes < budget*2/3 {
				t.Errorf("%d bytes: bisection stopped far below budget %d", r.Bytes, budget)
			}
			if p := psnr(img, r.Image); p < 25 || p > 60 {
				t.Errorf("PSNR %.2f dB outside the plausible range for %d bytes", p, budget)
			}
			t.Logf("%s: q=%d %d bytes PSNR %.2f dB", tool.Name, r.Quality, r.Bytes, psnr(img, r.Image))
		})
	}
}

func TestFitTooSmallBudget(t *testing.T) {
	tool := libjpeg()
	if err := tool.Available(); err != nil {
		t.Skip(err)
	}
	if _, err := tool.Fit(sample(t), 10); err == nil {
		t.Fatal("a 10-byte budget fitted")
	}
}

func TestParsePGM(t *testing.T) {
	g, err := parsePGM([]byte("P5\n2 1\n255\n\x01\xff"))
	if err != nil {
		t.Fatal(err)
	}
	if g.Pix[0] != 1 || g.Pix[1] != 255 {
		t.Fatalf("pixels %v", g.Pix)
	}
	g, err = parsePGM([]byte("P5\n#OpenJPEG-2.5.0\n2 1\n255\n\x07\x08"))
	if err != nil || g.Pix[0] != 7 || g.Pix[1] != 8 {
		t.Fatalf("PGM with a comment: %v %v", g, err)
	}
	for _, bad := range []string{"P5\n2 1\n255\n\x01", "P5\n2 1\n65535\n\x01\x02\x03\x04", "P5\n-1 1\n255\n", "P6"} {
		if _, err := parsePGM([]byte(bad)); err == nil {
			t.Errorf("parsePGM(%q) accepted", bad)
		}
	}
}
