package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/medqr/medqr/train/internal/twincheck"
)

// TestTorchTwin runs five Adam steps of the training graph and of its
// PyTorch twin (train/torchref/twins.py) from the same weights on the same
// batches (noise, erasures and gains included) and requires the losses to
// agree to 1e-5 (relative). Skipped where python3-torch is missing.
func TestTorchTwin(t *testing.T) {
	py := twincheck.Need(t)
	tc := DefaultConfig()
	cfg := tc.Model
	const batch, size, steps, lr = 2, 64, 5, 1e-3
	init := InitParams(cfg, 1)
	n, err := NewNet(cfg, batch, size, tc.Loss, init)
	if err != nil {
		t.Fatal(err)
	}
	m := NewMachine(n)
	defer m.Close()
	c := twincheck.Case{Model: "learned", Config: cfg, Batch: batch, LR: lr, Clip: tc.Clip, Steps: steps,
		Loss: map[string]any{"mse": tc.Loss.MSE, "ssim": tc.Loss.SSIM, "rate": tc.Loss.Rate, "decor": tc.Loss.Decor}}
	for _, p := range cfg.Params() {
		c.Shapes = append(c.Shapes, p.Shape)
		c.Params = append(c.Params, init[p.Name])
	}
	lh := size / cfg.Factor()
	c.Inputs = [][]int{{batch, 1, size, size}, {batch, cfg.Latent, lh, lh}, {batch, cfg.Latent, lh, lh}}
	rng := rand.New(rand.NewPCG(5, 6))
	opt := NewAdam(sizesOf(m.ParamSlices()), tc.Clip)
	var got []float64
	for s := 0; s < steps; s++ {
		x := make([]float32, batch*size*size)
		for i := range x { // smooth images with noise, on the network's scale
			r, col := (i/size)%size, i%size
			x[i] = float32(0.3*math.Sin(float64(r+s)/7)*math.Cos(float64(col)/5) + 0.1*(rng.Float64()-0.5))
		}
		b := n.NewBatchAux(rng, x, cfg.GainMin, cfg.GainMax, 0.05)
		c.StepInput = append(c.StepInput, [][]float32{b.X, b.Noise, b.Mask})
		c.Gains = append(c.Gains, float64(b.Gain))
		r, err := m.Run(b)
		if err != nil {
			t.Fatal(err)
		}
		grads, err := m.Grads()
		if err != nil {
			t.Fatal(err)
		}
		opt.Update(m.ParamSlices(), grads, lr)
		got = append(got, r.Loss)
	}
	twincheck.Compare(t, py, "torchref/twins.py", c, got)
}
