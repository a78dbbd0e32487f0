package cipherloop

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
)

// TestParam: the node has the name and shape asked for and holds a copy
// of init, for the ranks the trainers use (a row, a matrix, a 4-D
// convolution kernel).
func TestParam(t *testing.T) {
	for _, c := range []struct {
		name  string
		shape []int
	}{
		{"by", []int{1, 1}},
		{"w0", []int{3, 2}},
		{"g.d0.w", []int{2, 1, 3, 3}},
	} {
		size := 1
		for _, d := range c.shape {
			size *= d
		}
		init := make([]float32, size)
		for i := range init {
			init[i] = float32(i) + 0.5
		}
		want := slices.Clone(init)
		p := Param(G.NewGraph(), c.name, init, c.shape...)
		init[0] = -1
		if p.Name() != c.name || !slices.Equal([]int(p.Shape()), c.shape) || p.Dims() != len(c.shape) {
			t.Errorf("%s: node %s of shape %v (%d dims), want shape %v", c.name, p.Name(), p.Shape(), p.Dims(), c.shape)
		}
		if got := p.Value().Data().([]float32); !slices.Equal(got, want) {
			t.Errorf("%s: value %v, want %v (a copy of init)", c.name, got, want)
		}
	}
}

// TestGlorotUniform: the values are the Glorot-uniform formula written
// out, one draw per value, all inside the limit.
func TestGlorotUniform(t *testing.T) {
	for _, c := range []struct{ in, out int }{{1, 32}, {8, 32}, {16, 12}, {12, 16}} {
		w := make([]float32, c.in*c.out)
		GlorotUniform(rand.New(rand.NewPCG(7, uint64(c.in))), w, c.in, c.out)
		rng := rand.New(rand.NewPCG(7, uint64(c.in)))
		lim := math.Sqrt(6 / float64(c.in+c.out))
		for i, v := range w {
			if want := float32((2*rng.Float64() - 1) * lim); v != want || math.Abs(float64(v)) > lim {
				t.Fatalf("%dx%d: value %d is %v, want %v within +-%v", c.in, c.out, i, v, want, lim)
			}
		}
	}
}
