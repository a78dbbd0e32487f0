// Package twincheck runs a few training steps of a PyTorch twin
// (train/torchref/twins.py check) from the weights and inputs a Go test
// gives it and returns the twin's losses, so tests can compare them with
// gorgonia's. The case is written as case.json plus little-endian float32
// files params.bin and inputs.bin. Need skips a test, saying why, where
// no python3 with torch (Debian's python3-torch) is installed; Compare runs
// the twin and fails the test where a loss differs by more than Tolerance.
package twincheck

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Case is one check: the model kind of twins.py ("learned", "filter" or
// "lift") with its config, initial parameters, and the inputs of each step.
type Case struct {
	Model  string         `json:"model"`
	Config any            `json:"config"`
	Loss   map[string]any `json:"loss,omitempty"`
	Batch  int            `json:"batch"`
	LR     float64        `json:"lr"`
	Clip   float64        `json:"clip"`
	Steps  int            `json:"steps"`
	Shapes [][]int        `json:"shapes"` // parameter shapes, in order
	Inputs [][]int        `json:"inputs"` // input tensor shapes of one step
	Gains  []float64      `json:"gains,omitempty"`

	Params    [][]float32   `json:"-"`
	StepInput [][][]float32 `json:"-"` // [step][input]
}

// Python returns a python3 that imports torch, or an error saying what is
// missing.
func Python() (string, error) {
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		path, err := exec.LookPath(p)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", "import torch, numpy").Run() == nil {
			return path, nil
		}
	}
	return "", fmt.Errorf("no python3 with torch and numpy (install Debian's python3-torch; make train-bench does)")
}

// Tolerance is the largest relative difference Compare accepts between a
// gorgonia loss and its twin's (relative to max(|twin|, 1e-3)).
const Tolerance = 1e-5

// Need returns the python3 that runs the twins, or skips t saying what is
// missing.
func Need(t testing.TB) string {
	t.Helper()
	py, err := Python()
	if err != nil {
		t.Skipf("no PyTorch twin check: %v", err)
	}
	return py
}

// Compare runs the twin script on c (with the python from Need) and fails
// t for every step whose loss in got differs from the twin's by more than
// Tolerance; each step's pair is logged.
func Compare(t testing.TB, python, script string, c Case, got []float64) {
	t.Helper()
	want, err := Run(python, script, t.TempDir(), c)
	if err != nil {
		t.Fatal(err)
	}
	for s := range want {
		d := math.Abs(got[s]-want[s]) / math.Max(math.Abs(want[s]), 1e-3)
		t.Logf("step %d: gorgonia %.8f, PyTorch %.8f (relative difference %.1e)", s, got[s], want[s], d)
		if d > Tolerance {
			t.Errorf("step %d: loss %v (gorgonia) vs %v (PyTorch)", s, got[s], want[s])
		}
	}
}

// Run writes c under dir, runs the twin script on it and returns its loss
// at every step (before that step's update).
func Run(python, script, dir string, c Case) ([]float64, error) {
	if len(c.StepInput) != c.Steps || len(c.Params) != len(c.Shapes) {
		return nil, fmt.Errorf("twincheck: %d step inputs for %d steps, %d parameters for %d shapes",
			len(c.StepInput), c.Steps, len(c.Params), len(c.Shapes))
	}
	meta, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("twincheck: failed to encode the case: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "case.json"), meta, 0o644); err != nil {
		return nil, err
	}
	var pb, ib bytes.Buffer
	for _, p := range c.Params {
		writeF32(&pb, p)
	}
	for _, st := range c.StepInput {
		for _, in := range st {
			writeF32(&ib, in)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "params.bin"), pb.Bytes(), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "inputs.bin"), ib.Bytes(), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(python, script, "check", dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("twincheck: %s failed: %w: %s", script, err, stderr.String())
	}
	var r struct {
		Loss []float64 `json:"loss"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		return nil, fmt.Errorf("twincheck: failed to read the twin's output %q: %w", out, err)
	}
	if len(r.Loss) != c.Steps {
		return nil, fmt.Errorf("twincheck: twin returned %d losses for %d steps", len(r.Loss), c.Steps)
	}
	return r.Loss, nil
}

func writeF32(b *bytes.Buffer, v []float32) {
	var q [4]byte
	for _, f := range v {
		binary.LittleEndian.PutUint32(q[:], math.Float32bits(f))
		b.Write(q[:])
	}
}
