// Package sae trains the stacked autoencoder of the "sae" baseline cipher
// (cipherimg/sae) with gorgonia: sigmoid encoder layers Input -> Hidden...
// and a mirrored sigmoid decoder, trained end to end to reconstruct windows
// of Input successive logistic-map values (mean squared error).
//
// Each step draws Batch windows, each from its own logistic map (mu uniform
// in [3.99, 4), x0 uniform in (0, 1), 200 values discarded), from a PCG
// generator seeded by (Seed, step); no cipher key is ever used. The run
// folder (cipherloop) holds run.json with the effective config and code
// version, losses.csv, a checkpoint to resume from and sae.mlw (the encoder
// only), which Export also copies to cipherimg/sae/weights/sae.mlw.
package sae

import (
	"context"
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/medqr/medqr/cipherimg/sae"
	"github.com/medqr/medqr/train"
	"github.com/medqr/medqr/train/internal/cipherloop"
	"github.com/medqr/medqr/train/internal/nnops"
	"github.com/medqr/medqr/train/internal/runio"
)

// Config is one training run (experiments/sae.json).
type Config struct {
	cipherloop.Folder
	Seed uint64 `json:"seed"`
	// Arch is the encoder (the decoder mirrors it).
	Arch  sae.Config `json:"arch"`
	Batch int        `json:"batch"`
	cipherloop.Schedule
}

// DefaultConfig returns the defaults every config file starts from.
func DefaultConfig() Config {
	return Config{Folder: cipherloop.Folder{Name: "sae", Out: "results/learnedciphers"}, Seed: 1,
		Arch: sae.Config{Input: 16, Hidden: []int{12, 8}}, Batch: 64,
		Schedule: cipherloop.Schedule{Schedule: train.Schedule{Steps: 3000, LR: 1e-2, LRMin: 1e-4, Warmup: 50}, Clip: 1, LogEvery: 250, CkptEvery: 500}}
}

// Validate checks the fields.
func (c Config) Validate() error {
	if err := c.Folder.Validate("train/sae"); err != nil {
		return err
	}
	switch {
	case c.Batch < 1 || c.Batch > 65536:
		return fmt.Errorf("train/sae: batch %d outside 1..65536", c.Batch)
	}
	return runio.Check("train/sae", c.Arch.Validate(), c.Schedule.Validate())
}

// LoadConfig reads a config file over the defaults and applies key=value
// overrides (unknown keys are errors).
func LoadConfig(path string, sets []string) (Config, error) {
	return runio.LoadConfig("train/sae", path, sets, DefaultConfig(), Config.Validate)
}

// layers returns the (in, out) widths of every encoder then decoder layer.
func layers(a sae.Config) [][2]int {
	w := a.Widths()
	var l [][2]int
	for i := 0; i+1 < len(w); i++ {
		l = append(l, [2]int{w[i], w[i+1]})
	}
	for i := len(w) - 1; i > 0; i-- {
		l = append(l, [2]int{w[i], w[i-1]})
	}
	return l
}

// Net is the training graph: input X (Batch x Input), the code and the
// reconstruction.
type Net struct {
	Cfg          Config
	G            *G.ExprGraph
	Params       []*G.Node // w0, b0, w1, b1, ... encoder then decoder
	X            *G.Node
	Code, Loss   *G.Node
	codeV, lossV G.Value
	vm           G.VM
}

// InitTensors draws the initial weights (Glorot-uniform, zero biases) of
// every layer, keyed w0, b0, ... (encoder first).
func InitTensors(c Config) map[string][]float32 {
	rng := rand.New(rand.NewPCG(c.Seed, 0x5ae))
	m := map[string][]float32{}
	for l, io := range layers(c.Arch) {
		w := make([]float32, io[0]*io[1])
		cipherloop.GlorotUniform(rng, w, io[0], io[1])
		m[fmt.Sprintf("w%d", l)] = w
		m[fmt.Sprintf("b%d", l)] = make([]float32, io[1])
	}
	return m
}

// NewNet builds the graph from the given tensors.
func NewNet(c Config, init map[string][]float32) (*Net, error) {
	n := &Net{Cfg: c, G: G.NewGraph()}
	g := n.G
	var build nnops.Builder
	must := build.Node
	n.X = G.NewMatrix(g, tensor.Float32, G.WithShape(c.Batch, c.Arch.Input), G.WithName("x"), G.WithInit(G.Zeroes()))
	h := n.X
	ls := layers(c.Arch)
	for l, io := range ls {
		wn, bn := fmt.Sprintf("w%d", l), fmt.Sprintf("b%d", l)
		if len(init[wn]) != io[0]*io[1] || len(init[bn]) != io[1] {
			return nil, fmt.Errorf("train/sae: initial tensors of layer %d missing or of the wrong size", l)
		}
		w := cipherloop.Param(g, wn, init[wn], io[0], io[1])
		b := cipherloop.Param(g, bn, init[bn], 1, io[1])
		n.Params = append(n.Params, w, b)
		h = must(G.Sigmoid(must(G.BroadcastAdd(must(G.Mul(h, w)), b, nil, []byte{0}))))
		if l == len(ls)/2-1 {
			n.Code = h
		}
	}
	n.Loss = must(nnops.MSE(h, n.X))
	if err := build.Err(); err != nil {
		return nil, fmt.Errorf("train/sae: failed to build the graph: %w", err)
	}
	G.Read(n.Code, &n.codeV)
	G.Read(n.Loss, &n.lossV)
	var err error
	if n.vm, err = nnops.Compile(g, n.Loss, n.Params); err != nil {
		return nil, fmt.Errorf("train/sae: failed to differentiate: %w", err)
	}
	return n, nil
}

// Run sets the input (Batch x Input, row-major), runs forward and backward
// passes and returns the loss and the code (Batch x Hidden[last]).
func (n *Net) Run(x []float32) (float64, []float32, error) {
	if err := nnops.RunInputs(n.vm, n.Params, []*G.Node{n.X}, x); err != nil {
		return 0, nil, fmt.Errorf("train/sae: graph run failed: %w", err)
	}
	return float64(n.lossV.Data().(float32)), append([]float32(nil), n.codeV.Data().([]float32)...), nil
}

// WeightsFile encodes the encoder's current weights as the shipped weights
// file (the decoder is not shipped).
func (n *Net) WeightsFile() ([]byte, error) {
	return cipherloop.WeightsFile(sae.Name, n.Cfg.Arch, n.Params)
}

// Batch draws step s's windows (Batch x Input, row-major).
func Batch(c Config, s int) []float32 {
	rng := rand.New(rand.NewPCG(c.Seed, uint64(s)+1))
	x := make([]float32, c.Batch*c.Arch.Input)
	for b := 0; b < c.Batch; b++ {
		for i, v := range cipherloop.LogisticOrbit(rng, sae.MuMin, sae.MuMax-sae.MuMin, sae.ChaosWarmup, c.Arch.Input) {
			x[b*c.Arch.Input+i] = float32(v)
		}
	}
	return x
}

// Train runs (or resumes) the training and returns the weights file written
// in the run folder.
func Train(ctx context.Context, c Config, opt Options) (string, error) {
	if err := c.Validate(); err != nil {
		return "", err
	}
	net, err := NewNet(c, InitTensors(c))
	if err != nil {
		return "", err
	}
	tr := &cipherloop.OneGroup{Params: net.Params, Loss: "mse",
		Pass: func(s int) (float64, error) {
			loss, _, err := net.Run(Batch(c, s))
			return loss, err
		},
		Encode: net.WeightsFile}
	return cipherloop.Start(ctx, "sae", c.Folder, c, c.Schedule, tr, opt)
}

// Options are the run's non-config settings (resume, log, progress bar,
// stop-at).
type Options = cipherloop.Options

// ErrStopped is returned when Options.StopAt ends the run early.
var ErrStopped = cipherloop.ErrStopped
