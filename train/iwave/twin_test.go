package iwave

import (
	"fmt"
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
	py := twincheck.Need(t)
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
	// run takes the Adam steps on fresh inputs (nx values of deviation sdx,
	// nt targets of deviation sdt), records them in c and compares the
	// losses with the twin's.
	run := func(t *testing.T, c twincheck.Case, nx int, sdx float64, nt int, sdt float64, step func(x, tg []float32) (float64, error)) {
		var got []float64
		for s := 0; s < steps; s++ {
			x, tg := normal(nx, sdx), normal(nt, sdt)
			c.StepInput = append(c.StepInput, [][]float32{append([]float32(nil), x...), append([]float32(nil), tg...)})
			loss, err := step(x, tg)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, loss)
		}
		twincheck.Compare(t, py, "../torchref/twins.py", c, got)
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
		run(t, c, batch*iwave.InputPlanes*size*size, 0.5, batch*size*size, 0.1, func(x, tg []float32) (float64, error) {
			loss, _, err := net.Run(x, tg)
			if err != nil {
				return 0, err
			}
			_, err = opt.step(net.Params, lr)
			return loss, err
		})
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
		run(t, c, batch*iwave.LiftFeatures, 1, batch, 2, func(x, tg []float32) (float64, error) {
			loss, err := ln.run(x, tg)
			if err != nil {
				return 0, err
			}
			_, err = opt.step(ln.params, lr)
			return loss, err
		})
	})
}
