package iwave

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/medqr/medqr/internal/entropy"
)

// TestRDOChoose checks the rate-distortion choice on a fine band: a lone
// value under one step where significance is rare drops to zero, a lone
// value well over one step is kept, a value just under an integer in a busy
// neighbourhood rounds up, and the deadzone's choice is not kept blindly.
func TestRDOChoose(t *testing.T) {
	const w, h, levels = 32, 32, 3
	busy := map[[2]int]float64{{19, 19}: -4, {20, 19}: 5, {21, 19}: 4, {19, 20}: 6}
	tests := []struct {
		name  string
		set   map[[2]int]float64 // (x, y) in the plane -> value in steps
		probe [2]int
		want  int32
	}{
		{"lone under a step", map[[2]int]float64{{20, 20}: 0.8}, [2]int{20, 20}, 0},
		{"lone negative", map[[2]int]float64{{20, 20}: -0.75}, [2]int{20, 20}, 0},
		{"lone large", map[[2]int]float64{{20, 20}: 3.1}, [2]int{20, 20}, 3},
		{"busy, just under 3", merge(busy, [2]int{20, 20}, 2.9), [2]int{20, 20}, 3},
		{"busy, 1.5", merge(busy, [2]int{20, 20}, -1.5), [2]int{20, 20}, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wc := make([]float64, w*h)
			for k, v := range tc.set {
				wc[k[1]*w+k[0]] = v
			}
			p := newPlane(w, h, levels)
			p.quantise(wc, 1)
			p.rdo = rdoFor(wc, 1, rdoLambda)
			m := newModels(Version, priorsOf(Version))
			p.encode(entropy.NewEncoder(), m)
			if got := p.q[tc.probe[1]*w+tc.probe[0]]; got != tc.want {
				t.Errorf("q at %v = %d, want %d", tc.probe, got, tc.want)
			}
		})
	}
}

func merge(m map[[2]int]float64, k [2]int, v float64) map[[2]int]float64 {
	out := map[[2]int]float64{k: v}
	for kk, vv := range m {
		out[kk] = vv
	}
	return out
}

// TestRDOBeatsDeadzone: at the same budget the rate-distortion choices give
// a higher PSNR than the deadzone quantiser on a real X-ray (shipped
// weights, two QR budgets).
func TestRDOBeatsDeadzone(t *testing.T) {
	g := loadGray(t, "cxr256.png")
	c := Default()
	a, err := c.Analyze(g)
	if err != nil {
		t.Fatal(err)
	}
	for _, budget := range []int{2905, 1225} {
		var got [2]float64
		for i, on := range []bool{false, true} {
			enc := func(s int) []byte { return c.encodeStep(a, s, Version, priorsOf(Version), on) }
			p, _ := searchStep(enc, len(enc(0)), budget)
			if p == nil || len(p) > budget {
				t.Fatalf("budget %d: no payload fits", budget)
			}
			d, err := c.Decode(p)
			if err != nil {
				t.Fatal(err)
			}
			got[i] = psnr(g, d)
		}
		t.Logf("budget %d: deadzone %.3f dB, rate-distortion %.3f dB", budget, got[0], got[1])
		if got[1] <= got[0] {
			t.Errorf("budget %d: rate-distortion choices %.3f dB, deadzone %.3f dB", budget, got[1], got[0])
		}
	}
}

// TestBucketsMatchLoop: the context classes' lookup tables give bucket's
// answer for every value, inside the table, past it and negative.
func TestBucketsMatchLoop(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    *buckets
	}{{"nb", nbBuckets}, {"par3", parBuckets3}, {"mag3", magBuckets3}, {"unary3", unaryBuckets3}} {
		for _, v := range []int32{-1 << 31, -5, -1, 0, 1, 2, 39, 40, 41, 62, 63, 64, 65, 1000, maxMag * 6, 1<<31 - 1} {
			if got, want := tc.b.of(v), bucket(v, tc.b.edges); got != want {
				t.Errorf("%s: of(%d) = %d, bucket %d", tc.name, v, got, want)
			}
		}
		for v := range int32(200) {
			if got, want := tc.b.of(v), bucket(v, tc.b.edges); got != want {
				t.Errorf("%s: of(%d) = %d, bucket %d", tc.name, v, got, want)
			}
		}
	}
}

// TestEscapeBits: escapeBits equals the math.Log2 form it replaced for every
// escape an encoder can code (magnitudes up to maxMag) and a margin past it.
func TestEscapeBits(t *testing.T) {
	for n := 0; n <= 2*maxMag; n++ {
		if got, want := escapeBits(n), 2*math.Floor(math.Log2(float64(n+1)))+1; got != want {
			t.Fatalf("escapeBits(%d) = %v, want %v", n, got, want)
		}
	}
}

// TestMagBitsPair: magBitsPair returns the bits of two magBits calls, to
// the last bit, for every magnitude through the unary codes and into the
// escape, under several seeded sets of probabilities (every context of
// each version).
func TestMagBitsPair(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 2))
	for _, version := range []int{1, 2, 3} {
		for trial := range 4 {
			m := newModels(version, priorsOf(version))
			if trial > 0 {
				for _, p := range m.all() {
					p.InitP(uint16(1 + rng.IntN(1<<15-1)))
				}
			}
			for gt1 := 0; gt1 < len(m.gt1); gt1++ {
				for un := 0; un < len(m.unary); un += maxUnary {
					c := cx{gt1: gt1, unary: un}
					for a := int32(1); a <= 3*maxUnary; a++ {
						got0, got1 := magBitsPair(m, c, a)
						want0, want1 := magBits(m, c, a), magBits(m, c, a+1)
						if math.Float64bits(got0) != math.Float64bits(want0) || math.Float64bits(got1) != math.Float64bits(want1) {
							t.Fatalf("v%d trial %d %+v a=%d: magBitsPair = %v, %v; magBits %v, %v", version, trial, c, a, got0, got1, want0, want1)
						}
					}
				}
			}
		}
	}
}

// TestIabsSgn3: the branch-free iabs and sgn3 give the branching forms'
// answers (-v for negative v, 0/1/2 by sign) at the int32 extremes and
// over every value a decoded plane can hold (|q| <= 4*maxMag) and past it.
func TestIabsSgn3(t *testing.T) {
	check := func(v int32) {
		wantAbs, wantSgn := v, 1
		if v < 0 {
			wantAbs, wantSgn = -v, 0
		} else if v > 0 {
			wantSgn = 2
		}
		if got := iabs(v); got != wantAbs {
			t.Fatalf("iabs(%d) = %d, want %d", v, got, wantAbs)
		}
		if got := sgn3(v); got != wantSgn {
			t.Fatalf("sgn3(%d) = %d, want %d", v, got, wantSgn)
		}
	}
	for _, v := range []int32{math.MinInt32, math.MinInt32 + 1, math.MaxInt32 - 1, math.MaxInt32} {
		check(v)
	}
	for v := int32(-5 * maxMag); v <= 5*maxMag; v++ {
		check(v)
	}
}

// TestRDOLambdaAt: the lambda is rdoLambda at one code's steps, rises
// linearly over finer steps and stays at rdoLambdaFine below them.
func TestRDOLambdaAt(t *testing.T) {
	for _, tc := range []struct {
		s    int
		want float64
	}{
		{StepCount - 1, rdoLambda},
		{2240, rdoLambda},
		{rdoCoarseStep, rdoLambda},
		{(rdoCoarseStep + rdoFineStep) / 2, (rdoLambda + rdoLambdaFine) / 2},
		{rdoFineStep, rdoLambdaFine},
		{1024, rdoLambdaFine},
		{0, rdoLambdaFine},
	} {
		if got := rdoLambdaAt(tc.s); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("step index %d: lambda %v, want %v", tc.s, got, tc.want)
		}
	}
	for s := 1; s < StepCount; s++ {
		if rdoLambdaAt(s) > rdoLambdaAt(s-1) {
			t.Fatalf("lambda rises from step index %d to %d", s-1, s)
		}
	}
}

// TestWithLambda: a codec with a fixed lambda codes as the default codec
// where the default's lambda is that value (coarse steps), and differently
// where the default's lambda has risen (fine steps); lambda <= 0 keeps the
// default's by-step lambda.
func TestWithLambda(t *testing.T) {
	c := Default()
	a, err := c.Analyze(loadGray(t, "cxr256.png"))
	if err != nil {
		t.Fatal(err)
	}
	same := func(x, y *Codec, s int) bool { return string(x.EncodeStep(a, s)) == string(y.EncodeStep(a, s)) }
	fixed := c.WithLambda(rdoLambda)
	if !same(fixed, c, rdoCoarseStep) {
		t.Errorf("lambda %v at step index %d: payload differs from the default's", rdoLambda, rdoCoarseStep)
	}
	if same(fixed, c, rdoFineStep) {
		t.Errorf("lambda %v at step index %d: payload equals the default's (lambda %v)", rdoLambda, rdoFineStep, rdoLambdaFine)
	}
	if !same(c.WithLambda(rdoLambdaFine), c, rdoFineStep) {
		t.Errorf("lambda %v at step index %d: payload differs from the default's", rdoLambdaFine, rdoFineStep)
	}
	if !same(c.WithLambda(0), c, rdoFineStep) {
		t.Error("WithLambda(0) changed the payload")
	}
}
