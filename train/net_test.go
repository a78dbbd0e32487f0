package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/medqr/medqr/model"
)

func tinyConfig() model.Config {
	return model.Config{Enc: [3]int{4, 6, 8}, Latent: 4, Dec: [3]int{8, 4, 4}, RevBlocks: 1, Slope: 0.1, GainMin: 1, GainMax: 4, Linear: true}
}

func randomInput(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.Float64() - 0.5)
	}
	return x
}

// TestGraphMatchesInference runs the gorgonia training graph and the pure-Go
// inference of package model on the same weights and input: the latent and
// the reconstruction agree to float32 tolerance.
func TestGraphMatchesInference(t *testing.T) {
	for _, down := range []int{16, 8} {
		cfg := tinyConfig()
		cfg.Down = down
		t.Run(fmt.Sprint("down", down), func(t *testing.T) { graphMatches(t, cfg) })
	}
}

func graphMatches(t *testing.T, cfg model.Config) {
	const size = 48
	params, rng := jittered(cfg, 7, 1)
	n, err := NewNet(cfg, 1, size, LossWeights{MSE: 1}, params)
	if err != nil {
		t.Fatal(err)
	}
	m := NewMachine(n)
	defer m.Close()
	x := randomInput(rng, size*size)
	lh := size / cfg.Factor()
	b := Batch{X: x, Gain: 1, Noise: make([]float32, cfg.Latent*lh*lh), Mask: make([]float32, cfg.Latent*lh*lh)}
	for i := range b.Mask {
		b.Mask[i] = 1
	}
	if _, err := m.Run(b); err != nil {
		t.Fatal(err)
	}
	gy, gx := m.Outputs()

	mdl, err := model.New(cfg, params)
	if err != nil {
		t.Fatal(err)
	}
	in := model.NewTensor(1, size, size)
	copy(in.Data, x)
	y, err := mdl.Analyze(in)
	if err != nil {
		t.Fatal(err)
	}
	compare(t, "latent", gy, y.Data, 1e-4)
	xh, err := mdl.Synthesize(y)
	if err != nil {
		t.Fatal(err)
	}
	compare(t, "reconstruction", gx, xh.Data, 1e-4)
}

func compare(t *testing.T, what string, a, b []float32, tol float64) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d vs %d values", what, len(a), len(b))
	}
	var worst, scale float64
	for i := range a {
		worst = math.Max(worst, math.Abs(float64(a[i]-b[i])))
		scale = math.Max(scale, math.Abs(float64(a[i])))
	}
	if worst > tol*math.Max(1, scale) {
		t.Fatalf("%s: max difference %.3g (scale %.3g) exceeds %.g", what, worst, scale, tol)
	}
	t.Logf("%s: max difference %.3g over %d values", what, worst, len(a))
}

// TestGradientsFiniteDifference checks gorgonia's gradients of the full
// training loss against central differences for the largest-gradient entry
// of every parameter tensor.
func TestGradientsFiniteDifference(t *testing.T) {
	for _, tc := range []struct {
		name string
		w    LossWeights
	}{
		{"mse", LossWeights{MSE: 1}},
		{"ssim", LossWeights{SSIM: 1}},
		{"rate", LossWeights{MSE: 1, Rate: 0.01}},
		{"decor", LossWeights{MSE: 1, Decor: 0.1}},
	} {
		t.Run(tc.name, func(t *testing.T) { gradCheck(t, tc.w) })
	}
}

var gcBatch = 2

func gradCheck(t *testing.T, w LossWeights) {
	cfg := tinyConfig()
	const size = 64
	params, rng := jittered(cfg, 3, 5)
	n, err := NewNet(cfg, gcBatch, size, w, params)
	if err != nil {
		t.Fatal(err)
	}
	m := NewMachine(n)
	defer m.Close()
	x := randomInput(rng, gcBatch*size*size)
	b := n.NewBatchAux(rng, x, 1, 4, 0.1)
	if _, err := m.Run(b); err != nil {
		t.Fatal(err)
	}
	gs, err := m.Grads()
	if err != nil {
		t.Fatal(err)
	}
	grads := make([][]float32, len(gs))
	for i := range gs {
		grads[i] = append([]float32(nil), gs[i]...)
	}
	live := m.ParamSlices()
	loss := func() float64 {
		r, err := m.Run(b)
		if err != nil {
			t.Fatal(err)
		}
		return r.Loss
	}
	// directional derivative of each tensor along its own gradient: the
	// central difference along u = g/|g| must equal |g| (robust to float32
	// rounding, unlike single-entry differences)
	for i, p := range live {
		var norm float64
		for _, v := range grads[i] {
			norm += float64(v) * float64(v)
		}
		norm = math.Sqrt(norm)
		if norm < 1e-4 {
			continue
		}
		orig := append([]float32(nil), p...)
		const eps = 1e-3
		set := func(sign float64) {
			for k := range p {
				p[k] = orig[k] + float32(sign*eps*float64(grads[i][k])/norm)
			}
		}
		set(1)
		lp := loss()
		set(-1)
		lm := loss()
		copy(p, orig)
		fd := (lp - lm) / (2 * eps)
		if math.Abs(fd-norm) > 0.1*norm+1e-3 {
			t.Errorf("%s: gradient norm %.5g, directional difference %.5g", n.names[i], norm, fd)
		}
	}
}

// jittered returns InitParams(cfg, seed) with Gaussian noise of deviation
// 0.05 (from PCG(noise, noise), returned for the test's further draws)
// added to every value: non-zero biases and rev residuals exercise every
// term.
func jittered(cfg model.Config, seed, noise uint64) (map[string][]float32, *rand.Rand) {
	params := InitParams(cfg, seed)
	rng := rand.New(rand.NewPCG(noise, noise))
	for _, v := range params {
		for i := range v {
			v[i] += float32(rng.NormFloat64() * 0.05)
		}
	}
	return params, rng
}
