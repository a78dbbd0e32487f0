package iwave

import (
	"errors"
	"image"
	"testing"
)

// bisectStep is the plain bisection searchStep replaces: the smallest
// fitting step index by halving (lo never fits, hi fits).
func bisectStep(encode func(s int) []byte, budget int) []byte {
	hi := StepCount - 1
	best := encode(hi)
	if len(best) > budget {
		return nil
	}
	lo := 0
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if p := encode(mid); len(p) <= budget {
			hi, best = mid, p
		} else {
			lo = mid
		}
	}
	return best
}

// TestSearchStepMatchesBisection checks the interpolating search picks
// about the step bisection picks on an X-ray, at the four QR budgets and
// far from them, with fewer encodes. The payload size is not strictly
// monotone in the step (the encoder's rate-distortion choices move with
// it), so the two may stop a few step indices apart (one index changes the
// step by 0.27 %); at budgets of a few dozen bytes, where the size wavers
// by a byte over some 60 indices (40 or 41 bytes for the X-ray), the
// search may also stop at a finer fitting step further from bisection's,
// a better answer, but never more than maxStepGap indices coarser; on a
// flat image, far from monotone, they may pick different steps, but every
// pick fits.
func TestSearchStepMatchesBisection(t *testing.T) {
	const maxStepGap = 4
	c := Default()
	imgs := map[string]*image.Gray{"xray": loadGray(t, "cxr256.png")}
	flat := image.NewGray(image.Rect(0, 0, 64, 40))
	for i := range flat.Pix {
		flat.Pix[i] = uint8(100 + i%7)
	}
	imgs["flat"] = flat
	var fast, slow int
	for name, g := range imgs {
		a, err := c.Analyze(g)
		if err != nil {
			t.Fatal(err)
		}
		fine := len(c.EncodeStep(a, 0))
		for _, budget := range []int{HeaderSize + 1, 40, 200, 1225, 1615, 2283, 2905, 9000, fine - 1} {
			var n int
			enc := func(s int) []byte { n++; return c.EncodeStep(a, s) }
			got, _ := searchStep(enc, fine, budget)
			fast += n
			n = 0
			want := bisectStep(enc, budget)
			slow += n
			if len(got) > budget || (got == nil) != (want == nil) {
				t.Errorf("%s, budget %d: search returned %d bytes", name, budget, len(got))
			}
			if name == "xray" && got != nil && want != nil {
				hg, _ := ParseHeader(got)
				hw, _ := ParseHeader(want)
				if d := hg.Step - hw.Step; d > maxStepGap || (d < -maxStepGap && budget > 64) {
					t.Errorf("%s, budget %d: search picked step index %d, bisection %d", name, budget, hg.Step, hw.Step)
				}
			}
		}
	}
	t.Logf("encodes: %d interpolating, %d bisecting", fast, slow)
	if fast >= slow {
		t.Errorf("the search used %d encodes, bisection %d", fast, slow)
	}
	if _, err := c.Encode(flat, HeaderSize-1); !errors.Is(err, ErrBudget) {
		t.Errorf("a %d-byte budget: %v, want ErrBudget", HeaderSize-1, err)
	}
}
