package iwave

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func randomLiftTensors(cfg LiftConfig, seed uint64, sd float64) map[string][]float32 {
	rng := rand.New(rand.NewPCG(seed, 5))
	m := map[string][]float32{}
	for i, n := range LiftTensorNames() {
		v := make([]float32, prod(cfg.dims(i)))
		for j := range v {
			v[j] = float32(rng.NormFloat64() * sd)
		}
		m[n] = v
	}
	return m
}

// liftTensors returns l's weights as EncodeLift takes them.
func liftTensors(l *Lift) map[string][]float32 {
	m := map[string][]float32{}
	for i, n := range LiftTensorNames() {
		v := make([]float32, len(l.W[i/3][i%3]))
		for j, x := range l.W[i/3][i%3] {
			v[j] = float32(x)
		}
		m[n] = v
	}
	return m
}

func randomLift(t testing.TB, cfg LiftConfig, sd float64) (*Lift, []byte) {
	t.Helper()
	b, err := EncodeLift(cfg, randomLiftTensors(cfg, 3, sd))
	if err != nil {
		t.Fatal(err)
	}
	l, err := DecodeLift(b)
	if err != nil {
		t.Fatal(err)
	}
	return l, b
}

// TestLearnedLiftInverse: the learned predict steps are additive couplings,
// so InverseLift(ForwardLift(x)) recovers x up to float rounding with any
// weights, including large random ones, for every size and depth; and the
// steps do change the coefficients (the test would pass vacuously
// otherwise).
func TestLearnedLiftInverse(t *testing.T) {
	lf, _ := randomLift(t, LiftConfig{Hidden: 8, Leak: 0.1}, 0.5)
	eachPlane(rand.New(rand.NewPCG(1, 3)), func(w, h, levels int, x []float64) {
		plain := append([]float64(nil), x...)
		Forward(plain, w, h, levels)
		y := append([]float64(nil), x...)
		ForwardLift(y, w, h, levels, lf)
		changed := false
		for i := range y {
			changed = changed || math.Abs(y[i]-plain[i]) > 1e-6
		}
		if levels > 0 && w >= 2 && h >= 2 && !changed {
			t.Fatalf("%dx%d, %d levels: learned steps left the coefficients unchanged", w, h, levels)
		}
		InverseLift(y, w, h, levels, lf)
		for i := range x {
			if math.Abs(x[i]-y[i]) > 1e-8 {
				t.Fatalf("%dx%d, %d levels: sample %d: got %v, want %v", w, h, levels, i, y[i], x[i])
			}
		}
	})
}

// TestLiftHomogeneous: the networks have no biases, so a constant offset
// leaves every learned prediction unchanged and a contrast gain a > 0
// scales it by a.
func TestLiftHomogeneous(t *testing.T) {
	lf, _ := randomLift(t, LiftConfig{Hidden: 6, Leak: 0.2}, 0.5)
	rng := rand.New(rand.NewPCG(4, 4))
	var f, g [LiftFeatures]float64
	for k := range f {
		f[k] = rng.NormFloat64() * 10
		g[k] = 2.5 * f[k]
	}
	for n := 0; n < liftNets; n++ {
		a, b := lf.Eval(n, &f), lf.Eval(n, &g)
		if math.Abs(2.5*a-b) > 1e-9*math.Max(1, math.Abs(b)) {
			t.Errorf("net %d: g(2.5 f) = %v, 2.5 g(f) = %v", n, b, 2.5*a)
		}
	}
	x := make([]float64, 64)
	for i := range x {
		x[i] = rng.Float64() * 100
	}
	geom := LiftGeom{Base: 0, DBase: 4, SA: 1, SC: 8, NA: 4, ND: 4, C0: 0, C1: 8}
	var f1, f2 [LiftFeatures]float64
	geom.Features(x, 2, 3, &f1)
	for i := range x {
		x[i] += 77
	}
	geom.Features(x, 2, 3, &f2)
	for k := range f1 {
		if math.Abs(f1[k]-f2[k]) > 1e-9 {
			t.Fatalf("feature %d changed under an offset: %v vs %v", k, f1[k], f2[k])
		}
	}
}

func TestLiftWeightsRoundTripAndErrors(t *testing.T) {
	cfg := LiftConfig{Hidden: 4, Leak: 0.1}
	lf, b := randomLift(t, cfg, 0.1)
	if b2, err := EncodeLift(cfg, liftTensors(lf)); err != nil || string(b2) != string(b) {
		t.Fatalf("re-encoding differs (err %v)", err)
	}
	mut := func(f func([]byte) []byte) []byte { return f(append([]byte(nil), b...)) }
	for name, bad := range map[string][]byte{
		"empty":       nil,
		"magic":       mut(func(x []byte) []byte { x[0] = 'X'; return x }),
		"post-filter": randomFilter(t, FilterConfig{Channels: 3, Layers: 2, Leak: 0.1}),
		"checksum":    mut(func(x []byte) []byte { x[40] ^= 1; return x }),
		"truncated":   b[:len(b)-40],
		"version":     mut(func(x []byte) []byte { x[8] = 2; return resum(x) }),
		"trailing":    resum(append(append([]byte(nil), b[:len(b)-32]...), 0)),
	} {
		_, err := DecodeLift(bad)
		if !errors.Is(err, ErrWeights) || !strings.Contains(err.Error(), "make train-iwave") {
			t.Errorf("%s: err %v, want ErrWeights naming make train-iwave", name, err)
		}
	}
}

// TestLiftedCodecID: payloads carry a model id that changes with either
// weights file, and a codec refuses payloads of another model.
func TestLiftedCodecID(t *testing.T) {
	l1, _ := randomLift(t, LiftConfig{Hidden: 4, Leak: 0.1}, 0.01)
	b2, _ := EncodeLift(LiftConfig{Hidden: 4, Leak: 0.1}, randomLiftTensors(LiftConfig{Hidden: 4, Leak: 0.1}, 8, 0.01))
	l2, err := DecodeLift(b2)
	if err != nil {
		t.Fatal(err)
	}
	pf, err := DecodeWeights(randomFilter(t, FilterConfig{Channels: 3, Layers: 2, Leak: 0.1}))
	if err != nil {
		t.Fatal(err)
	}
	ids := map[[2]byte]string{}
	for name, c := range map[string]*Codec{"plain": New(nil), "pf": New(pf), "l1": NewLifted(l1, nil), "l2": NewLifted(l2, nil), "l1pf": NewLifted(l1, pf)} {
		if prev, ok := ids[c.ID()]; ok {
			t.Fatalf("%s and %s share model id %x", name, prev, c.ID())
		}
		ids[c.ID()] = name
	}
	g := loadGray(t, "cxr256.png")
	a, b := NewLifted(l1, nil), NewLifted(l2, nil)
	p, _ := roundTrip(t, a, g, 2283)
	if _, err := b.Decode(p); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "model") {
		t.Fatalf("decoding another model's payload: err %v", err)
	}
}

// BenchmarkForwardLift256 times the 5-level transform of a 256x256 image
// with learned predict steps of the shipped width (random weights); compare
// BenchmarkForward256.
func BenchmarkForwardLift256(b *testing.B) {
	lf, _ := randomLift(b, LiftConfig{Hidden: 32, Leak: 0.1}, 0.1)
	benchForward(b, lf)
}

func BenchmarkForward256(b *testing.B) { benchForward(b, nil) }

func benchForward(b *testing.B, lf *Lift) {
	g := loadGray(b, "cxr256.png")
	x := make([]float64, len(g.Pix))
	for b.Loop() {
		for i, v := range g.Pix {
			x[i] = float64(v)
		}
		ForwardLift(x, 256, 256, Levels(256, 256), lf)
	}
}

// FuzzDecodeLift: any byte string either loads as lifting weights that
// re-encode into a file that loads with the same architecture, or fails
// with ErrWeights; never a panic.
func FuzzDecodeLift(f *testing.F) {
	_, b := randomLift(f, LiftConfig{Hidden: 2, Leak: 0.1}, 0.1)
	f.Add(b)
	f.Add(b[:len(b)/2])
	f.Add([]byte(liftMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := DecodeLift(b)
		if err != nil {
			if !errors.Is(err, ErrWeights) {
				t.Fatalf("error %v does not wrap ErrWeights", err)
			}
			return
		}
		b2, err := EncodeLift(l.Config, liftTensors(l))
		if err != nil {
			t.Fatal(err)
		}
		if l2, err := DecodeLift(b2); err != nil || l2.Config != l.Config {
			t.Fatalf("re-encoded weights do not load: %v", err)
		}
	})
}

// TestEvalBatchMatchesEval: the batched network (used by the transform)
// and the scalar one (used by training's checks) agree.
func TestEvalBatchMatchesEval(t *testing.T) {
	lf, _ := randomLift(t, LiftConfig{Hidden: 7, Leak: 0.1}, 0.4)
	rng := rand.New(rand.NewPCG(5, 5))
	const rows = 33
	b := newLiftBatch(7, rows)
	for i := range b.f {
		b.f[i] = rng.NormFloat64() * 20
	}
	for n := 0; n < liftNets; n++ {
		out := append([]float64(nil), lf.evalBatch(n, b, rows)...)
		for r := 0; r < rows; r++ {
			want := lf.Eval(n, (*[LiftFeatures]float64)(b.f[r*LiftFeatures:]))
			if math.Abs(out[r]-want) > 1e-9*math.Max(1, math.Abs(want)) {
				t.Fatalf("net %d row %d: batch %v, scalar %v", n, r, out[r], want)
			}
		}
	}
}
