package deepkeygen

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/medqr/medqr/cipherimg/deepkeygen"
	"github.com/medqr/medqr/train/internal/cipherloop/looptest"
	"github.com/medqr/medqr/train/internal/nnops"
)

func tinyConfig(t *testing.T) Config {
	c := DefaultConfig()
	c.Out, c.Batch, c.Crop, c.Steps, c.Warmup, c.LogEvery, c.CkptEvery = t.TempDir(), 2, 8, 6, 2, 2, 2
	return c
}

// TestGradients compares gorgonia's gradients of loss_G with central
// finite differences (within 50 %: the step crosses ReLU kinks), for each
// term alone (gorgonia's Mean along an axis
// once gave gradients a thousand times too large here).
func TestGradients(t *testing.T) {
	for _, w := range []struct{ adv, mom, div float64 }{{1, 0, 0}, {1e-9, 1, 0}, {1e-9, 0, 1}} {
		c := tinyConfig(t)
		c.AdvWeight, c.MomentWeight, c.DiversityWeight = w.adv, w.mom, w.div
		gen, disc := InitTensors(c)
		n, err := NewNets(c, gen, disc)
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(1, 2))
		x := make([]float32, c.Batch*c.Crop*c.Crop)
		for i := range x {
			x[i] = float32(r.Float64()*2 - 1)
		}
		loss := func() float64 {
			_, l, err := n.GenForward(append([]float32(nil), x...))
			if err != nil {
				t.Fatal(err)
			}
			return l
		}
		loss()
		gs, _ := nnops.Grads(n.GParams)
		analytic := make([]float64, len(gs))
		for i := range gs {
			analytic[i] = float64(gs[i][0])
		}
		vals := nnops.Values(n.GParams)
		checked := 0
		for i := range n.GParams {
			v := vals[i]
			old := v[0]
			const h = 3e-3
			v[0] = old + h
			lp := loss()
			v[0] = old - h
			lm := loss()
			v[0] = old
			num := (lp - lm) / (2 * h)
			if math.Abs(num) < 1e-4 && math.Abs(analytic[i]) < 1e-4 {
				continue
			}
			checked++
			if rel := math.Abs(analytic[i]-num) / math.Max(math.Abs(num), math.Abs(analytic[i])); rel > 0.5 {
				t.Errorf("adv %g mom %g div %g: %s: gradient %.4g, finite difference %.4g", w.adv, w.mom, w.div, n.GParams[i].Name(), analytic[i], num)
			}
		}
		if checked < len(n.GParams)/2 {
			t.Errorf("only %d of %d tensors had a measurable gradient", checked, len(n.GParams))
		}
	}
}

// TestGraphMatchesInference: the training graph's generator and the
// cipher's pure-Go float64 inference agree on the same weights, initial
// and shipped.
func TestGraphMatchesInference(t *testing.T) {
	c := tinyConfig(t)
	c.Batch, c.Crop, c.DiversityWeight = 1, 16, 0
	gen, disc := InitTensors(c)
	var arch deepkeygen.Config
	fromFile := looptest.Shipped(t, "../../cipherimg/deepkeygen/weights/deepkeygen.mlw", deepkeygen.Name, deepkeygen.Hint, &arch)
	if arch != c.Arch {
		t.Fatalf("shipped weights: architecture %+v, config %+v", arch, c.Arch)
	}
	for _, g := range []map[string][]float32{gen, fromFile} {
		graphMatchesInference(t, c, g, disc)
	}
}

func graphMatchesInference(t *testing.T, c Config, gen, disc map[string][]float32) {
	n, err := NewNets(c, gen, disc)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, c.Crop*c.Crop)
	x64 := make([]float64, len(x))
	for i := range x {
		x[i] = float32(float64(r.IntN(256))/127.5 - 1)
		x64[i] = float64(x[i])
	}
	fake, _, err := n.GenForward(x)
	if err != nil {
		t.Fatal(err)
	}
	m := looptest.Reload(t, n.WeightsFile, deepkeygen.Decode)
	y := m.Forward(x64, c.Crop)
	for i := range y {
		if d := math.Abs(y[i] - float64(fake[i])); d > 1e-4 {
			t.Fatalf("pixel %d: inference %v, graph %v", i, y[i], fake[i])
		}
	}
}

// TestTrainResume: a run interrupted at step 3 and resumed ends with the
// same weights file as an uninterrupted run; a second fresh run into the
// same folder is refused.
func TestTrainResume(t *testing.T) {
	c := tinyConfig(t)
	c.Data = "../../data/samples/kermany_cxr_224"
	c.TrainImages = 4
	if _, err := deepkeygen.Decode(looptest.Resume(t, Train, c, 3)); err != nil {
		t.Fatal(err)
	}
}

func TestConfigRefused(t *testing.T) {
	looptest.Refused(t, LoadConfig, []string{"crop=30", "batch=0", "noise_frac=2", "arch.channels=0", "steps=0", "unknown=1", "d_lr_scale=0"},
		"../../experiments/deepkeygen.json")
}
