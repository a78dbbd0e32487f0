package iwave

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/medqr/medqr/model/iwave"
	"github.com/medqr/medqr/train/internal/twincheck"
)

// TestTorchTwins runs five Adam steps of the post-filter and of a lifting
// network and of their PyTorch twins (train/torchref/twins.py) from the
// same weights on the same batches and requires the losses to agree to
// 1e-5 (relative). Skipped where python3-torch is missing.
func TestTorchTwins(t *testing.T) {
	py, err := twincheck.Python()
	if err != nil {
		t.Skipf("no PyTorch twin check: %v", err)
	}
	const steps = 5
	cfg := DefaultConfig()
	rng := rand.New(rand.NewPCG(7, 8))
	normal := func(n int, sd float64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64() * sd)
		}
		return v
	}
	check := func(t *testing.T, c twincheck.Case, got []float64) {
		want, err := twincheck.Run(py, "../torchref/twins.py", t.TempDir(), c)
		if err != nil {
			t.Fatal(err)
		}
		for s := range want {
			d := math.Abs(got[s]-want[s]) / math.Max(math.Abs(want[s]), 1e-3)
			t.Logf("step %d: gorgonia %.8f, PyTorch %.8f (relative difference %.1e)", s, got[s], want[s], d)
			if d > 1e-5 {
				t.Errorf("step %d: loss %v (gorgonia) vs %v (PyTorch)", s, got[s], want[s])
			}
		}
	}

	t.Run("filter", func(t *testing.T) {
		const batch, size, lr = 4, 32, 3e-3
		fc := cfg.Filter
		init := InitTensors(fc, 1)
		// a non-zero last layer, so every layer learns from the first step
		init[fmt.Sprintf("w%d", fc.Layers-1)] = normal(len(init[fmt.Sprintf("w%d", fc.Layers-1)]), 0.05)
		net, err := NewNet(fc, batch, size, init, true)
		if err != nil {
			t.Fatal(err)
		}
		opt := newAdam(net.Params, cfg.Clip)
		c := twincheck.Case{Model: "filter", Config: fc, Batch: batch, LR: lr, Clip: cfg.Clip, Steps: steps,
			Inputs: [][]int{{batch, iwave.InputPlanes, size, size}, {batch, 1, size, size}}}
		for l, s := range fc.Shapes() {
			c.Shapes = append(c.Shapes, []int{s[1], s[0], 3, 3}, []int{s[1]})
			c.Params = append(c.Params, init[fmt.Sprintf("w%d", l)], init[fmt.Sprintf("b%d", l)])
		}
		var got []float64
		for s := 0; s < steps; s++ {
			x, tg := normal(batch*iwave.InputPlanes*size*size, 0.5), normal(batch*size*size, 0.1)
			c.StepInput = append(c.StepInput, [][]float32{append([]float32(nil), x...), append([]float32(nil), tg...)})
			loss, _, err := net.Run(x, tg)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := opt.step(net.Params, lr); err != nil {
				t.Fatal(err)
			}
			got = append(got, loss)
		}
		check(t, c, got)
	})

	t.Run("lift", func(t *testing.T) {
		lt := cfg.Lift
		lt.Hidden = 32
		const batch, lr = 256, 3e-3
		init := liftInit(lt, 1)
		init[2] = normal(len(init[2]), 0.1)
		ln, err := newLiftNet(lt, batch, init)
		if err != nil {
			t.Fatal(err)
		}
		opt := newAdam(ln.params, cfg.Clip)
		c := twincheck.Case{Model: "lift", Config: map[string]any{"hidden": lt.Hidden, "leak": lt.Leak}, Batch: batch,
			LR: lr, Clip: cfg.Clip, Steps: steps, Inputs: [][]int{{batch, iwave.LiftFeatures}, {batch, 1}}}
		h := lt.Hidden
		c.Shapes = [][]int{{iwave.LiftFeatures, h}, {h, h}, {h, 1}}
		c.Params = [][]float32{init[0], init[1], init[2]}
		var got []float64
		for s := 0; s < steps; s++ {
			x, tg := normal(batch*iwave.LiftFeatures, 1), normal(batch, 2)
			c.StepInput = append(c.StepInput, [][]float32{append([]float32(nil), x...), append([]float32(nil), tg...)})
			loss, err := ln.run(x, tg)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := opt.step(ln.params, lr); err != nil {
				t.Fatal(err)
			}
			got = append(got, loss)
		}
		check(t, c, got)
	})
}
