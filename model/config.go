package model

import (
	"fmt"
)

// Config is the architecture of the learned codec. It is stored in the
// weights file, so inference always rebuilds the network the weights were
// trained for.
type Config struct {
	// Enc are the widths of the three first encoder stages; the third is
	// split into two halves that run through the encoder's reversible stack.
	Enc [3]int `json:"enc"`
	// Down is the downsampling factor between image and latent, 16 (four
	// stride-2 stages) or 8 (three; the last encoder stage keeps stride 1
	// and the first decoder stage does not upsample). 0 means 16.
	Down int `json:"down"`
	// Latent is the number of latent channels M (latent is H/Down x W/Down x M).
	Latent int `json:"latent"`
	// Dec are the widths of the decoder stages at H/8 (split into two halves
	// for the decoder's reversible stack), H/4 and H/2.
	Dec [3]int `json:"dec"`
	// RevBlocks is the number of additive coupling blocks in each
	// reversible stack.
	RevBlocks int `json:"rev_blocks"`
	// Linear adds a linear path beside each network: the encoder adds a
	// 3x3 convolution of the image's 16x16 space-to-depth rearrangement (a
	// learned lapped block transform) to the latent, and the decoder adds
	// the depth-to-space rearrangement of a 3x3 convolution of the latent
	// to its output. The nonlinear networks then learn only what the linear
	// transform misses, which trains much faster.
	Linear bool `json:"linear"`
	// Slope is the negative slope of the leaky rectifier.
	Slope float32 `json:"slope"`
	// GainMin and GainMax bound the quantisation gain g used for rate
	// control: the latent is coded as round(g*y). Training samples g in
	// this range (log-uniformly), so the decoder knows every step in it.
	GainMin float64 `json:"gain_min"`
	GainMax float64 `json:"gain_max"`
}

// DefaultConfig is the architecture of the shipped weights.
func DefaultConfig() Config {
	return Config{
		Enc:       [3]int{16, 32, 64},
		Down:      16,
		Latent:    48,
		Dec:       [3]int{64, 32, 16},
		RevBlocks: 1,
		Linear:    true,
		Slope:     0.1,
		GainMin:   0.3,
		GainMax:   2.5,
	}
}

// Downsampling is the largest factor between image and latent side
// lengths; images are padded to multiples of it.
const Downsampling = 16

// Factor is the downsampling factor between image and latent side lengths.
func (c Config) Factor() int {
	if c.Down == 0 {
		return 16
	}
	return c.Down
}

// Validate reports an architecture that cannot be built.
func (c Config) Validate() error {
	for i, v := range c.Enc {
		if v <= 0 || v > 1024 {
			return fmt.Errorf("model: encoder width %d = %d out of range", i, v)
		}
	}
	for i, v := range c.Dec {
		if v <= 0 || v > 1024 {
			return fmt.Errorf("model: decoder width %d = %d out of range", i, v)
		}
	}
	if c.Enc[2]%2 != 0 || c.Dec[0]%2 != 0 {
		return fmt.Errorf("model: reversible stages need even widths (enc %d, dec %d)", c.Enc[2], c.Dec[0])
	}
	if c.Down != 0 && c.Down != 8 && c.Down != 16 {
		return fmt.Errorf("model: down %d must be 8 or 16", c.Down)
	}
	if c.Latent <= 0 || c.Latent > 1024 {
		return fmt.Errorf("model: latent channels %d out of range", c.Latent)
	}
	if c.RevBlocks < 0 || c.RevBlocks > 16 {
		return fmt.Errorf("model: rev_blocks %d out of range", c.RevBlocks)
	}
	if !(c.Slope >= 0 && c.Slope < 1) {
		return fmt.Errorf("model: slope %v out of range [0,1)", c.Slope)
	}
	if !(c.GainMin > 0 && c.GainMax >= c.GainMin && c.GainMax < 1e6) {
		return fmt.Errorf("model: gain range [%v, %v] invalid", c.GainMin, c.GainMax)
	}
	return nil
}

// Param names one learnable tensor and its shape.
type Param struct {
	Name  string
	Shape []int
}

// Params lists the learnable tensors of the architecture in a fixed order.
// Convolution kernels have shape (out, in, 3, 3) and biases (out). The
// training graph and the pure-Go inference both build from this list;
// learned_params in train/torchref/twins.py mirrors it line for line, on
// purpose, for the PyTorch twin.
func (c Config) Params() []Param {
	var ps []Param
	conv := func(name string, out, in int) {
		ps = append(ps, Param{name + ".w", []int{out, in, 3, 3}})
	}
	bias := func(name string, out int) {
		ps = append(ps, Param{name + ".b", []int{out}})
	}
	cb := func(name string, out, in int) { conv(name, out, in); bias(name, out) }
	rev := func(prefix string, half int) {
		for i := 0; i < c.RevBlocks; i++ {
			for _, f := range []string{"f", "g"} {
				cb(fmt.Sprintf("%s.%d.%s1", prefix, i, f), half, half)
				cb(fmt.Sprintf("%s.%d.%s2", prefix, i, f), half, half)
			}
		}
	}
	e1, e2, e3 := c.Enc[0], c.Enc[1], c.Enc[2]/2
	d1, d2, d3 := c.Dec[0]/2, c.Dec[1], c.Dec[2]
	cb("enc1", e1, 1)
	cb("enc2", e2, e1)
	cb("enc3a", e3, e2)
	cb("enc3b", e3, e2)
	rev("encrev", e3)
	conv("enc4a", c.Latent, e3)
	conv("enc4b", c.Latent, e3)
	bias("enc4", c.Latent)
	up1 := 4 // the first decoder stage upsamples by pixel shuffle at Down 16
	if c.Factor() == 8 {
		up1 = 1
	}
	cb("dec1a", up1*d1, c.Latent)
	cb("dec1b", up1*d1, c.Latent)
	rev("decrev", d1)
	conv("dec2a", 4*d2, d1)
	conv("dec2b", 4*d2, d1)
	bias("dec2", 4*d2)
	cb("dec3", 4*d3, d2)
	cb("dec4", 4, d3)
	if c.Linear {
		f := c.Factor()
		conv("encskip", c.Latent, f*f)
		conv("decskip", f*f, c.Latent)
	}
	return ps
}

// NumParams is the number of scalars in the architecture.
func (c Config) NumParams() int {
	n := 0
	for _, p := range c.Params() {
		n += size(p.Shape)
	}
	return n
}

func size(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}
