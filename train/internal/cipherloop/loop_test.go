package cipherloop

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medqr/medqr/internal/detnn"
	"github.com/medqr/medqr/internal/jsonconfig"
	"github.com/medqr/medqr/train"
)

// quad is a Trainer minimising sum (w - target)^2 over two groups, the
// second at a scaled learning rate.
type quad struct {
	w     [][][]float32
	scale float64
}

func newQuad() *quad {
	return &quad{w: [][][]float32{{{0, 0}, {0}}, {{0, 0, 0}}}, scale: 0.5}
}

func (q *quad) Groups() [][][]float32 { return q.w }
func (q *quad) LossNames() []string   { return []string{"loss"} }
func (q *quad) LRScale() []float64    { return []float64{1, q.scale} }

func (q *quad) Step(s int) ([]float64, [][][]float32, error) {
	loss := 0.0
	var gs [][][]float32
	for _, g := range q.w {
		var gg [][]float32
		for _, t := range g {
			d := make([]float32, len(t))
			for i, v := range t {
				loss += float64((v - 1) * (v - 1))
				d[i] = 2 * (v - 1)
			}
			gg = append(gg, d)
		}
		gs = append(gs, gg)
	}
	return []float64{loss}, gs, nil
}

func (q *quad) Export() ([]byte, error) {
	var b []byte
	for _, g := range q.w {
		for _, t := range g {
			for _, v := range t {
				b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
			}
		}
	}
	return b, nil
}

func run(t *testing.T, dir string, opt Options, q *quad) (string, error) {
	t.Helper()
	r := Run{Name: "test", Dir: dir, File: "w.bin", Config: map[string]int{"x": 1},
		Sched: Schedule{Schedule: train.Schedule{Steps: 40, LR: 0.05, LRMin: 0.01, Warmup: 3}, Clip: 1, LogEvery: 5, CkptEvery: 7}}
	return Execute(context.Background(), r, q, opt)
}

func TestExecute(t *testing.T) {
	base := t.TempDir()
	q := newQuad()
	pa, err := run(t, filepath.Join(base, "a"), Options{}, q)
	if err != nil {
		t.Fatal(err)
	}
	if q.w[0][0][0] < 0.5 {
		t.Errorf("weight %.3f after 40 steps towards 1: not learning", q.w[0][0][0])
	}
	if !(q.w[1][0][0] < q.w[0][0][0]) {
		t.Errorf("group 2 (half the learning rate) moved as far as group 1: %v", q.w)
	}
	b := filepath.Join(base, "b")
	if _, err := run(t, b, Options{StopAt: 9}, newQuad()); !errors.Is(err, ErrStopped) {
		t.Fatalf("stop: %v", err)
	}
	if _, err := run(t, b, Options{}, newQuad()); err == nil || !strings.Contains(err.Error(), "already holds a run") {
		t.Fatalf("second fresh run into the folder: %v", err)
	}
	pb, err := run(t, b, Options{Resume: true}, newQuad())
	if err != nil {
		t.Fatal(err)
	}
	wa, _ := os.ReadFile(pa)
	wb, _ := os.ReadFile(pb)
	if len(wa) == 0 || string(wa) != string(wb) {
		t.Fatal("resumed run differs from the uninterrupted one")
	}
	rows, _ := os.ReadFile(filepath.Join(b, "losses.csv"))
	if n := strings.Count(string(rows), "\n"); n != 41 {
		t.Errorf("losses.csv has %d lines, want 41", n)
	}
	for _, f := range []string{"run.json", "checkpoint.gob"} {
		if _, err := os.Stat(filepath.Join(b, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestResumeRefusesDamage(t *testing.T) {
	dir := t.TempDir()
	if _, err := run(t, dir, Options{StopAt: 7}, newQuad()); !errors.Is(err, ErrStopped) {
		t.Fatal(err)
	}
	ck := filepath.Join(dir, "checkpoint.gob")
	b, _ := os.ReadFile(ck)
	b[len(b)/2] ^= 1
	os.WriteFile(ck, b, 0o644)
	if _, err := run(t, dir, Options{Resume: true}, newQuad()); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("damaged checkpoint: %v", err)
	}
	if _, err := run(t, t.TempDir(), Options{Resume: true}, newQuad()); err == nil {
		t.Fatal("resume without a checkpoint accepted")
	}
	other := &quad{w: [][][]float32{{{0}}}}
	dir2 := t.TempDir()
	if _, err := run(t, dir2, Options{StopAt: 7}, newQuad()); !errors.Is(err, ErrStopped) {
		t.Fatal(err)
	}
	if _, err := run(t, dir2, Options{Resume: true}, other); err == nil {
		t.Fatal("checkpoint of another shape accepted")
	}
}

func TestScheduleValidate(t *testing.T) {
	good := Schedule{Schedule: train.Schedule{Steps: 1, LR: 1e-3}, LogEvery: 1, CkptEvery: 1}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, s := range []Schedule{
		{Schedule: train.Schedule{Steps: 0, LR: 1e-3}, LogEvery: 1, CkptEvery: 1},
		{Schedule: train.Schedule{Steps: 1, LR: 0}, LogEvery: 1, CkptEvery: 1},
		{Schedule: train.Schedule{Steps: 1, LR: 1e-3, LRMin: 1}, LogEvery: 1, CkptEvery: 1},
		{Schedule: train.Schedule{Steps: 1, LR: 1e-3, Warmup: -1}, LogEvery: 1, CkptEvery: 1},
		{Schedule: train.Schedule{Steps: 1, LR: 1e-3}, Clip: -1, LogEvery: 1, CkptEvery: 1},
		{Schedule: train.Schedule{Steps: 1, LR: 1e-3}, LogEvery: 0, CkptEvery: 1},
		{Schedule: train.Schedule{Steps: 1, LR: 1e-3}, LogEvery: 1, CkptEvery: 0},
		{Schedule: train.Schedule{Steps: 1, LR: math.NaN()}, LogEvery: 1, CkptEvery: 1},
	} {
		if s.Validate() == nil {
			t.Errorf("%+v accepted", s)
		}
	}
}

// TestScheduleAsBefore: Schedule, which embeds train.Schedule, reads and
// writes the same JSON as the struct it replaced (its fields written out
// here), and its learning rate at every step has the same bits as the
// loop's former expression, for the shipped trainers' schedules and short
// ones with and without a warm-up.
func TestScheduleAsBefore(t *testing.T) {
	type before struct {
		Steps     int     `json:"steps"`
		LR        float64 `json:"lr"`
		LRMin     float64 `json:"lr_min"`
		Warmup    int     `json:"warmup"`
		Clip      float64 `json:"clip"`
		LogEvery  int     `json:"log_every"`
		CkptEvery int     `json:"ckpt_every"`
	}
	for _, b := range []before{
		{3000, 1e-2, 1e-4, 50, 1, 250, 500},    // lstm
		{20000, 0.03, 1e-4, 50, 1, 2000, 5000}, // sae
		{1500, 2e-3, 1e-4, 20, 5, 100, 250},    // deepkeygen
		{6, 0.01, 0.0001, 2, 1, 2, 4},          // the 6-step check runs
		{40, 0.05, 0.01, 0, 0, 5, 7},           // no warm-up
		{5, 0.05, 0.05, 9, 0, 1, 1},            // warm-up longer than the run
	} {
		want, err := json.MarshalIndent(b, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		var s Schedule
		if err := jsonconfig.DecodeStrict(want, &s); err != nil {
			t.Fatalf("%s: %v", want, err)
		}
		got, err := json.MarshalIndent(s, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("re-marshalled\n%s\nwant\n%s", got, want)
		}
		for step := range b.Steps + 2 {
			old := train.LR(step, b.Warmup, b.Steps, b.LR, b.LRMin)
			if lr := s.At(step); math.Float64bits(lr) != math.Float64bits(old) {
				t.Fatalf("%+v: step %d: lr %v, before %v", b, step, lr, old)
			}
		}
	}
}

func TestLogisticOrbit(t *testing.T) {
	for _, c := range []struct {
		seed         uint64
		muMin, width float64
		warmup, n    int
	}{
		{1, 3.99, 4 - 3.99, 200, 17},
		{2, 3.99, 0.01, 0, 1},
		{3, 3.6, 0.1, 5, 0},
	} {
		got := LogisticOrbit(rand.New(rand.NewPCG(c.seed, 9)), c.muMin, c.width, c.warmup, c.n)
		// The same draws and iterations written out: mu, x0, warmup, n.
		rng := rand.New(rand.NewPCG(c.seed, 9))
		mu := c.muMin + rng.Float64()*c.width
		x := detnn.Unit(rng.Uint64())
		if mu < c.muMin || mu >= c.muMin+c.width || !(x > 0 && x < 1) {
			t.Fatalf("seed %d: mu %v or x0 %v out of range", c.seed, mu, x)
		}
		for i := 0; i < c.warmup; i++ {
			x = detnn.Logistic(mu, x)
		}
		if len(got) != c.n {
			t.Fatalf("seed %d: %d values, want %d", c.seed, len(got), c.n)
		}
		for i := range got {
			x = detnn.Logistic(mu, x)
			if got[i] != x || !(x > 0 && x < 1) {
				t.Fatalf("seed %d: value %d is %v, want %v in (0, 1)", c.seed, i, got[i], x)
			}
		}
	}
}
