package train

import (
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/medqr/medqr/train/internal/nnops"
)

// Machine runs a Net: one forward and backward pass per Step.
type Machine struct {
	Net *Net
	vm  G.VM
	x   *tensor.Dense
	nz  *tensor.Dense
	msk *tensor.Dense
}

// NewMachine compiles the graph.
func NewMachine(n *Net) *Machine {
	lh := n.Size / n.Cfg.Factor()
	m := &Machine{
		Net: n,
		vm:  G.NewTapeMachine(n.G, G.BindDualValues(n.Params...)),
		x:   tensor.New(tensor.WithShape(n.Batch, 1, n.Size, n.Size), tensor.Of(tensor.Float32)),
		nz:  tensor.New(tensor.WithShape(n.Batch, n.Cfg.Latent, lh, lh), tensor.Of(tensor.Float32)),
		msk: tensor.New(tensor.WithShape(n.Batch, n.Cfg.Latent, lh, lh), tensor.Of(tensor.Float32)),
	}
	return m
}

// Close releases the machine.
func (m *Machine) Close() { m.vm.Close() }

// Result holds the scalar outputs of one pass.
type Result struct {
	Loss, MSE, SSIM, Rate, Decor float64
}

// Batch is one training batch on the network's scale.
type Batch struct {
	X     []float32 // batch x 1 x size x size
	Gain  float32
	Noise []float32 // batch x latent x size/f x size/f, uniform in [-0.5,0.5)/gain
	Mask  []float32 // same shape, 1 = kept, 0 = erased
}

// NewBatchAux fills noise and mask for x with gain drawn log-uniformly in
// [gmin, gmax] and each latent value erased with probability erase.
func (n *Net) NewBatchAux(rng *rand.Rand, x []float32, gmin, gmax, erase float64) Batch {
	lh := n.Size / n.Cfg.Factor()
	k := n.Batch * n.Cfg.Latent * lh * lh
	g := gmin * math.Pow(gmax/gmin, rng.Float64())
	b := Batch{X: x, Gain: float32(g), Noise: make([]float32, k), Mask: make([]float32, k)}
	for i := range b.Noise {
		b.Noise[i] = float32((rng.Float64() - 0.5) / g)
		b.Mask[i] = 1
		if erase > 0 && rng.Float64() < erase {
			b.Mask[i] = 0
		}
	}
	return b
}

// Run does a forward and backward pass on b, leaving the gradients in the
// parameter nodes.
func (m *Machine) Run(b Batch) (Result, error) {
	n := m.Net
	copy(m.x.Data().([]float32), b.X)
	copy(m.nz.Data().([]float32), b.Noise)
	copy(m.msk.Data().([]float32), b.Mask)
	if err := G.Let(n.X, m.x); err != nil {
		return Result{}, err
	}
	if err := G.Let(n.Noise, m.nz); err != nil {
		return Result{}, err
	}
	if err := G.Let(n.Mask, m.msk); err != nil {
		return Result{}, err
	}
	if err := G.Let(n.Gain, b.Gain); err != nil {
		return Result{}, err
	}
	// gorgonia accumulates into the parameters' gradient buffers (its own
	// solvers zero them after each step): RunTape zeroes them first.
	if err := nnops.RunTape(m.vm, n.Params); err != nil {
		return Result{}, fmt.Errorf("train: graph run failed: %w", err)
	}
	r := Result{
		Loss: scalar(n.lossV),
		MSE:  scalar(n.mseV),
		Rate: scalar(n.rateV),
	}
	if n.withSSIM {
		r.SSIM = scalar(n.ssimV)
	}
	if n.withDecor {
		r.Decor = n.decorF64.Value()
	}
	if math.IsNaN(r.Loss) || math.IsInf(r.Loss, 0) {
		return r, fmt.Errorf("train: loss is %v", r.Loss)
	}
	return r, nil
}

// Grads returns the parameter gradients of the last Run (shared slices).
func (m *Machine) Grads() ([][]float32, error) {
	g, err := nnops.Grads(m.Net.Params)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	return g, nil
}

// ParamSlices returns the live parameter storage, in Params order.
func (m *Machine) ParamSlices() [][]float32 {
	return nnops.Values(m.Net.Params)
}

// Outputs returns copies of the latent y and the reconstruction of the last
// Run.
func (m *Machine) Outputs() (y, xhat []float32) {
	return append([]float32(nil), m.Net.yV.Data().([]float32)...),
		append([]float32(nil), m.Net.xhatV.Data().([]float32)...)
}

func scalar(v G.Value) float64 {
	if v == nil {
		return math.NaN()
	}
	switch d := v.Data().(type) {
	case float32:
		return float64(d)
	case float64:
		return d
	case []float32:
		return float64(d[0])
	}
	return math.NaN()
}
