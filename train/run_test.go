package train

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func samplesDir(t *testing.T) string {
	d := filepath.Join("..", "data", "samples", "kermany_cxr_224")
	if _, err := os.Stat(d); err != nil {
		t.Skipf("shipped samples missing: %v", err)
	}
	return d
}

func tinyRun(t *testing.T, out, name string) Config {
	c := DefaultConfig()
	c.Name, c.Out, c.Data = name, out, samplesDir(t)
	c.Model = tinyConfig()
	c.Crop, c.Batch, c.Steps, c.Warmup = 32, 2, 4, 1
	c.ValEvery, c.ValImages, c.CkptEvery, c.LogEvery = 0, 2, 1, 1
	c.Loss.Decor = 0.01
	return c
}

// TestRunResume trains a tiny model for 4 steps in one go and in two halves
// with a resume in between, stopped at a validation step: the weights and
// the validation curve come out bit-identical, and the run folder holds
// everything the experiment needs.
func TestRunResume(t *testing.T) {
	if testing.Short() {
		t.Skip("trains twice")
	}
	t.Setenv("MEDQR_CACHE_DIR", t.TempDir())
	out := t.TempDir()
	ctx := context.Background()
	a := tinyRun(t, out, "straight")
	a.ValEvery = 2
	dirA, err := Run(ctx, a, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := tinyRun(t, out, "halves")
	b.ValEvery = 2
	if _, err := Run(ctx, b, Options{StopAt: 2}); !errors.Is(err, ErrStopped) {
		t.Fatalf("first half: %v", err)
	}
	if _, err := Run(ctx, b, Options{}); err == nil {
		t.Fatal("a second fresh run over a checkpoint was accepted")
	}
	dirB, err := Run(ctx, b, Options{Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	// the weights and the validation curve (which holds no timings) of
	// the two runs are the same bytes
	for _, f := range []string{"final.mqw", "best.mqw", "validation.json"} {
		a, errA := os.ReadFile(filepath.Join(dirA, f))
		b, errB := os.ReadFile(filepath.Join(dirB, f))
		if errA != nil || errB != nil || string(a) != string(b) {
			t.Fatalf("%s: the resumed run differs from the uninterrupted one (%v, %v)", f, errA, errB)
		}
		if f == "validation.json" && strings.Count(string(a), `"step"`) != 2 {
			t.Fatalf("validation curve lacks the stop step's point:\n%s", a)
		}
	}
	for _, f := range []string{"config.json", "losses.csv", "losses.json", "validation.csv", "validation.json", "loss.png", "validation.png", "best.mqw"} {
		if _, err := os.Stat(filepath.Join(dirA, f)); err != nil {
			t.Errorf("run folder lacks %s", f)
		}
	}
}
