package iwave

import (
	"context"
	"encoding/json"
	"image"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/medqr/medqr/model/iwave"
)

func testLiftTrain() LiftTrain {
	return LiftTrain{Export: "x", Hidden: 8, Leak: 0.1, Images: 0, Samples: 20000, Batch: 64, Steps: 300,
		LR: 3e-3, LRMin: 1e-4, Warmup: 10, StepIndex: iwave.StepRef, Spread: 64}
}

// TestLiftGraphMatchesInference: the gorgonia graph's output and the pure-Go
// iwave.Lift.Eval of the exported weights agree on random inputs, so what
// training optimises is what encrypt/decrypt run.
func TestLiftGraphMatchesInference(t *testing.T) {
	lt := testLiftTrain()
	init := liftInit(lt, 3)
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range init[2] {
		init[2][i] = float32(rng.NormFloat64())
	}
	const batch = 16
	ln, err := newLiftNet(lt, batch, init)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, batch*iwave.LiftFeatures)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * 3)
	}
	if _, err := ln.run(append([]float32(nil), x...), make([]float32, batch)); err != nil {
		t.Fatal(err)
	}
	got := ln.outV.Data().([]float32)
	ft := ln.fileTensors()
	tensors := map[string][]float32{}
	for i, name := range iwave.LiftTensorNames() {
		tensors[name] = ft[i%3]
	}
	lf, err := iwave.NewLift(iwave.LiftConfig{Hidden: lt.Hidden, Leak: lt.Leak}, tensors)
	if err != nil {
		t.Fatal(err)
	}
	var f [iwave.LiftFeatures]float64
	nonzero := 0
	for b := 0; b < batch; b++ {
		for k := range f {
			f[k] = float64(x[b*iwave.LiftFeatures+k])
		}
		want := lf.Eval(iwave.LiftRow, &f)
		if math.Abs(want-float64(got[b])) > 1e-4*math.Max(1, math.Abs(want)) {
			t.Fatalf("sample %d: graph %v, inference %v", b, got[b], want)
		}
		if want != 0 {
			nonzero++
		}
	}
	if nonzero == 0 {
		t.Fatal("all outputs zero: the comparison proves nothing")
	}
}

func smoothImages(n int, seed uint64) []*image.Gray {
	rng := rand.New(rand.NewPCG(seed, 9))
	var out []*image.Gray
	for k := 0; k < n; k++ {
		g := image.NewGray(image.Rect(0, 0, 64, 64))
		a, b, c := rng.Float64()*0.3, rng.Float64()*0.3, rng.Float64()*6
		for y := 0; y < 64; y++ {
			for x := 0; x < 64; x++ {
				v := 128 + 60*math.Sin(a*float64(x)+c)*math.Cos(b*float64(y)) + 40*math.Tanh(float64(x-32)/3)
				g.Pix[y*64+x] = uint8(max(0, min(255, v)))
			}
		}
		out = append(out, g)
	}
	return out
}

// TestTrainLiftLowersRate: a short run on synthetic images with sharp edges
// lowers every network's validation rate proxy, writes the run folder and
// the weights file, and resuming a finished run reloads instead of
// retraining.
func TestTrainLiftLowersRate(t *testing.T) {
	dir := t.TempDir()
	cfg := DefaultConfig()
	cfg.Lift = testLiftTrain()
	cfg.Lift.Export = filepath.Join(dir, "lift.iwl")
	cfg.Budgets = []int{900, 500}
	lf, err := TrainLift(context.Background(), cfg, dir, smoothImages(6, 1), smoothImages(2, 2), Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(cfg.Lift.Export)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iwave.DecodeLift(b); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"run.json", "report.json", "report.md", "checkpoint.gob", "lift.iwl", "losses.csv", "loss.png"} {
		if _, err := os.Stat(filepath.Join(dir, "lift", f)); err != nil {
			t.Error(err)
		}
	}
	var rep LiftReport
	readJSON(t, filepath.Join(dir, "lift", "report.json"), &rep)
	if len(rep.Nets) != 3 {
		t.Fatalf("%d network reports", len(rep.Nets))
	}
	for _, n := range rep.Nets[:2] {
		if !(n.After < n.Before) {
			t.Errorf("%s: rate proxy %v -> %v, want lower", n.Net, n.Before, n.After)
		}
	}
	lf2, err := TrainLift(context.Background(), cfg, dir, smoothImages(6, 1), smoothImages(2, 2), Options{Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	if lf.W[0][0][0] != lf2.W[0][0][0] {
		t.Fatal("resume of a finished run changed the weights")
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// TestRunResumeAfterLiftStage: a run interrupted after the lifting stage
// (post-filter checkpoint missing) resumes with -resume: the finished
// networks are kept bit-identical and the post-filter stage runs.
func TestRunResumeAfterLiftStage(t *testing.T) {
	if testing.Short() {
		t.Skip("trains twice")
	}
	src := filepath.Join("..", "..", "data", "samples", "kermany_cxr_224")
	if _, err := os.Stat(src); err != nil {
		t.Skipf("shipped samples missing: %v", err)
	}
	t.Setenv("MEDQR_CACHE_DIR", t.TempDir())
	out := t.TempDir()
	cfg := DefaultConfig()
	cfg.Out, cfg.Data, cfg.Name = out, src, "r"
	cfg.Export = filepath.Join(out, "pf.iwq")
	cfg.TrainImages, cfg.ValImages, cfg.Budgets = 2, 1, []int{1225}
	cfg.Crop, cfg.Batch, cfg.Steps, cfg.Warmup, cfg.ValEvery, cfg.CkptEvery = 16, 1, 2, 1, 2, 1
	cfg.Lift = testLiftTrain()
	cfg.Lift.Export, cfg.Lift.Images, cfg.Lift.Steps, cfg.Lift.Samples = filepath.Join(out, "lift.iwl"), 2, 20, 5000
	dir, err := Run(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	first, err := os.ReadFile(cfg.Lift.Export)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "checkpoint.gob")); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), cfg, Options{}); err != nil {
		t.Fatalf("fresh run over a finished lifting stage: %v", err)
	}
	if err := os.Remove(filepath.Join(dir, "checkpoint.gob")); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), cfg, Options{Resume: true}); err != nil {
		t.Fatalf("resume after the lifting stage: %v", err)
	}
	again, err := os.ReadFile(cfg.Lift.Export)
	if err != nil {
		t.Fatal(err)
	}
	if string(first) != string(again) {
		t.Fatal("resume changed the finished lifting networks")
	}
	if _, err := os.Stat(filepath.Join(dir, "checkpoint.gob")); err != nil {
		t.Fatalf("post-filter stage did not run: %v", err)
	}
}
