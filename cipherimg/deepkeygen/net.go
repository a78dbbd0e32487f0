package deepkeygen

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/medqr/medqr/internal/detnn"
)

// Config is the generator architecture stored in the weights file.
type Config struct {
	// Channels is C, the width of the full-resolution layers; the
	// down-sampled layers and residual blocks have 2C.
	Channels int `json:"channels"`
	// Blocks is the number of residual blocks.
	Blocks int `json:"blocks"`
}

// Validate checks the architecture.
func (c Config) Validate() error {
	if c.Channels < 1 || c.Channels > 64 || c.Blocks < 0 || c.Blocks > 16 {
		return fmt.Errorf("channels %d (1..64) or blocks %d (0..16) out of range", c.Channels, c.Blocks)
	}
	return nil
}

// Layer is one 3x3 convolution of the generator.
type Layer struct {
	Name    string
	In, Out int
	Stride  int // 1 or 2
	Up      bool
}

// Layers lists the generator's convolutions in order: c0 (1 -> C), d1 and
// d2 (stride 2, to 2C), r<k>a and r<k>b for each residual block, u1 and u2
// (each after a nearest-neighbour 2x up-sampling, back to C) and out
// (C -> 1).
func (c Config) Layers() []Layer {
	ch := c.Channels
	ls := []Layer{{"c0", 1, ch, 1, false}, {"d1", ch, 2 * ch, 2, false}, {"d2", 2 * ch, 2 * ch, 2, false}}
	for k := 0; k < c.Blocks; k++ {
		ls = append(ls, Layer{fmt.Sprintf("r%da", k), 2 * ch, 2 * ch, 1, false}, Layer{fmt.Sprintf("r%db", k), 2 * ch, 2 * ch, 1, false})
	}
	return append(ls, Layer{"u1", 2 * ch, ch, 1, true}, Layer{"u2", ch, ch, 1, true}, Layer{"out", ch, 1, 1, false})
}

// Specs lists the tensors: for each layer, <name>.w (out x in x 3 x 3) and
// <name>.b (out).
func (c Config) Specs() []detnn.Tensor {
	var s []detnn.Tensor
	for _, l := range c.Layers() {
		s = append(s, detnn.Tensor{Name: l.Name + ".w", Dims: []int{l.Out, l.In, 3, 3}}, detnn.Tensor{Name: l.Name + ".b", Dims: []int{l.Out}})
	}
	return s
}

// Model is a loaded generator.
type Model struct {
	Cfg Config
	w   map[string][]float64
}

// Decode parses a weights file.
func Decode(b []byte) (*Model, error) {
	var cfg Config
	ts, err := detnn.DecodeWeights(b, Name, Hint, &cfg)
	if err != nil {
		return nil, err
	}
	return &Model{Cfg: cfg, w: ts}, nil
}

// plane is a stack of ch feature maps of h x w, channel-major.
type plane struct {
	ch, h, w int
	v        []float64
}

// conv3 is a 3x3 convolution with zero padding 1 and the given stride
// (cross-correlation, as gorgonia's Conv2d). Each output value is
// b + sum over (input channel, ky, kx) in that order of w*x, every product
// rounded on its own; output channels are spread over goroutines, which
// does not change any value.
func conv3(in plane, wt, bias []float64, out, stride int) plane {
	oh, ow := (in.h-1)/stride+1, (in.w-1)/stride+1
	res := plane{out, oh, ow, make([]float64, out*oh*ow)}
	work := func(o int) {
		dst := res.v[o*oh*ow : (o+1)*oh*ow]
		for i := range dst {
			dst[i] = bias[o]
		}
		for i := 0; i < in.ch; i++ {
			src := in.v[i*in.h*in.w : (i+1)*in.h*in.w]
			for ky := 0; ky < 3; ky++ {
				for kx := 0; kx < 3; kx++ {
					wv := wt[((o*in.ch+i)*3+ky)*3+kx]
					for y := 0; y < oh; y++ {
						sy := y*stride + ky - 1
						if sy < 0 || sy >= in.h {
							continue
						}
						row := src[sy*in.w : (sy+1)*in.w]
						d := dst[y*ow : (y+1)*ow]
						for x := range d {
							sx := x*stride + kx - 1
							if sx < 0 || sx >= in.w {
								continue
							}
							d[x] += float64(wv * row[sx])
						}
					}
				}
			}
		}
	}
	workers := min(out, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	next := make(chan int)
	for k := 0; k < workers; k++ {
		wg.Go(func() {
			for o := range next {
				work(o)
			}
		})
	}
	for o := 0; o < out; o++ {
		next <- o
	}
	close(next)
	wg.Wait()
	return res
}

func relu(p plane) plane {
	for i, v := range p.v {
		if v < 0 {
			p.v[i] = 0
		}
	}
	return p
}

func upsample(p plane) plane {
	r := plane{p.ch, 2 * p.h, 2 * p.w, make([]float64, 4*len(p.v))}
	for c := 0; c < p.ch; c++ {
		for y := 0; y < r.h; y++ {
			for x := 0; x < r.w; x++ {
				r.v[(c*r.h+y)*r.w+x] = p.v[(c*p.h+y/2)*p.w+x/2]
			}
		}
	}
	return r
}

// Forward runs the generator on one s x s image with values in [-1, 1]
// (s a multiple of 4) and returns the s x s output in (-1, 1).
func (m *Model) Forward(x []float64, s int) []float64 {
	if s%4 != 0 || len(x) != s*s {
		panic("deepkeygen: Forward needs an s x s input, s a multiple of 4")
	}
	h := plane{1, s, s, x}
	var skip plane
	for _, l := range m.Cfg.Layers() {
		if l.Up {
			h = upsample(h)
		}
		if l.Name[0] == 'r' && l.Name[len(l.Name)-1] == 'a' {
			skip = h
		}
		h = conv3(h, m.w[l.Name+".w"], m.w[l.Name+".b"], l.Out, l.Stride)
		switch {
		case l.Name == "out":
			for i, v := range h.v {
				h.v[i] = detnn.Tanh(v)
			}
		case l.Name[0] == 'r' && l.Name[len(l.Name)-1] == 'b':
			for i := range h.v {
				h.v[i] += skip.v[i]
			}
		default:
			relu(h)
		}
	}
	return h.v
}
