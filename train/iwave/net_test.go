package iwave

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/medqr/medqr/model/iwave"
)

// TestGraphMatchesInference runs the gorgonia graph and the pure-Go
// inference of model/iwave on the same random weights and input, and
// requires the same residual.
func TestGraphMatchesInference(t *testing.T) {
	cfg := iwave.FilterConfig{Channels: 4, Layers: 3, Leak: 0.1}
	rng := rand.New(rand.NewPCG(5, 6))
	init := InitTensors(cfg, 3)
	for k, v := range init { // a non-zero last layer and biases
		for i := range v {
			v[i] += float32(rng.NormFloat64() * 0.2)
		}
		init[k] = v
	}
	const size = 12
	net, err := NewNet(cfg, 1, size, init, false)
	if err != nil {
		t.Fatal(err)
	}
	dec := make([]float64, size*size)
	for i := range dec {
		dec[i] = rng.Float64() * 255
	}
	x := iwave.Planes(dec, 2300)
	_, got, err := net.Run(x, make([]float32, size*size))
	if err != nil {
		t.Fatal(err)
	}
	_, pf, err := exportFilter(cfg, init)
	if err != nil {
		t.Fatal(err)
	}
	want := pf.Residual(x, size, size)
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-5 {
			t.Fatalf("output %d: graph %v, inference %v", i, got[i], want[i])
		}
	}
}

// TestAdamLowersLoss: a few steps on one fixed batch reduce the loss.
func TestAdamLowersLoss(t *testing.T) {
	cfg := iwave.FilterConfig{Channels: 4, Layers: 2, Leak: 0.1}
	net, err := NewNet(cfg, 2, 8, InitTensors(cfg, 1), true)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	x := make([]float32, 2*2*64)
	tg := make([]float32, 2*64)
	for i := range x {
		x[i] = float32(rng.Float64() - 0.5)
	}
	for i := range tg {
		tg[i] = 0.05 * x[i] // a learnable residual
	}
	a := newAdam(net.Params, 1)
	var first, last float64
	for s := 0; s < 100; s++ {
		l, _, err := net.Run(append([]float32(nil), x...), append([]float32(nil), tg...))
		if err != nil {
			t.Fatal(err)
		}
		if s == 0 {
			first = l
		}
		last = l
		if _, err := a.step(net.Params, 3e-3); err != nil {
			t.Fatal(err)
		}
	}
	if !(last < 0.5*first) {
		t.Fatalf("loss %g -> %g: Adam did not learn", first, last)
	}
}

func TestConfig(t *testing.T) {
	c, err := LoadConfig("../../experiments/iwave.json", []string{"steps=7", "filter.channels=8", "name=x"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Steps != 7 || c.Filter.Channels != 8 || c.Name != "x" {
		t.Fatalf("overrides not applied: %+v", c)
	}
	for _, tc := range []struct{ set, want string }{
		{"nope=1", "unknown config field"},
		{"filter.nope=1", "unknown config field"},
		{"steps=abc", "not valid JSON"},
		{"steps", "want key=value"},
		{"crop=2", "crop"},
		{"steps.x=1", "not a group"},
	} {
		_, err := LoadConfig("", []string{tc.set})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("-set %s: err %v, want %q", tc.set, err, tc.want)
		}
	}
}

func TestLRSchedule(t *testing.T) {
	c := DefaultConfig()
	c.Steps, c.Warmup, c.LR, c.LRMin = 100, 10, 1, 0.1
	if v := c.Schedule.At(0); math.Abs(v-0.1) > 1e-12 {
		t.Errorf("step 0: %v", v)
	}
	if v := c.Schedule.At(10); math.Abs(v-1) > 1e-12 {
		t.Errorf("end of warm-up: %v", v)
	}
	if v := c.Schedule.At(100); math.Abs(v-0.1) > 1e-12 {
		t.Errorf("last step: %v", v)
	}
}
