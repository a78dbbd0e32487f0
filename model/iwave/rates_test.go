package iwave

import (
	"testing"

	"github.com/medqr/medqr/internal/entropy"
)

// TestRates: version 6's models adapt at 1/16 and 1/64 and versions 1-5's
// at the coder's default rates; on a real X-ray, the same quantised
// coefficients (deadzone quantiser, no rate-distortion choices, so both
// versions code the same values, and version 6 without its deep splits,
// its deep bits all 0) at the step indices of the four QR budgets take
// fewer bytes as version 6 than as version 5, and the version-6 payload
// decodes to the pixels of the version-5 one.
func TestRates(t *testing.T) {
	for v := 1; v <= Version; v++ {
		want := entropy.DefaultRates
		if v >= 6 {
			want = entropy.Rates{Fast: 4, Slow: 6}
		}
		if got := newModels(v, priorsOf(v)).rates; got != want {
			t.Errorf("version %d: rates %+v, want %+v", v, got, want)
		}
	}
	c := Default()
	g := loadGray(t, "cxr256.png")
	a, err := c.Analyze(g)
	if err != nil {
		t.Fatal(err)
	}
	once := *a
	once.wd, once.comp = nil, nil
	for _, s := range []int{2000, 2150, 2300, 2400} {
		p5 := c.encodeStep(a, s, 5, priorsOf(5), false)
		p6 := c.encodeStep(&once, s, 6, priorsOf(6), false)
		if len(p6) >= len(p5) {
			t.Errorf("step %d: version 6 %d bytes, version 5 %d", s, len(p6), len(p5))
		}
		d := decodeAll(t, c, p5, p6)
		if string(d[0].Pix) != string(d[1].Pix) {
			t.Errorf("step %d: versions 5 and 6 of the same coefficients decode to different pixels", s)
		}
		t.Logf("step %d: version 5 %d bytes, version 6 %d", s, len(p5), len(p6))
	}
}
