package nnops

import (
	"fmt"
	"hash"
	"hash/fnv"
	"io"
	"math"
	"sync"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"

	"github.com/medqr/medqr/train/internal/sgemm"
)

// opTraits are the gorgonia.Op methods every op here shares: a Go op that
// returns a value it owns and overwrites no input, identified by its hash
// key (unique per op: it holds the op's sequence number).
type opTraits struct{ key string }

func (t opTraits) ReturnsPtr() bool      { return false }
func (t opTraits) CallsExtern() bool     { return false }
func (t opTraits) OverwritesInput() int  { return -1 }
func (t opTraits) WriteHash(h hash.Hash) { io.WriteString(h, t.key) }
func (t opTraits) Hashcode() uint32 {
	h := fnv.New32a()
	io.WriteString(h, t.key)
	return h.Sum32()
}

func traits(format string, a ...any) opTraits { return opTraits{fmt.Sprintf(format, a...)} }

// fnType is the type of an op of n tensor inputs of dims dimensions
// returning one such tensor.
func fnType(dims, n int) hm.Type {
	t := G.TensorType{Dims: dims, Of: hm.TypeVariable('a')}
	ts := make([]hm.Type, n+1)
	for i := range ts {
		ts[i] = t
	}
	return hm.NewFnType(ts...)
}

// xwGrads applies the gradient ops of a product op with inputs (x, w[, b]):
// gx (inputs w, output, grad) only when wantDX, gw (inputs x, output, grad)
// and, when not nil, gb (inputs output, grad). Every gradient op reads the
// output (the activation's mask), so gorgonia keeps it intact until they
// have run.
func xwGrads(inputs G.Nodes, output, grad *G.Node, wantDX bool, gx, gw, gb G.Op) (G.Nodes, error) {
	out := make(G.Nodes, len(inputs))
	var err error
	if wantDX {
		if out[0], err = G.ApplyOp(gx, inputs[1], output, grad); err != nil {
			return nil, err
		}
	}
	if out[1], err = G.ApplyOp(gw, inputs[0], output, grad); err != nil {
		return nil, err
	}
	if gb != nil {
		if out[2], err = G.ApplyOp(gb, output, grad); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// f32 returns v's float32 data, checking its length.
func f32(v G.Value, n int) ([]float32, error) {
	d, ok := v.Data().([]float32)
	if !ok {
		return nil, fmt.Errorf("nnops: want float32 data, got %T", v.Data())
	}
	if len(d) != n {
		return nil, fmt.Errorf("nnops: value has %d elements, want %d", len(d), n)
	}
	return d, nil
}

// f32Pair is f32 of two values: u of nu elements and v of nv.
func f32Pair(u, v G.Value, nu, nv int) ([]float32, []float32, error) {
	a, err := f32(u, nu)
	if err != nil {
		return nil, nil, err
	}
	b, err := f32(v, nv)
	if err != nil {
		return nil, nil, err
	}
	return a, b, nil
}

// forImages runs fn for every image index in [0, b), spread over
// goroutines when the per-image work is large enough.
func forImages(b, perImage int, fn func(i int)) {
	p := sgemm.Workers(b * perImage)
	if p > b {
		p = b
	}
	if p <= 1 {
		for i := 0; i < b; i++ {
			fn(i)
		}
		return
	}
	var wg sync.WaitGroup
	for w := 0; w < p; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < b; i += p {
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// one is the bit pattern of float32(1).
const one = 0x3f800000

// leaky returns the leaky ReLU's derivative at an output (or input) v: 1
// where v > 0 and the slope (given as its bit pattern) elsewhere, chosen
// with integer operations: the signs are random, so a branch would be
// mispredicted half the time (Go does not use conditional moves on floats).
func leaky(v float32, slopeBits uint32) float32 {
	b := int32(math.Float32bits(v))
	mask := uint32(((b - 1) | b) >> 31) // all ones when v <= 0 (or -0, or negative NaN)
	return math.Float32frombits(one ^ ((one ^ slopeBits) & mask))
}
