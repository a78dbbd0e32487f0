package nnops

import (
	"fmt"
	"hash/fnv"
	"math"
	"sync"

	G "gorgonia.org/gorgonia"

	"github.com/medqr/medqr/train/internal/sgemm"
)

func hashOf(op G.Op) uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
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
