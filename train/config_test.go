package train

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigSet(t *testing.T) {
	c := DefaultConfig()
	for _, kv := range []string{"steps=12", "loss.ssim=0.5", "model.latent=40", "name=x", "model.linear=true", "model.enc=[8,8,8]", "export="} {
		if err := c.Set(kv); err != nil {
			t.Fatalf("%s: %v", kv, err)
		}
	}
	if c.Steps != 12 || c.Loss.SSIM != 0.5 || c.Model.Latent != 40 || c.Name != "x" || !c.Model.Linear || c.Model.Enc != [3]int{8, 8, 8} || c.Export != "" {
		t.Fatalf("overrides not applied: %+v", c)
	}
	for _, bad := range []string{"stepz=1", "loss.nope=1", "steps", "=3", "steps=\"a\"", "name.x=1"} {
		if err := c.Set(bad); err == nil {
			t.Errorf("-set %s accepted", bad)
		}
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	os.WriteFile(good, []byte(`{"steps": 7, "loss": {"rate": 0.1}}`), 0o644)
	c, err := LoadConfig(good, []string{"batch=3"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Steps != 7 || c.Loss.Rate != 0.1 || c.Batch != 3 || c.Loss.MSE != DefaultConfig().Loss.MSE {
		t.Fatalf("got %+v", c)
	}
	for name, body := range map[string]string{
		"unknown":   `{"stepps": 7}`,
		"nested":    `{"loss": {"msee": 1}}`,
		"invalid":   `{"crop": 50}`,
		"malformed": `{"steps": `,
	} {
		p := filepath.Join(dir, name+".json")
		os.WriteFile(p, []byte(body), 0o644)
		if _, err := LoadConfig(p, nil); err == nil {
			t.Errorf("%s config accepted", name)
		}
	}
	// the shipped experiment files are valid
	for _, f := range []string{"default.json", "ablation.json"} {
		if _, err := LoadConfig(filepath.Join("..", "experiments", f), nil); err != nil && !strings.Contains(err.Error(), "no such file") {
			t.Errorf("experiments/%s: %v", f, err)
		}
	}
}

func TestLRSchedule(t *testing.T) {
	if got := LR(0, 10, 100, 1, 0.1); got != 0.1 {
		t.Fatalf("warm-up start %v", got)
	}
	if got := LR(9, 10, 100, 1, 0.1); got != 1 {
		t.Fatalf("warm-up end %v", got)
	}
	if got := LR(100, 10, 100, 1, 0.1); got != 0.1 {
		t.Fatalf("end %v", got)
	}
	if got := LR(55, 10, 100, 1, 0.1); got < 0.54 || got > 0.56 {
		t.Fatalf("midpoint %v, want 0.55", got)
	}
}

// TestScheduleValidate: Schedule.Validate refuses each field out of range,
// and Config.Validate and At use the embedded schedule.
func TestScheduleValidate(t *testing.T) {
	good := Schedule{Steps: 100, LR: 1, LRMin: 0.1, Warmup: 10}
	for _, tc := range []struct {
		name string
		edit func(*Schedule)
	}{
		{"steps 0", func(s *Schedule) { s.Steps = 0 }},
		{"lr 0", func(s *Schedule) { s.LR = 0 }},
		{"lr NaN", func(s *Schedule) { s.LR = math.NaN() }},
		{"lr_min negative", func(s *Schedule) { s.LRMin = -1e-9 }},
		{"lr_min above lr", func(s *Schedule) { s.LRMin = 1.5 }},
		{"warmup negative", func(s *Schedule) { s.Warmup = -1 }},
	} {
		s := good
		tc.edit(&s)
		if err := s.Validate(); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
		c := DefaultConfig()
		c.Schedule = s
		if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), "train: steps") {
			t.Errorf("%s: config error %v, want the schedule's", tc.name, err)
		}
	}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, s := range []int{0, 9, 55, 99} {
		if got, want := good.At(s), LR(s, 10, 100, 1, 0.1); got != want {
			t.Errorf("At(%d) = %v, LR %v", s, got, want)
		}
	}
}

// TestDecorGradient checks Decor's analytic gradient against central
// differences (float64).
func TestDecorGradient(t *testing.T) {
	const batch, c, hw = 2, 3, 5
	y := make([]float32, batch*c*hw)
	for i := range y {
		y[i] = float32((i*37)%11)/5 - 1 + float32(i%3)*0.3
	}
	l0, g := Decor(y, batch, c, hw)
	if l0 <= 0 || l0 >= 1 {
		t.Fatalf("loss %v outside (0,1)", l0)
	}
	for i := range y {
		orig := y[i]
		const eps = 1e-2
		y[i] = orig + eps
		lp, _ := Decor(y, batch, c, hw)
		y[i] = orig - eps
		lm, _ := Decor(y, batch, c, hw)
		y[i] = orig
		fd := (lp - lm) / (2 * eps)
		if d := fd - float64(g[i]); d > 1e-3 || d < -1e-3 {
			t.Fatalf("y[%d]: gradient %v, finite difference %v", i, g[i], fd)
		}
	}
	// uncorrelated (orthogonal, zero-mean) channels give zero loss
	u := []float32{1, -1, 1, -1, 1, 1, -1, -1}
	if l, _ := Decor(u, 1, 2, 4); l > 1e-12 {
		t.Fatalf("orthogonal channels: loss %v", l)
	}
}

func TestAdamClipping(t *testing.T) {
	a := NewAdam([]int{2}, 1)
	p := [][]float32{{0, 0}}
	norm := a.Update(p, [][]float32{{30, 40}}, 0.1)
	if norm != 50 {
		t.Fatalf("norm %v", norm)
	}
	// first Adam step moves each parameter by lr against the gradient sign
	if d := p[0][0] + 0.1; d > 1e-6 || d < -1e-6 {
		t.Fatalf("step %v", p[0])
	}
}
