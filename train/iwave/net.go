package iwave

import (
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/medqr/medqr/model/iwave"
	"github.com/medqr/medqr/train/internal/nnops"
)

// Net is the post-filter's training graph: input planes X (batch x 2 x
// crop x crop), target residual T (batch x 1 x crop x crop, the original
// minus the decoded image in units of 255 grey levels), the residual the
// filter predicts and the MSE loss.
type Net struct {
	Cfg         iwave.FilterConfig
	Batch, Size int
	G           *G.ExprGraph
	Params      []*G.Node // w0, b0, w1, b1, ...
	X, T        *G.Node
	Out, Loss   *G.Node
	outV, lossV G.Value
	vm          G.VM
}

// NewNet builds the graph with the given initial tensors (keyed by
// FilterConfig.TensorNames); withGrad adds the backward pass.
func NewNet(cfg iwave.FilterConfig, batch, size int, init map[string][]float32, withGrad bool) (*Net, error) {
	n := &Net{Cfg: cfg, Batch: batch, Size: size, G: G.NewGraph()}
	g := n.G
	shapes := cfg.Shapes()
	var build nnops.Builder
	must := build.Node
	for l, s := range shapes {
		wn, bn := fmt.Sprintf("w%d", l), fmt.Sprintf("b%d", l)
		wv, bv := init[wn], init[bn]
		if len(wv) != s[1]*s[0]*9 || len(bv) != s[1] {
			return nil, fmt.Errorf("train/iwave: initial tensors of layer %d missing or of the wrong size", l)
		}
		w := G.NewTensor(g, tensor.Float32, 4, G.WithShape(s[1], s[0], 3, 3), G.WithName(wn),
			G.WithValue(tensor.New(tensor.WithShape(s[1], s[0], 3, 3), tensor.WithBacking(append([]float32(nil), wv...)))))
		b := G.NewTensor(g, tensor.Float32, 4, G.WithShape(1, s[1], 1, 1), G.WithName(bn),
			G.WithValue(tensor.New(tensor.WithShape(1, s[1], 1, 1), tensor.WithBacking(append([]float32(nil), bv...)))))
		n.Params = append(n.Params, w, b)
	}
	n.X = G.NewTensor(g, tensor.Float32, 4, G.WithShape(batch, iwave.InputPlanes, size, size), G.WithName("x"), G.WithInit(G.Zeroes()))
	n.T = G.NewTensor(g, tensor.Float32, 4, G.WithShape(batch, 1, size, size), G.WithName("target"), G.WithInit(G.Zeroes()))
	h := n.X
	for l := range shapes {
		if l < len(shapes)-1 {
			h = must(nnops.Conv2dLeaky(h, n.Params[2*l], n.Params[2*l+1], 1, 1, cfg.Leak))
		} else {
			h = must(nnops.Conv2d(h, n.Params[2*l], n.Params[2*l+1], 1, 1))
		}
	}
	n.Out = h
	n.Loss = must(nnops.MSE(h, n.T))
	if err := build.Err(); err != nil {
		return nil, fmt.Errorf("train/iwave: failed to build the graph: %w", err)
	}
	G.Read(n.Out, &n.outV)
	G.Read(n.Loss, &n.lossV)
	if withGrad {
		var err error
		if n.vm, err = nnops.Compile(g, n.Loss, n.Params); err != nil {
			return nil, fmt.Errorf("train/iwave: failed to differentiate: %w", err)
		}
	} else {
		n.vm = G.NewTapeMachine(g)
	}
	return n, nil
}

// Run sets the inputs, runs the graph (forward, and backward if built with
// gradients) and returns the loss and the output residual.
func (n *Net) Run(x, t []float32) (float64, []float32, error) {
	if err := nnops.RunInputs(n.vm, n.Params, []*G.Node{n.X, n.T}, x, t); err != nil {
		return 0, nil, fmt.Errorf("train/iwave: graph run failed: %w", err)
	}
	loss := float64(n.lossV.Data().(float32))
	out := append([]float32(nil), n.outV.Data().([]float32)...)
	return loss, out, nil
}

// Tensors returns the current parameter values keyed by tensor name (biases
// flattened to their channel count).
func (n *Net) Tensors() map[string][]float32 {
	m := map[string][]float32{}
	for i, name := range n.Cfg.TensorNames() {
		m[name] = append([]float32(nil), n.Params[i].Value().Data().([]float32)...)
	}
	return m
}

// InitTensors draws the initial weights: He-normal hidden layers, a zero last
// layer (so the untrained filter is the identity), zero biases.
func InitTensors(cfg iwave.FilterConfig, seed uint64) map[string][]float32 {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	m := map[string][]float32{}
	for l, s := range cfg.Shapes() {
		w := make([]float32, s[1]*s[0]*9)
		if l < cfg.Layers-1 {
			sd := math.Sqrt(2 / (9 * float64(s[0]) * (1 + cfg.Leak*cfg.Leak)))
			for i := range w {
				w[i] = float32(rng.NormFloat64() * sd)
			}
		}
		m[fmt.Sprintf("w%d", l)] = w
		m[fmt.Sprintf("b%d", l)] = make([]float32, s[1])
	}
	return m
}

// adam is Adam (Kingma and Ba 2015) with global-norm gradient clipping,
// applied in place to the parameter values after a backward pass.
type adam struct {
	M, V [][]float32
	T    int
	clip float64
	b1   float64
	b2   float64
	eps  float64
}

func newAdam(params []*G.Node, clip float64) *adam {
	a := &adam{clip: clip, b1: 0.9, b2: 0.999, eps: 1e-8}
	for _, p := range params {
		k := p.Shape().TotalSize()
		a.M = append(a.M, make([]float32, k))
		a.V = append(a.V, make([]float32, k))
	}
	return a
}

// step updates params with their gradients at learning rate lr and returns
// the gradient norm before clipping.
func (a *adam) step(params []*G.Node, lr float64) (float64, error) {
	grads := make([][]float32, len(params))
	var ss float64
	for i, p := range params {
		gv, err := p.Grad()
		if err != nil {
			return 0, fmt.Errorf("train/iwave: no gradient for %s: %w", p.Name(), err)
		}
		grads[i] = gv.Data().([]float32)
		for _, g := range grads[i] {
			ss += float64(g) * float64(g)
		}
	}
	norm := math.Sqrt(ss)
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		return norm, fmt.Errorf("train/iwave: non-finite gradient norm")
	}
	scale := 1.0
	if norm > a.clip {
		scale = a.clip / norm
	}
	a.T++
	c1 := 1 - math.Pow(a.b1, float64(a.T))
	c2 := 1 - math.Pow(a.b2, float64(a.T))
	for i, p := range params {
		w := p.Value().Data().([]float32)
		m, v := a.M[i], a.V[i]
		for j, g := range grads[i] {
			gs := float64(g) * scale
			mj := a.b1*float64(m[j]) + (1-a.b1)*gs
			vj := a.b2*float64(v[j]) + (1-a.b2)*gs*gs
			m[j], v[j] = float32(mj), float32(vj)
			w[j] -= float32(lr * (mj / c1) / (math.Sqrt(vj/c2) + a.eps))
		}
	}
	return norm, nil
}
