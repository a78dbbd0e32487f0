package nnops

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Builder keeps the first error of the node constructors a graph is built
// with, so that the graph reads as nested calls checked once at the end:
//
//	var build nnops.Builder
//	must := build.Node
//	h := must(G.Sigmoid(must(G.Mul(x, w))))
//	if err := build.Err(); err != nil {
//		return fmt.Errorf("failed to build the graph: %w", err)
//	}
//
// A constructor that fails returns a nil node and the ones built on it fail
// in turn; only the first error is kept.
type Builder struct{ err error }

// Node returns v and keeps e if it is the first error.
func (b *Builder) Node(v *G.Node, e error) *G.Node {
	b.Keep(e)
	return v
}

// Keep records e unless it is nil or an earlier error is kept, for
// constructors that return more than a node (Scalar).
func (b *Builder) Keep(e error) {
	if e != nil && b.err == nil {
		b.err = e
	}
}

// Err returns the first error kept, or nil.
func (b *Builder) Err() error { return b.err }

// Compile adds the backward pass of loss with respect to params to g
// (gorgonia.Grad) and returns a tape machine for g that keeps params'
// gradients beside their values (BindDualValues): the machine RunTape and
// RunInputs run. The error is gorgonia.Grad's, for the caller to name.
func Compile(g *G.ExprGraph, loss *G.Node, params []*G.Node) (G.VM, error) {
	if _, err := G.Grad(loss, params...); err != nil {
		return nil, err
	}
	return G.NewTapeMachine(g, G.BindDualValues(params...)), nil
}

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
