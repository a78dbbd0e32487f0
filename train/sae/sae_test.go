package sae

import (
	"context"
	"maps"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/medqr/medqr/cipherimg/sae"
	"github.com/medqr/medqr/train/internal/cipherloop/looptest"
)

func tinyConfig(t *testing.T) Config {
	c := DefaultConfig()
	c.Out, c.Batch, c.Steps, c.Warmup, c.LogEvery, c.CkptEvery = t.TempDir(), 8, 6, 2, 2, 2
	return c
}

// TestGraphMatchesInference: the graph's code layer equals the cipher's
// float64 encoder on the same weights, initial and shipped.
func TestGraphMatchesInference(t *testing.T) {
	c := tinyConfig(t)
	var arch sae.Config
	shipped := looptest.Shipped(t, "../../cipherimg/sae/weights/sae.mlw", sae.Name, sae.Hint, &arch)
	c.Arch = arch
	withShipped := InitTensors(c) // the decoder is not shipped
	maps.Copy(withShipped, shipped)
	for _, init := range []map[string][]float32{InitTensors(c), withShipped} {
		graphMatchesInference(t, c, init)
	}
}

func graphMatchesInference(t *testing.T, c Config, init map[string][]float32) {
	n, err := NewNet(c, init)
	if err != nil {
		t.Fatal(err)
	}
	x := Batch(c, 5)
	_, code, err := n.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	m := looptest.Reload(t, n.WeightsFile, sae.Decode)
	out := c.Arch.Hidden[len(c.Arch.Hidden)-1]
	for b := 0; b < c.Batch; b++ {
		in := make([]float64, c.Arch.Input)
		for i := range in {
			in[i] = float64(x[b*c.Arch.Input+i])
		}
		z := m.Encode(in)
		for j := range z {
			if d := math.Abs(z[j] - float64(code[b*out+j])); d > 1e-5 {
				t.Fatalf("window %d unit %d: inference %v, graph %v", b, j, z[j], code[b*out+j])
			}
		}
	}
}

// TestTraining: a short run lowers the reconstruction loss, and a run
// stopped at step 3 and resumed gives the same weights as an
// uninterrupted one.
func TestTraining(t *testing.T) {
	c := tinyConfig(t)
	n, err := NewNet(c, InitTensors(c))
	if err != nil {
		t.Fatal(err)
	}
	before, _, _ := n.Run(Batch(c, 1<<20))
	c.Steps, c.LR, c.Batch, c.Warmup, c.Name = 800, 0.03, 64, 50, "long"
	p, err := Train(context.Background(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sae.Decode(looptest.Read(t, p)); err != nil {
		t.Fatal(err)
	}
	rows := strings.Split(strings.TrimSpace(string(looptest.Read(t, filepath.Join(filepath.Dir(p), "losses.csv")))), "\n")
	last := strings.Split(rows[len(rows)-1], ",")
	after, err := strconv.ParseFloat(last[2], 64)
	if err != nil || len(rows) != c.Steps+1 {
		t.Fatalf("losses.csv: %d rows, last %q", len(rows), rows[len(rows)-1])
	}
	if after > 0.6*before {
		t.Errorf("loss %.4f after %d steps, %.4f before: not learning", after, c.Steps, before)
	}
	c.Steps = 6
	looptest.Resume(t, Train, c, 3)
}

func TestConfigRefused(t *testing.T) {
	looptest.Refused(t, LoadConfig, []string{"arch.input=0", "arch.hidden=[]", "batch=0", "steps=0", "unknown=1"}, "../../experiments/sae.json")
}
