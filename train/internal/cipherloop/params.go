package cipherloop

import (
	"math"
	"math/rand/v2"
	"slices"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Param returns a float32 parameter node of g named name with the given
// shape, holding a copy of init (whose length the caller has checked
// against the shape): how every cipher trainer turns its initial or
// shipped tensors into graph parameters.
func Param(g *G.ExprGraph, name string, init []float32, shape ...int) *G.Node {
	return G.NewTensor(g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName(name),
		G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(slices.Clone(init)))))
}

// GlorotUniform fills w, the fanIn x fanOut weights of a dense layer, with
// Glorot-uniform values: uniform in (-l, l), l = sqrt(6 / (fanIn +
// fanOut)), one rng.Float64 per value in order.
func GlorotUniform(rng *rand.Rand, w []float32, fanIn, fanOut int) {
	lim := math.Sqrt(6 / float64(fanIn+fanOut))
	for i := range w {
		w[i] = float32((2*rng.Float64() - 1) * lim)
	}
}
