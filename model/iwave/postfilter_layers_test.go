package iwave

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/medqr/medqr/internal/cputime"
)

// residualLayers is the post-filter run the plain way, layer by layer
// over freshly allocated planes (conv3, then the leaky ReLU on every layer
// but the last): the reference for residual, which reuses pooled planes
// and zeroes only their borders.
func residualLayers(pf *PostFilter, planes []float32, w, h int) []float32 {
	x := planes
	for l, s := range pf.Config.Shapes() {
		x = conv3(x, pf.W[l], pf.B[l], s[0], s[1], w, h)
		if l < pf.Config.Layers-1 {
			leakyReLU32(x, float32(pf.Config.Leak))
		}
	}
	return x
}

// stripTestFilter is a post-filter of the given shape with random weights,
// about a fifth of them zero (SaxpyTaps skips those).
func stripTestFilter(r *rand.Rand, cfg FilterConfig) *PostFilter {
	pf := &PostFilter{Config: cfg}
	for _, s := range cfg.Shapes() {
		wt := make([]float32, s[1]*s[0]*9)
		for i := range wt {
			if r.IntN(5) > 0 {
				wt[i] = float32(r.NormFloat64() / 3)
			}
		}
		b := make([]float32, s[1])
		for i := range b {
			b[i] = float32(r.NormFloat64() / 10)
		}
		pf.W, pf.B = append(pf.W, wt), append(pf.B, b)
	}
	return pf
}

// TestResidualMatchesLayers: residual gives the bits of the plain
// layer-by-layer run for the shipped filter on an X-ray-sized image and
// for random filters of 2 to 5 layers on images from 1x1 to wider than a
// convolution block, each run twice, on pooled planes that the previous
// (larger or smaller) image left dirty.
func TestResidualMatchesLayers(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 11))
	type tc struct {
		pf   *PostFilter
		w, h int
	}
	var cases []tc
	if c := Default(); c != nil && c.PostFilter() != nil {
		cases = append(cases, tc{c.PostFilter(), 256, 256}, tc{c.PostFilter(), 97, 31})
	}
	for _, sz := range [][2]int{{1, 1}, {1, 9}, {9, 1}, {5, 3}, {31, 17}, {64, 64}, {300, 11}, {1100, 5}, {40, 130}} {
		cfg := FilterConfig{Channels: 1 + r.IntN(12), Layers: 2 + r.IntN(4), Leak: []float64{0, 0.1, 0.3}[r.IntN(3)]}
		cases = append(cases, tc{stripTestFilter(r, cfg), sz[0], sz[1]})
	}
	for _, c := range cases {
		planes := make([]float32, InputPlanes*c.w*c.h)
		for i := range planes {
			planes[i] = float32(r.NormFloat64() / 4)
		}
		want := residualLayers(c.pf, planes, c.w, c.h)
		for run := range 2 { // the second run gets the first's pooled planes
			got := c.pf.Residual(planes, c.w, c.h)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%+v on %dx%d (run %d): output %d (%d, %d) is %v, layer by layer %v",
						c.pf.Config, c.w, c.h, run, i, i%c.w, i/c.w, got[i], want[i])
				}
			}
		}
	}
}

// BenchmarkResidual256 runs the shipped post-filter on one 256x256 image
// (what one encrypt or decrypt runs once), reporting CPU time.
func BenchmarkResidual256(b *testing.B) {
	c := Default()
	if c == nil || c.PostFilter() == nil {
		b.Skip("no shipped post-filter")
	}
	x := make([]float64, 256*256)
	r := rand.New(rand.NewPCG(16, 12))
	for i := range x {
		x[i] = float64(r.IntN(256))
	}
	start := cputime.Now()
	for b.Loop() {
		c.PostFilter().Residual255(x, 256, 256, StepRef)
	}
	cputime.ReportMillis(b, start)
}
