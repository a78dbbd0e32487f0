package nnops

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ZeroGrads clears the gradient buffers of params. Gorgonia's tape machine
// adds into them and its own solvers zero them after each step; a loop
// with its own optimiser (every trainer in train/) must zero them before
// every pass, or the gradients grow from step to step.
func ZeroGrads(params []*G.Node) {
	for _, p := range params {
		if gv, err := p.Grad(); err == nil {
			if t, ok := gv.(tensor.Tensor); ok {
				t.Zero()
			}
		}
	}
}

// RunTape runs one forward and backward pass of vm: params' gradients are
// zeroed and the machine reset first.
func RunTape(vm G.VM, params []*G.Node) error {
	ZeroGrads(params)
	vm.Reset()
	return vm.RunAll()
}

// RunInputs sets each node of inputs to a tensor of its shape backed by
// the matching slice of data (gorgonia.Let, no copy), then runs one pass
// of vm (RunTape). It panics when the counts differ (a programmer mistake).
func RunInputs(vm G.VM, params, inputs []*G.Node, data ...[]float32) error {
	if len(inputs) != len(data) {
		panic(fmt.Sprintf("nnops: %d input nodes, %d slices", len(inputs), len(data)))
	}
	for i, in := range inputs {
		if err := G.Let(in, tensor.New(tensor.WithShape(in.Shape()...), tensor.WithBacking(data[i]))); err != nil {
			return fmt.Errorf("failed to set %s: %w", in.Name(), err)
		}
	}
	return RunTape(vm, params)
}

// MSE returns the node of the mean over all elements of (a - b)^2, built
// from gorgonia's Sub, Square and Mean (the trainers' reconstruction loss).
func MSE(a, b *G.Node) (*G.Node, error) {
	d, err := G.Sub(a, b)
	if err != nil {
		return nil, err
	}
	sq, err := G.Square(d)
	if err != nil {
		return nil, err
	}
	return G.Mean(sq)
}

// Values returns the float32 slices backing params' values, the slices an
// optimiser updates in place.
func Values(params []*G.Node) [][]float32 {
	out := make([][]float32, 0, len(params))
	for _, p := range params {
		out = append(out, p.Value().Data().([]float32))
	}
	return out
}

// Grads returns the float32 slices backing params' gradients after a pass.
func Grads(params []*G.Node) ([][]float32, error) {
	out := make([][]float32, 0, len(params))
	for _, p := range params {
		gv, err := p.Grad()
		if err != nil {
			return nil, fmt.Errorf("no gradient for %s: %w", p.Name(), err)
		}
		out = append(out, gv.Data().([]float32))
	}
	return out, nil
}
