// Package model is medqr's learned image codec network: a fully
// convolutional encoder (analysis transform) that maps an 8-bit gray image
// of size H x W (multiples of 16) to a latent of Latent x H/f x W/f (f =
// Config.Factor(), 16 or 8), and a
// decoder (synthesis transform, pixel-shuffle upsampling) that maps the
// dequantised latent back to an image. Both contain a reversible stack of
// additive coupling blocks (RevStack). The package also defines the
// versioned, checksummed weights file (see weights.go) and runs inference in
// pure Go (no gorgonia at run time); package train builds the identical
// network as a gorgonia graph from Config.Params and exports the weights.
//
// Pixel convention: the network sees x = pixel/255 - 0.5 and outputs the
// same scale; Synthesize's result is converted back with clamping.
package model

import (
	"fmt"
	"image"
)

// Model is a loaded network ready for inference. It is safe for concurrent
// use (inference does not modify it).
type Model struct {
	Config Config
	params map[string][]float32
	encRev RevStack
	decRev RevStack
}

// New builds a model from a configuration and a complete set of named
// tensors (as returned by Config.Params).
func New(cfg Config, tensors map[string][]float32) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &Model{Config: cfg, params: map[string][]float32{}}
	for _, p := range cfg.Params() {
		t, ok := tensors[p.Name]
		if !ok {
			return nil, fmt.Errorf("model: missing tensor %q", p.Name)
		}
		if len(t) != size(p.Shape) {
			return nil, fmt.Errorf("model: tensor %q has %d values, want %d", p.Name, len(t), size(p.Shape))
		}
		m.params[p.Name] = t
	}
	if len(tensors) != len(m.params) {
		return nil, fmt.Errorf("model: %d tensors given, architecture has %d", len(tensors), len(m.params))
	}
	m.encRev = m.revStack("encrev", cfg.Enc[2]/2)
	m.decRev = m.revStack("decrev", cfg.Dec[0]/2)
	return m, nil
}

// Tensor returns the named parameter (shared, do not modify).
func (m *Model) Tensor(name string) []float32 { return m.params[name] }

func (m *Model) revStack(prefix string, half int) RevStack {
	s := RevStack{Slope: m.Config.Slope}
	for i := 0; i < m.Config.RevBlocks; i++ {
		res := func(f string) Residual {
			n := fmt.Sprintf("%s.%d.%s", prefix, i, f)
			return Residual{W1: m.params[n+"1.w"], B1: m.params[n+"1.b"], W2: m.params[n+"2.w"], B2: m.params[n+"2.b"], C: half}
		}
		s.Blocks = append(s.Blocks, RevBlock{F: res("f"), G: res("g")})
	}
	return s
}

// EncoderRev and DecoderRev expose the two reversible stacks.
func (m *Model) EncoderRev() *RevStack { return &m.encRev }

// DecoderRev is the decoder's reversible stack.
func (m *Model) DecoderRev() *RevStack { return &m.decRev }

func (m *Model) conv(x *Tensor, name string, out, stride int, act bool) *Tensor {
	y := conv3(x, m.params[name+".w"], m.params[name+".b"], out, stride, nil)
	if act {
		leaky(y, m.Config.Slope)
	}
	return y
}

// Analyze runs the encoder on x (1 x H x W, H and W multiples of 16) and
// returns the continuous latent y (Latent x H/f x W/f).
func (m *Model) Analyze(x *Tensor) (*Tensor, error) {
	c := m.Config
	if x.C != 1 || x.H%Downsampling != 0 || x.W%Downsampling != 0 || x.H == 0 || x.W == 0 {
		return nil, fmt.Errorf("model: encoder input %dx%dx%d must be 1 x (multiple of %d)^2", x.C, x.H, x.W, Downsampling)
	}
	f := c.Factor()
	s4 := 2 // stride of the last encoder stage
	if f == 8 {
		s4 = 1
	}
	h := m.conv(x, "enc1", c.Enc[0], 2, true)
	h = m.conv(h, "enc2", c.Enc[1], 2, true)
	a := m.conv(h, "enc3a", c.Enc[2]/2, 2, true)
	b := m.conv(h, "enc3b", c.Enc[2]/2, 2, true)
	a, b = m.encRev.Forward(a, b)
	y := conv3(a, m.params["enc4a.w"], nil, c.Latent, s4, nil)
	conv3(b, m.params["enc4b.w"], m.params["enc4.b"], c.Latent, s4, y)
	if c.Linear {
		conv3(SpaceToDepth(x, f), m.params["encskip.w"], nil, c.Latent, 1, y)
	}
	return y, nil
}

// Synthesize runs the decoder on a dequantised latent and returns the image
// on the network's scale (1 x 16h x 16w, about -0.5..0.5).
func (m *Model) Synthesize(y *Tensor) (*Tensor, error) {
	c := m.Config
	if y.C != c.Latent || y.H == 0 || y.W == 0 {
		return nil, fmt.Errorf("model: decoder input has %d channels, want %d", y.C, c.Latent)
	}
	d1 := c.Dec[0] / 2
	f := c.Factor()
	var a, b *Tensor
	if f == 8 {
		a = m.conv(y, "dec1a", d1, 1, true)
		b = m.conv(y, "dec1b", d1, 1, true)
	} else {
		a = pixelShuffle(m.conv(y, "dec1a", 4*d1, 1, true))
		b = pixelShuffle(m.conv(y, "dec1b", 4*d1, 1, true))
	}
	a, b = m.decRev.Forward(a, b)
	h := conv3(a, m.params["dec2a.w"], nil, 4*c.Dec[1], 1, nil)
	conv3(b, m.params["dec2b.w"], m.params["dec2.b"], 4*c.Dec[1], 1, h)
	h = pixelShuffle(leaky(h, c.Slope))
	h = pixelShuffle(m.conv(h, "dec3", 4*c.Dec[2], 1, true))
	out := pixelShuffle(m.conv(h, "dec4", 4, 1, false))
	if c.Linear {
		addInto(out, DepthToSpace(conv3(y, m.params["decskip.w"], nil, f*f, 1, nil), f))
	}
	return out, nil
}

// SpaceToDepth rearranges (1, H, W) into (f*f, H/f, W/f): pixel (by*f+i,
// bx*f+j) goes to channel i*f+j at (by, bx).
func SpaceToDepth(x *Tensor, f int) *Tensor {
	u := NewTensor(f*f, x.H/f, x.W/f)
	for y := 0; y < x.H; y++ {
		for xx := 0; xx < x.W; xx++ {
			ch := (y%f)*f + xx%f
			u.Data[(ch*u.H+y/f)*u.W+xx/f] = x.Data[y*x.W+xx]
		}
	}
	return u
}

// DepthToSpace is the inverse of SpaceToDepth.
func DepthToSpace(t *Tensor, f int) *Tensor {
	u := NewTensor(1, t.H*f, t.W*f)
	for y := 0; y < u.H; y++ {
		for xx := 0; xx < u.W; xx++ {
			ch := (y%f)*f + xx%f
			u.Data[y*u.W+xx] = t.Data[(ch*t.H+y/f)*t.W+xx/f]
		}
	}
	return u
}

// FromGray converts an 8-bit image to the network's input scale.
func FromGray(g *image.Gray) *Tensor {
	b := g.Bounds()
	t := NewTensor(1, b.Dy(), b.Dx())
	for y := 0; y < b.Dy(); y++ {
		row := g.Pix[g.PixOffset(b.Min.X, b.Min.Y+y):]
		for x := 0; x < b.Dx(); x++ {
			t.Data[y*t.W+x] = float32(row[x])/255 - 0.5
		}
	}
	return t
}

// ToGray converts the network's output back to 8-bit pixels (rounded and
// clamped).
func ToGray(t *Tensor) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, t.W, t.H))
	for i, v := range t.Data[:t.H*t.W] {
		p := (v+0.5)*255 + 0.5
		switch {
		case p < 0:
			p = 0
		case p > 255:
			p = 255
		}
		g.Pix[i] = uint8(p)
	}
	return g
}
