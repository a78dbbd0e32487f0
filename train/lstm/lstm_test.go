package lstm

import (
	"context"
	"math"
	"testing"

	"github.com/medqr/medqr/cipherimg/lstm"
	"github.com/medqr/medqr/train/internal/cipherloop/looptest"
)

func tinyConfig(t *testing.T) Config {
	c := DefaultConfig()
	c.Out, c.Batch, c.Window, c.Steps, c.Warmup, c.LogEvery, c.CkptEvery = t.TempDir(), 4, 5, 6, 2, 2, 2
	return c
}

// TestGraphMatchesInference: the unrolled graph's outputs equal the
// cipher's float64 inference step by step on the same weights, initial
// and shipped.
func TestGraphMatchesInference(t *testing.T) {
	c := tinyConfig(t)
	var arch lstm.Config
	shipped := looptest.Shipped(t, "../../cipherimg/lstm/weights/lstm.mlw", lstm.Name, lstm.Hint, &arch)
	if arch.Hidden != c.Hidden {
		t.Fatalf("shipped weights: hidden %d, config %d", arch.Hidden, c.Hidden)
	}
	for _, init := range []map[string][]float32{InitTensors(c), shipped} {
		graphMatchesInference(t, c, init)
	}
}

func graphMatchesInference(t *testing.T, c Config, init map[string][]float32) {
	n, err := NewNet(c, init)
	if err != nil {
		t.Fatal(err)
	}
	xs, ts := Batch(c, 7)
	_, ys, err := n.Run(xs, ts)
	if err != nil {
		t.Fatal(err)
	}
	m := looptest.Reload(t, n.WeightsFile, lstm.Decode)
	for b := 0; b < c.Batch; b++ {
		s := m.NewState()
		z := make([]float64, 4*c.Hidden)
		for step := range xs {
			y := m.Step(s, float64(xs[step][b]), z)
			if d := math.Abs(y - float64(ys[step][b])); d > 1e-5 {
				t.Fatalf("sequence %d step %d: inference %v, graph %v", b, step, y, ys[step][b])
			}
		}
	}
}

// TestTraining: a short run lowers the loss well below the logistic map's
// variance (about 1/8), and a run stopped at step 3 and resumed gives the
// same weights as an uninterrupted one.
func TestTraining(t *testing.T) {
	c := tinyConfig(t)
	c.Steps, c.Batch, c.Window, c.LR, c.LRMin, c.Warmup = 300, 32, 16, 0.01, 0.01, 50
	c.Name = "learning"
	pa, err := Train(context.Background(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := lstm.Decode(looptest.Read(t, pa))
	xs, ts := Batch(c, 1<<20)
	mse := 0.0
	for b := 0; b < c.Batch; b++ {
		s := m.NewState()
		z := make([]float64, 4*c.Hidden)
		for step := range xs {
			d := m.Step(s, float64(xs[step][b]), z) - float64(ts[step][b])
			mse += d * d
		}
	}
	if mse /= float64(c.Batch * c.Window); mse > 0.06 {
		t.Errorf("held-out MSE %.4f after 300 steps: not learning", mse)
	}
	c.Steps = 6
	looptest.Resume(t, Train, c, 3)
}

func TestConfigRefused(t *testing.T) {
	looptest.Refused(t, LoadConfig, []string{"hidden=0", "window=0", "batch=-1", "lr=0", "unknown=1"}, "../../experiments/lstm.json")
}
