package iwave

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
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
	cur := planes
	for l, s := range pf.Config.Shapes() {
		cur = conv3(cur, pf.W[l], pf.B[l], s[0], s[1], w, h)
		if l < pf.Config.Layers-1 {
			leak := float32(pf.Config.Leak)
			for i, v := range cur {
				if v < 0 {
					cur[i] = v * leak
				}
			}
		}
	}
	return cur
}

// Apply refines a decoded image x (0..255 scale, step index s).
func (pf *PostFilter) Apply(x []float64, w, h, s int) []float64 {
	r := pf.Residual(Planes(x, s), w, h)
	out := make([]float64, len(x))
	for i := range x {
		// The product is rounded on its own (an explicit conversion), so no
		// processor fuses it with the addition: the same bits everywhere.
		out[i] = x[i] + float64(255*float64(r[i]))
	}
	return out
}

// conv3 is a 3x3 convolution with zero padding (cross-correlation, as in
// gorgonia's Conv2d) of in (cin x h x w) with wt (cout x cin x 3 x 3).
//
// The input planes are copied into planes with a one-pixel zero border, so
// each tap is one shifted multiply-add over the whole plane (gonum's
// Saxpy: SIMD multiply, then add, rounding as the scalar loop does); the
// border columns collect values that are dropped. Every output pixel
// receives bias + the taps in the same order (input plane, then ky, then
// kx) as a direct loop, so the result is bit-identical to one.
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
	// Outputs at padded positions pw+1 .. pw+1+span-1: rows 1..h, with
	// the border columns between rows in the span.
	span := (h-1)*pw + w
	acc := make([]float32, span)
	out := make([]float32, cout*n)
	for o := 0; o < cout; o++ {
		for i := range acc {
			acc[i] = bias[o]
		}
		for c := 0; c < cin; c++ {
			ip := pad[c*pn : (c+1)*pn]
			k := wt[(o*cin+c)*9 : (o*cin+c)*9+9]
			for ky := -1; ky <= 1; ky++ {
				for kx := -1; kx <= 1; kx++ {
					kv := k[(ky+1)*3+kx+1]
					if kv == 0 {
						continue
					}
					off := pw + 1 + ky*pw + kx
					gemm.Saxpy(span, kv, ip[off:off+span], 1, acc, 1)
				}
			}
		}
		for y := 0; y < h; y++ {
			copy(out[o*n+y*w:o*n+y*w+w], acc[y*pw:y*pw+w])
		}
	}
	return out
}

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }
