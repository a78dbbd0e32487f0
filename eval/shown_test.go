package eval

import (
	"errors"
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

func TestMeasureShown(t *testing.T) {
	noisy := func(g *image.Gray, seed uint64) *image.Gray {
		r := rand.New(rand.NewPCG(seed, 1))
		out := image.NewGray(g.Rect)
		for i, v := range g.Pix {
			out.Pix[i] = uint8(min(max(int(v)+r.IntN(9)-4, 0), 255))
		}
		return out
	}
	ramp := func(w, h int) *image.Gray {
		g := image.NewGray(image.Rect(0, 0, w, h))
		for i := range g.Pix {
			g.Pix[i] = uint8(i * 7)
		}
		return g
	}
	big, small := ramp(32, 24), ramp(8, 8)
	type want struct {
		exact   bool
		ssim    bool // SSIM measured (else SSIMErr wraps ErrTooSmall)
		wantErr bool
	}
	for _, c := range []struct {
		name     string
		ref, got image.Image
		want
	}{
		{"identical", big, ramp(32, 24), want{exact: true, ssim: true}},
		{"noisy", big, noisy(big, 1), want{ssim: true}},
		{"noisy, under the SSIM window", small, noisy(small, 2), want{}},
		{"other size", big, small, want{wantErr: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := MeasureShown(c.ref, c.got)
			if c.wantErr {
				if err == nil || s != (Shown{}) {
					t.Fatalf("MeasureShown = %+v, %v; want an error and nothing else", s, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.exact {
				if s != (Shown{Exact: true, PSNR: math.Inf(1), SSIM: 1}) {
					t.Fatalf("identical images: %+v", s)
				}
				return
			}
			if s.Exact || s.PSNR != math.Round(PSNR(c.ref, c.got)*100)/100 {
				t.Errorf("PSNR %v (exact %v), want %.2f", s.PSNR, s.Exact, PSNR(c.ref, c.got))
			}
			if !c.ssim {
				if !errors.Is(s.SSIMErr, ErrTooSmall) || s.SSIM != 0 {
					t.Errorf("SSIM %v, error %v; want 0 and ErrTooSmall", s.SSIM, s.SSIMErr)
				}
				return
			}
			if s.SSIMErr != nil || s.SSIM != math.Round(SSIM(c.ref, c.got)*10000)/10000 {
				t.Errorf("SSIM %v, error %v; want %.4f", s.SSIM, s.SSIMErr, SSIM(c.ref, c.got))
			}
		})
	}
}
