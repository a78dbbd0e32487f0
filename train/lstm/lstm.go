// Package lstm trains the network of the "lstm" baseline cipher
// (cipherimg/lstm) with gorgonia: a one-layer LSTM with a linear read-out
// that predicts the next value of the logistic map from the values so far.
//
// Each step draws Batch sequences of Window+1 values, each from its own
// logistic map (mu uniform in [3.99, 4), x0 uniform in (0, 1), 200 values
// discarded), all from a PCG generator seeded by (Seed, step): the network
// reads x_1..x_Window from a zero state and the loss is the mean squared
// error of its predictions of x_2..x_{Window+1}. These training sequences
// never use a cipher key. The run folder (cipherloop) holds run.json with
// the effective config and code version, losses.csv, a checkpoint to resume
// from and lstm.mlw, which Export also copies to the shipped
// cipherimg/lstm/weights/lstm.mlw.
package lstm

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/medqr/medqr/cipherimg/lstm"
	"github.com/medqr/medqr/train"
	"github.com/medqr/medqr/train/internal/cipherloop"
	"github.com/medqr/medqr/train/internal/nnops"
	"github.com/medqr/medqr/train/internal/runio"
)

// Config is one training run (experiments/lstm.json).
type Config struct {
	cipherloop.Folder
	Seed uint64 `json:"seed"`
	// Hidden is the number of LSTM units.
	Hidden int `json:"hidden"`
	// Window is the number of unrolled steps; Batch the sequences per step.
	Window int `json:"window"`
	Batch  int `json:"batch"`
	cipherloop.Schedule
}

// DefaultConfig returns the defaults every config file starts from.
func DefaultConfig() Config {
	return Config{Folder: cipherloop.Folder{Name: "lstm", Out: "results/learnedciphers"}, Seed: 1, Hidden: 8, Window: 16, Batch: 32,
		Schedule: cipherloop.Schedule{Schedule: train.Schedule{Steps: 3000, LR: 1e-2, LRMin: 1e-4, Warmup: 50}, Clip: 1, LogEvery: 250, CkptEvery: 500}}
}

// Validate checks the fields.
func (c Config) Validate() error {
	if err := c.Folder.Validate("train/lstm"); err != nil {
		return err
	}
	switch {
	case c.Window < 1 || c.Window > 256 || c.Batch < 1 || c.Batch > 4096:
		return fmt.Errorf("train/lstm: window %d (1..256) or batch %d (1..4096) out of range", c.Window, c.Batch)
	}
	return runio.Check("train/lstm", (lstm.Config{Hidden: c.Hidden}).Validate(), c.Schedule.Validate())
}

// LoadConfig reads a config file over the defaults and applies key=value
// overrides (unknown keys are errors).
func LoadConfig(path string, sets []string) (Config, error) {
	return runio.LoadConfig("train/lstm", path, sets, DefaultConfig(), Config.Validate)
}

// Net is the unrolled training graph.
type Net struct {
	Cfg    Config
	G      *G.ExprGraph
	Params []*G.Node // wx, wh, b, wy, by (lstm.Config.Specs order)
	Xs, Ts []*G.Node // Window inputs and targets, each Batch x 1
	Ys     []*G.Node
	Loss   *G.Node
	ysV    []G.Value
	lossV  G.Value
	vm     G.VM
}

// InitTensors draws the initial weights (Glorot-uniform, forget-gate bias 1).
func InitTensors(c Config) map[string][]float32 {
	rng := rand.New(rand.NewPCG(c.Seed, 0x15f3))
	h := c.Hidden
	m := map[string][]float32{}
	for _, s := range (lstm.Config{Hidden: h}).Specs() {
		n := 1
		for _, d := range s.Dims {
			n *= d
		}
		t := make([]float32, n)
		if len(s.Dims) == 2 {
			cipherloop.GlorotUniform(rng, t, s.Dims[0], s.Dims[1])
		}
		if s.Name == "b" {
			for k := h; k < 2*h; k++ {
				t[k] = 1
			}
		}
		m[s.Name] = t
	}
	return m
}

// NewNet builds the graph from the given tensors.
func NewNet(c Config, init map[string][]float32) (*Net, error) {
	n := &Net{Cfg: c, G: G.NewGraph()}
	g := n.G
	h, b := c.Hidden, c.Batch
	var build nnops.Builder
	must := build.Node
	for _, s := range (lstm.Config{Hidden: h}).Specs() {
		v := init[s.Name]
		shape := s.Dims
		if len(shape) == 1 {
			shape = []int{1, shape[0]}
		}
		if len(v) != shape[0]*shape[1] {
			return nil, fmt.Errorf("train/lstm: initial tensor %s missing or of the wrong size", s.Name)
		}
		n.Params = append(n.Params, cipherloop.Param(g, s.Name, v, shape...))
	}
	wx, wh, bias, wy, by := n.Params[0], n.Params[1], n.Params[2], n.Params[3], n.Params[4]
	hs := G.NewMatrix(g, tensor.Float32, G.WithShape(b, h), G.WithName("h0"), G.WithInit(G.Zeroes()))
	cs := G.NewMatrix(g, tensor.Float32, G.WithShape(b, h), G.WithName("c0"), G.WithInit(G.Zeroes()))
	var sq []*G.Node
	for t := 0; t < c.Window; t++ {
		x := G.NewMatrix(g, tensor.Float32, G.WithShape(b, 1), G.WithName(fmt.Sprintf("x%d", t)), G.WithInit(G.Zeroes()))
		tg := G.NewMatrix(g, tensor.Float32, G.WithShape(b, 1), G.WithName(fmt.Sprintf("t%d", t)), G.WithInit(G.Zeroes()))
		z := must(G.Add(must(G.Mul(x, wx)), must(G.Mul(hs, wh))))
		z = must(G.BroadcastAdd(z, bias, nil, []byte{0}))
		gate := func(k int) *G.Node { return must(G.Slice(z, nil, G.S(k*h, (k+1)*h))) }
		ig := must(G.Sigmoid(gate(0)))
		fg := must(G.Sigmoid(gate(1)))
		cg := must(G.Tanh(gate(2)))
		og := must(G.Sigmoid(gate(3)))
		cs = must(G.Add(must(G.HadamardProd(fg, cs)), must(G.HadamardProd(ig, cg))))
		hs = must(G.HadamardProd(og, must(G.Tanh(cs))))
		y := must(G.BroadcastAdd(must(G.Mul(hs, wy)), by, nil, []byte{0}))
		n.Xs, n.Ts, n.Ys = append(n.Xs, x), append(n.Ts, tg), append(n.Ys, y)
		sq = append(sq, must(nnops.MSE(y, tg)))
	}
	loss := sq[0]
	for _, s := range sq[1:] {
		loss = must(G.Add(loss, s))
	}
	n.Loss = must(G.Div(loss, G.NewConstant(float32(len(sq)))))
	if err := build.Err(); err != nil {
		return nil, fmt.Errorf("train/lstm: failed to build the graph: %w", err)
	}
	n.ysV = make([]G.Value, len(n.Ys))
	for i, y := range n.Ys {
		G.Read(y, &n.ysV[i])
	}
	G.Read(n.Loss, &n.lossV)
	var err error
	if n.vm, err = nnops.Compile(g, n.Loss, n.Params); err != nil {
		return nil, fmt.Errorf("train/lstm: failed to differentiate: %w", err)
	}
	return n, nil
}

// Run sets the inputs xs[t][batch] and targets, runs forward and backward
// passes and returns the loss and the outputs ys[t][batch].
func (n *Net) Run(xs, ts [][]float32) (float64, [][]float32, error) {
	if err := nnops.RunInputs(n.vm, n.Params, slices.Concat(n.Xs, n.Ts), slices.Concat(xs, ts)...); err != nil {
		return 0, nil, fmt.Errorf("train/lstm: graph run failed: %w", err)
	}
	ys := make([][]float32, len(n.ysV))
	for i, v := range n.ysV {
		ys[i] = append([]float32(nil), v.Data().([]float32)...)
	}
	return float64(n.lossV.Data().(float32)), ys, nil
}

// WeightsFile encodes the current weights as the shipped weights file.
func (n *Net) WeightsFile() ([]byte, error) {
	return cipherloop.WeightsFile(lstm.Name, lstm.Config{Hidden: n.Cfg.Hidden}, n.Params)
}

// Batch draws step s's sequences: inputs xs[t][b] and targets ts[t][b].
func Batch(c Config, s int) (xs, ts [][]float32) {
	rng := rand.New(rand.NewPCG(c.Seed, uint64(s)+1))
	xs, ts = make([][]float32, c.Window), make([][]float32, c.Window)
	for t := range xs {
		xs[t], ts[t] = make([]float32, c.Batch), make([]float32, c.Batch)
	}
	for b := 0; b < c.Batch; b++ {
		o := cipherloop.LogisticOrbit(rng, lstm.MuMin, lstm.MuMax-lstm.MuMin, lstm.ChaosWarmup, c.Window+1)
		for t := range xs {
			xs[t][b], ts[t][b] = float32(o[t]), float32(o[t+1])
		}
	}
	return xs, ts
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
			xs, ts := Batch(c, s)
			loss, _, err := net.Run(xs, ts)
			return loss, err
		},
		Encode: net.WeightsFile}
	return cipherloop.Start(ctx, "lstm", c.Folder, c, c.Schedule, tr, opt)
}

// Options are the run's non-config settings (resume, log, progress bar,
// stop-at).
type Options = cipherloop.Options

// ErrStopped is returned when Options.StopAt ends the run early.
var ErrStopped = cipherloop.ErrStopped
