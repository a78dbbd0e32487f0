package eval

import (
	"bufio"
	"errors"
	"image"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/medqr/medqr/internal/testimg"
)

func readPNG(t testing.TB, path string) image.Image { return testimg.ReadPNG(t, path) }

type fidelityGolden struct {
	a, b               string
	psnr, ssim, msssim float64
}

func readGolden(t *testing.T) []fidelityGolden {
	t.Helper()
	f, err := os.Open("testdata/fidelity/golden.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []fidelityGolden
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		fs := strings.Split(line, "\t")
		if len(fs) != 5 {
			t.Fatalf("golden.tsv: bad line %q", line)
		}
		g := fidelityGolden{a: fs[0], b: fs[1]}
		for i, p := range []*float64{&g.psnr, &g.ssim, &g.msssim} {
			if *p, err = strconv.ParseFloat(fs[2+i], 64); err != nil {
				t.Fatalf("golden.tsv: %v", err)
			}
		}
		out = append(out, g)
	}
	if len(out) < 5 {
		t.Fatalf("golden.tsv: only %d rows", len(out))
	}
	return out
}

func approx(got, want, tol float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	if math.IsInf(want, 0) {
		return got == want
	}
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

// TestFidelityGolden checks PSNR, SSIM and MS-SSIM against scikit-image values
// stored by testdata/fidelity/skimage_ref.py.
func TestFidelityGolden(t *testing.T) {
	for _, g := range readGolden(t) {
		t.Run(g.a+"_"+g.b, func(t *testing.T) {
			a := readPNG(t, filepath.Join("testdata/fidelity", g.a))
			b := readPNG(t, filepath.Join("testdata/fidelity", g.b))
			if got := PSNR(a, b); !approx(got, g.psnr, 1e-10) {
				t.Errorf("PSNR = %.12g, scikit-image %.12g", got, g.psnr)
			}
			if got := SSIM(a, b); !approx(got, g.ssim, 1e-9) {
				t.Errorf("SSIM = %.12g, scikit-image %.12g", got, g.ssim)
			}
			if got := MSSSIM(a, b); !approx(got, g.msssim, 1e-9) {
				t.Errorf("MS-SSIM = %.12g, reference %.12g", got, g.msssim)
			}
			// symmetric in its arguments
			if s1, s2 := SSIM(a, b), SSIM(b, a); !approx(s1, s2, 1e-12) {
				t.Errorf("SSIM not symmetric: %v vs %v", s1, s2)
			}
		})
	}
}

// TestFidelitySkimageLive re-measures the fixtures with scikit-image, so a
// stale golden file or a changed reference shows up.
func TestFidelitySkimageLive(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import skimage, scipy, PIL").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("python3-skimage is required in CI: %v", err)
		}
		t.Skipf("python3 with scikit-image not available: %v", err)
	}
	golden := readGolden(t)
	args := []string{"skimage_ref.py", "measure"}
	for _, g := range golden {
		args = append(args, g.a, g.b)
	}
	cmd := exec.Command(py, args...)
	cmd.Dir = "testdata/fidelity"
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("skimage_ref.py measure: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(golden) {
		t.Fatalf("%d result lines for %d pairs: %q", len(lines), len(golden), out)
	}
	for k, g := range golden {
		fs := strings.Fields(lines[k])
		if len(fs) != 3 {
			t.Fatalf("unexpected output %q", lines[k])
		}
		a := readPNG(t, filepath.Join("testdata/fidelity", g.a))
		b := readPNG(t, filepath.Join("testdata/fidelity", g.b))
		want := []float64{PSNR(a, b), SSIM(a, b), MSSSIM(a, b)}
		for i, f := range fs {
			v, err := strconv.ParseFloat(f, 64)
			if err != nil {
				v = math.NaN() // python prints "nan"
			}
			if !approx(v, want[i], 1e-9) {
				t.Errorf("%s/%s metric %d: python %v, Go %v", g.a, g.b, i, v, want[i])
			}
		}
	}
}

func constGray(w, h int, v uint8) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = v
	}
	return g
}

// TestFidelityHand checks values worked out by hand.
func TestFidelityHand(t *testing.T) {
	a := constGray(2, 2, 0)
	b := constGray(2, 2, 0)
	b.Pix[3] = 255
	// MSE = 255^2/4, PSNR = 10 log10(4)
	if got := PSNR(a, b); !approx(got, 6.020599913279624, 1e-12) {
		t.Errorf("PSNR = %v, want 10 log10 4", got)
	}
	if got := PSNR(a, a); !math.IsInf(got, 1) {
		t.Errorf("PSNR of identical images = %v, want +Inf", got)
	}
	// Constant 11x11 images 100 and 110: variances 0, so SSIM is the
	// luminance term (2*100*110 + C1)/(100^2 + 110^2 + C1), C1 = 2.55^2.
	if got := SSIM(constGray(11, 11, 100), constGray(11, 11, 110)); !approx(got, 0.9954764440915066, 1e-12) {
		t.Errorf("SSIM = %v, want 0.99547644409", got)
	}
	x := readPNG(t, "testdata/fidelity/xray.png")
	if got := SSIM(x, x); !approx(got, 1, 1e-12) {
		t.Errorf("SSIM(x, x) = %v", got)
	}
	if got := MSSSIM(x, x); !approx(got, 1, 1e-12) {
		t.Errorf("MS-SSIM(x, x) = %v", got)
	}
	// 16-bit uses L = 65535: one sample off by 65535 in a 2x2 image.
	a16 := image.NewGray16(image.Rect(0, 0, 2, 2))
	b16 := image.NewGray16(image.Rect(0, 0, 2, 2))
	b16.Pix[6], b16.Pix[7] = 0xff, 0xff
	if got := PSNR(a16, b16); !approx(got, 6.020599913279624, 1e-12) {
		t.Errorf("16-bit PSNR = %v", got)
	}
	// A sub-image with a non-zero origin reads the right pixels.
	big := constGray(20, 20, 7)
	big.Pix[5*20+5] = 200
	sub := big.SubImage(image.Rect(5, 5, 7, 7))
	ref := constGray(2, 2, 7)
	ref.Pix[0] = 200
	if got := PSNR(sub, ref); !math.IsInf(got, 1) {
		t.Errorf("sub-image PSNR = %v, want +Inf", got)
	}
}

func TestFidelityErrors(t *testing.T) {
	tests := []struct {
		name string
		a, b image.Image
		want error
	}{
		{"size", constGray(12, 12, 0), constGray(12, 13, 0), ErrMismatch},
		{"depth", constGray(12, 12, 0), image.NewGray16(image.Rect(0, 0, 12, 12)), ErrMismatch},
		{"ssim small", constGray(10, 30, 0), constGray(10, 30, 0), ErrTooSmall},
		{"empty", constGray(0, 0, 0), constGray(0, 0, 0), ErrTooSmall},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := SSIME(tt.a, tt.b)
			if !errors.Is(err, tt.want) {
				t.Errorf("SSIME error = %v, want %v", err, tt.want)
			}
			if v := SSIM(tt.a, tt.b); !math.IsNaN(v) {
				t.Errorf("SSIM = %v, want NaN", v)
			}
			if v := MSSSIM(tt.a, tt.b); !math.IsNaN(v) {
				t.Errorf("MSSSIM = %v, want NaN", v)
			}
		})
	}
	if _, err := MSSSIME(constGray(175, 300, 0), constGray(175, 300, 0)); !errors.Is(err, ErrTooSmall) {
		t.Errorf("MS-SSIM 175 wide: %v, want ErrTooSmall", err)
	}
	if v, err := MSSSIME(constGray(176, 176, 3), constGray(176, 176, 3)); err != nil || !approx(v, 1, 1e-12) {
		t.Errorf("MS-SSIM 176: %v, %v", v, err)
	}
}

func BenchmarkSSIM256(b *testing.B)   { benchFidelity(b, SSIM) }
func BenchmarkMSSSIM256(b *testing.B) { benchFidelity(b, MSSSIM) }

// benchFidelity times metric on the 256x256 test X-ray and its noisy copy.
func benchFidelity(b *testing.B, metric func(a, b image.Image) float64) {
	x := readPNG(b, "testdata/fidelity/xray.png")
	y := readPNG(b, "testdata/fidelity/xray_noise10.png")
	b.ResetTimer()
	for range b.N {
		metric(x, y)
	}
}
