package iwave

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/medqr/medqr/internal/detnn"
)

// PostFilter is the decoder-side refinement network: a fully convolutional
// residual CNN. Its input is two planes, the decoded image scaled to
// x/255 - 0.5 and a constant plane (s-StepRef)/256 telling it the step
// index s, so one network serves every budget. Layers are 3x3 convolutions
// with zero padding and bias; every layer but the last is followed by a
// leaky ReLU. The last layer's single output plane, times 255, is added to
// the decoded image.
type PostFilter struct {
	Config FilterConfig
	// W[l] has shape out x in x 3 x 3, B[l] has out entries.
	W, B [][]float32
	id   [2]byte
	sum  [32]byte
}

// FilterConfig is the post-filter architecture, stored in the weights file.
type FilterConfig struct {
	// Channels is the width of the hidden layers.
	Channels int `json:"channels"`
	// Layers is the number of convolutions (>= 2).
	Layers int `json:"layers"`
	// Leak is the leaky ReLU slope for negative inputs.
	Leak float64 `json:"leak"`
}

// StepRef centres the step plane: the step index near the QR budgets for a
// 256x256 X-ray.
const StepRef = 2240

// InputPlanes is the number of input planes of the post-filter.
const InputPlanes = 2

// Validate checks the architecture.
func (c FilterConfig) Validate() error {
	if c.Channels < 1 || c.Channels > 256 {
		return fmt.Errorf("post-filter channels %d out of range 1..256", c.Channels)
	}
	if c.Layers < 2 || c.Layers > 16 {
		return fmt.Errorf("post-filter layers %d out of range 2..16", c.Layers)
	}
	if c.Leak < 0 || c.Leak >= 1 || math.IsNaN(c.Leak) {
		return fmt.Errorf("post-filter leak %v out of range [0, 1)", c.Leak)
	}
	return nil
}

// Shapes returns the (in, out) channel counts of each layer.
func (c FilterConfig) Shapes() [][2]int {
	s := make([][2]int, c.Layers)
	for l := range s {
		in, out := c.Channels, c.Channels
		if l == 0 {
			in = InputPlanes
		}
		if l == c.Layers-1 {
			out = 1
		}
		s[l] = [2]int{in, out}
	}
	return s
}

// TensorNames lists the weight tensors in file order: w0, b0, w1, b1, ...
func (c FilterConfig) TensorNames() []string {
	var n []string
	for l := 0; l < c.Layers; l++ {
		n = append(n, fmt.Sprintf("w%d", l), fmt.Sprintf("b%d", l))
	}
	return n
}

// ID returns the first two bytes of the SHA-256 of the weights file the
// filter was loaded from (written into every payload).
func (pf *PostFilter) ID() [2]byte { return pf.id }

// Weights file: the container of wfile.go with magic "MEDQRIW\x00", the
// JSON FilterConfig and tensors w0, b0, w1, b1, ... (2 x layers).
const (
	weightsMagic = "MEDQRIW\x00"
	// WeightsVersion is the weights file format version.
	WeightsVersion = 1
	// RegenerateHint names the command that rebuilds the shipped weights.
	RegenerateHint = "run `make train-iwave` (or `make train`) to regenerate model/iwave/weights/"
	maxWeights     = 64 << 20
)

// ErrWeights is wrapped by every weights-file error.
var ErrWeights = errors.New("iwave: bad weights file")

func weightsErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s (%s)", ErrWeights, fmt.Sprintf(format, args...), RegenerateHint)
}

func (c FilterConfig) dims(name string) []int {
	var l int
	var kind byte
	if _, err := fmt.Sscanf(name, "%c%d", &kind, &l); err != nil || l < 0 || l >= c.Layers {
		return nil
	}
	s := c.Shapes()[l]
	if kind == 'w' {
		return []int{s[1], s[0], 3, 3}
	}
	return []int{s[1]}
}

func (c FilterConfig) specs() []tensorSpec {
	var out []tensorSpec
	for _, n := range c.TensorNames() {
		out = append(out, tensorSpec{n, c.dims(n)})
	}
	return out
}

// EncodeWeights serialises a post-filter; tensors maps TensorNames to values.
func EncodeWeights(cfg FilterConfig, tensors map[string][]float32) ([]byte, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return encodeWeightsFile(weightsMagic, WeightsVersion, cfg, cfg.specs(), tensors)
}

// DecodeWeights parses and checks a weights file.
func DecodeWeights(b []byte) (*PostFilter, error) {
	var cfg FilterConfig
	tensors, err := decodeWeightsFile(b, weightsMagic, WeightsVersion, "", &cfg)
	if err != nil {
		return nil, err
	}
	pf := &PostFilter{Config: cfg, W: make([][]float32, cfg.Layers), B: make([][]float32, cfg.Layers), id: sha2(b), sum: sha256.Sum256(b)}
	for l := range cfg.Layers {
		pf.W[l], pf.B[l] = tensors[fmt.Sprintf("w%d", l)], tensors[fmt.Sprintf("b%d", l)]
	}
	return pf, nil
}

// Planes builds the network input for a decoded image x (0..255 scale) at
// step index s: two planes of w*h values.
func Planes(x []float64, s int) []float32 {
	in := make([]float32, 2*len(x))
	sv := float32(float64(s-StepRef) / 256)
	for i, v := range x {
		in[i] = float32(v/255 - 0.5)
		in[len(x)+i] = sv
	}
	return in
}

// Residual runs the network on planes (InputPlanes x h x w) and returns its
// output plane (h x w), in the network's units (1 = 255 grey levels).
func (pf *PostFilter) Residual(planes []float32, w, h int) []float32 {
	n := w * h
	return pf.residual(w, h, func(c, y int, row []float32) {
		copy(row, planes[c*n+y*w:c*n+y*w+w])
	})
}

// residual runs the network on the input planes that fill writes, one row
// y of plane c at a time, and returns the output plane (h x w). Every layer
// reads and writes planes with a one-pixel zero border (conv3Padded), so
// no layer copies its input or output; the two buffers come from a pool.
func (pf *PostFilter) residual(w, h int, fill func(c, y int, row []float32)) []float32 {
	pw := w + 2
	pn := pw * (h + 2)
	width := max(InputPlanes, pf.Config.Channels)
	a, b := getPlanes(width*pn), getPlanes(width*pn)
	defer putPlanes(a)
	defer putPlanes(b)
	src, dst := *a, *b
	// Pooled buffers hold the last call's planes: the borders must be 0.
	// Everything else a layer reads is written first (the input planes
	// by fill, a layer's output span by conv3Padded), and the border
	// columns inside a layer's span are zeroed after it (below), so only
	// the input planes need all their border columns zeroed here.
	zeroBorders(src, width, InputPlanes, w, h)
	zeroBorders(dst, width, 0, w, h)
	for c := range InputPlanes {
		for y := range h {
			fill(c, y, src[c*pn+(y+1)*pw+1:c*pn+(y+1)*pw+1+w])
		}
	}
	leak := float32(pf.Config.Leak)
	for l, s := range pf.Config.Shapes() {
		conv3Padded(src, dst, pf.W[l], pf.B[l], s[0], s[1], w, h)
		if l < pf.Config.Layers-1 {
			// The span each output plane was written over (rows 1..h,
			// with the border columns between rows, which collected
			// values that are dropped): leaky ReLU, then the border
			// columns are zeroed again for the next layer.
			span := (h-1)*pw + w
			for o := range s[1] {
				acc := dst[o*pn+pw+1 : o*pn+pw+1+span]
				leakyReLU32(acc, leak)
				for y := range h - 1 {
					acc[y*pw+w], acc[y*pw+w+1] = 0, 0
				}
			}
		}
		src, dst = dst, src
	}
	out := make([]float32, w*h)
	for y := range h {
		copy(out[y*w:y*w+w], src[(y+1)*pw+1:])
	}
	return out
}

// zeroBorders zeroes what a layer's span never writes of the first
// planes (h+2) x (w+2) of buf: the top and bottom rows, the first column
// of the first row and the last column of the last row; and for the first
// full planes every border column.
func zeroBorders(buf []float32, planes, full, w, h int) {
	pw := w + 2
	pn := pw * (h + 2)
	for p := range planes {
		plane := buf[p*pn : (p+1)*pn]
		clear(plane[:pw])
		clear(plane[(h+1)*pw:])
		plane[pw], plane[h*pw+w+1] = 0, 0
		if p < full {
			for y := 1; y <= h; y++ {
				plane[y*pw], plane[y*pw+w+1] = 0, 0
			}
		}
	}
}

// leakyReLU32 sets every v[i] < 0 to v[i]*leak: detnn.LeakyReLU32, which
// for 0 < leak < 1 takes max(v, v*leak) without a branch (32 values a
// step on amd64 with AVX); only a NaN may come out as another NaN
// (TestLeakyReLU32).
func leakyReLU32(v []float32, leak float32) { detnn.LeakyReLU32(v, leak) }

// planePool holds the post-filter's layer buffers between calls, so a
// decode does not allocate (and collect) a plane stack per layer.
var planePool sync.Pool // *[]float32

func getPlanes(n int) *[]float32 {
	if p, ok := planePool.Get().(*[]float32); ok && cap(*p) >= n {
		*p = (*p)[:n]
		return p
	}
	s := make([]float32, n)
	return &s
}

func putPlanes(p *[]float32) { planePool.Put(p) }

// Apply refines a decoded image x (0..255 scale, step index s): x plus
// the whole residual (Residual255).
func (pf *PostFilter) Apply(x []float64, w, h, s int) []float64 {
	return addResidual(x, pf.Residual255(x, w, h, s), GainUnit)
}

// Residual255 runs the network on a decoded image x (0..255 scale, step
// index s) and returns its output in grey levels (255 times the network's
// units): what Apply adds to x, and what a version-4 payload's gain scales.
func (pf *PostFilter) Residual255(x []float64, w, h, s int) []float64 {
	sv := float32(float64(s-StepRef) / 256)
	r := pf.residual(w, h, func(c, y int, row []float32) {
		if c == 1 {
			for i := range row {
				row[i] = sv
			}
			return
		}
		for i, v := range x[y*w : y*w+w] {
			row[i] = float32(v/255 - 0.5) // as Planes
		}
	})
	out := make([]float64, len(x))
	for i, v := range r {
		// The product is rounded on its own (an explicit conversion), so no
		// processor fuses it with the addition in addResidual: the same
		// bits everywhere.
		out[i] = float64(255 * float64(v))
	}
	return out
}

// conv3 is a 3x3 convolution with zero padding (cross-correlation, as in
// gorgonia's Conv2d) of in (cin x h x w) with wt (cout x cin x 3 x 3): the
// planes are copied into planes with a one-pixel zero border, convolved by
// conv3Padded and cropped.
func conv3(in, wt, bias []float32, cin, cout, w, h int) []float32 {
	n := w * h
	pw := w + 2
	pn := pw * (h + 2)
	pad := make([]float32, cin*pn)
	for c := 0; c < cin; c++ {
		for y := 0; y < h; y++ {
			copy(pad[c*pn+(y+1)*pw+1:], in[c*n+y*w:c*n+y*w+w])
		}
	}
	dst := make([]float32, cout*pn)
	conv3Padded(pad, dst, wt, bias, cin, cout, w, h)
	out := make([]float32, cout*n)
	for o := 0; o < cout; o++ {
		for y := 0; y < h; y++ {
			copy(out[o*n+y*w:o*n+y*w+w], dst[o*pn+(y+1)*pw+1:])
		}
	}
	return out
}

// conv3Padded convolves the cin planes of pad, each (h+2) x (w+2) with a
// zero border, with wt (cout x cin x 3 x 3) into the cout planes of dst,
// laid out the same way. It writes each output plane's span, rows 1..h
// with the border columns between rows (which collect values to be
// dropped); dst's other border pixels are left as they are.
//
// Each tap is one shifted multiply-add (detnn.SaxpyTapsPlanes, which
// applies a tap to four output planes at once: a product rounded, then
// added, as Saxpy and the scalar loop round), every output
// pixel receiving bias + the taps in the same order (input plane, then ky,
// then kx) as a direct loop, so the result is bit-identical to one.
func conv3Padded(pad, dst, wt, bias []float32, cin, cout, w, h int) {
	pw := w + 2
	pn := pw * (h + 2)
	span := (h-1)*pw + w
	// Tap t = c*9 + (ky+1)*3 + kx+1 of every output reads input plane c
	// shifted by off[t] (zero weights are skipped by SaxpyTapsPlanes).
	off := make([]int, cin*9)
	for c := 0; c < cin; c++ {
		for ky := -1; ky <= 1; ky++ {
			for kx := -1; kx <= 1; kx++ {
				off[c*9+(ky+1)*3+kx+1] = c*pn + pw + 1 + ky*pw + kx
			}
		}
	}
	// The span is worked through in blocks of convBlock outputs, every
	// output plane's block before the next block, so a block's
	// accumulators stay in the first-level cache and its input rows in the
	// second across all taps and outputs. Blocking changes which pixels a
	// call touches, not the order of any pixel's sums.
	// Each block's accumulators start as a copy of its output plane's
	// bias (memmove, several values a cycle, where a loop stores one).
	block := min(convBlock, span)
	biasRows := getPlanes(cout * block)
	defer putPlanes(biasRows)
	for o := range cout {
		row := (*biasRows)[o*block : (o+1)*block]
		for i := range row {
			row[i] = bias[o]
		}
	}
	for j0 := 0; j0 < span; j0 += convBlock {
		n := min(convBlock, span-j0)
		for o := 0; o < cout; o++ {
			copy(dst[o*pn+pw+1+j0:o*pn+pw+1+j0+n], (*biasRows)[o*block:o*block+n])
		}
		detnn.SaxpyTapsPlanes(wt, off, pad[j0:cin*pn], dst[pw+1+j0:(cout-1)*pn+pw+1+j0+n], cout, n, pn)
	}
}

// convBlock is conv3Padded's block of outputs: 4 KiB of accumulators.
const convBlock = 1024

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }
