package train

import (
	"fmt"
	"math"

	"github.com/medqr/medqr/model"
	"github.com/medqr/medqr/train/internal/nnops"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Net is the gorgonia graph of model's architecture for one batch shape,
// with the training losses. Build it once, then for each step set the
// inputs (X, Noise, Mask, Gain), run the machine and read the outputs
// through the Read targets (after a backward pass a node's Value may be
// overwritten, see DESIGN.md section 5).
type Net struct {
	Cfg   model.Config
	Batch int
	Size  int
	G     *G.ExprGraph

	Params []*G.Node // in Cfg.Params() order
	names  []string

	X, Noise, Mask, Gain *G.Node

	Y, Xhat                      *G.Node
	MSE, SSIM, Rate, Decor, Loss *G.Node
	mseV, ssimV, rateV, lossV    G.Value
	yV, xhatV                    G.Value
	decorF64                     *nnops.ScalarValue
	withSSIM, withDecor          bool
	weights                      LossWeights
}

// LossWeights are the weights of the training loss terms.
type LossWeights struct {
	MSE   float64 // mean squared error on [0,1] pixels
	SSIM  float64 // 1 - SSIM (11x11 Gaussian window, sigma 1.5)
	Rate  float64 // rate proxy in bits per pixel
	Decor float64 // off-diagonal channel correlation of the latent
}

func tensorOf(shape []int, data []float32) *tensor.Dense {
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
}

// NewNet builds the graph. init holds the initial parameter values (they
// are copied).
func NewNet(cfg model.Config, batch, size int, w LossWeights, init map[string][]float32) (*Net, error) {
	if size%model.Downsampling != 0 || size <= 0 || batch <= 0 {
		return nil, fmt.Errorf("train: crop size %d must be a positive multiple of %d", size, model.Downsampling)
	}
	n := &Net{Cfg: cfg, Batch: batch, Size: size, G: G.NewGraph(), weights: w}
	g := n.G
	byName := map[string]*G.Node{}
	for _, p := range cfg.Params() {
		v, ok := init[p.Name]
		if !ok {
			return nil, fmt.Errorf("train: no initial value for %q", p.Name)
		}
		shape := p.Shape
		if len(shape) == 1 { // biases broadcast over N, H, W
			shape = []int{1, shape[0], 1, 1}
		}
		data := append([]float32(nil), v...)
		node := G.NewTensor(g, tensor.Float32, 4, G.WithShape(shape...), G.WithName(p.Name), G.WithValue(tensorOf(shape, data)))
		n.Params = append(n.Params, node)
		n.names = append(n.names, p.Name)
		byName[p.Name] = node
	}
	f := cfg.Factor()
	lh := size / f
	s4 := 2
	if f == 8 {
		s4 = 1
	}
	n.X = G.NewTensor(g, tensor.Float32, 4, G.WithShape(batch, 1, size, size), G.WithName("x"), G.WithInit(G.Zeroes()))
	n.Noise = G.NewTensor(g, tensor.Float32, 4, G.WithShape(batch, cfg.Latent, lh, lh), G.WithName("noise"), G.WithInit(G.Zeroes()))
	n.Mask = G.NewTensor(g, tensor.Float32, 4, G.WithShape(batch, cfg.Latent, lh, lh), G.WithName("mask"), G.WithInit(G.Ones()))
	n.Gain = G.NewScalar(g, tensor.Float32, G.WithName("gain"), G.WithValue(float32(1)))

	var build nnops.Builder
	must := build.Node
	var err error
	slope := float64(cfg.Slope)
	act := func(x *G.Node) *G.Node { return must(G.LeakyRelu(x, slope)) }
	// 3x3 convolutions with padding 1 (nnops: one im2col and one product
	// per batch); convB adds the bias of another name (the bias of a sum
	// of two convolutions).
	convB := func(x *G.Node, name, bias string, stride int) *G.Node {
		var b *G.Node
		if bias != "" {
			b = byName[bias+".b"]
		}
		return must(nnops.Conv2d(x, byName[name+".w"], b, stride, 1))
	}
	convNB := func(x *G.Node, name string, stride int) *G.Node { return convB(x, name, "", stride) }
	conv := func(x *G.Node, name string, stride int) *G.Node { return convB(x, name, name, stride) }
	// convAct is act(conv(x)) in one op
	convAct := func(x *G.Node, name string, stride int) *G.Node {
		return must(nnops.Conv2dLeaky(x, byName[name+".w"], byName[name+".b"], stride, 1, slope))
	}
	shuffle := func(x *G.Node) *G.Node {
		s := x.Shape()
		b, c, h, wd := s[0], s[1]/4, s[2], s[3]
		r := must(G.Reshape(x, tensor.Shape{b, c, 2, 2, h, wd}))
		r = must(G.Transpose(r, 0, 1, 4, 2, 5, 3))
		return must(G.Reshape(r, tensor.Shape{b, c, 2 * h, 2 * wd}))
	}
	rev := func(prefix string, a, b *G.Node) (*G.Node, *G.Node) {
		for i := 0; i < cfg.RevBlocks; i++ {
			res := func(f string, x *G.Node) *G.Node {
				nm := fmt.Sprintf("%s.%d.%s", prefix, i, f)
				return conv(convAct(x, nm+"1", 1), nm+"2", 1)
			}
			a = must(G.Add(a, res("f", b)))
			b = must(G.Add(b, res("g", a)))
		}
		return a, b
	}

	// encoder
	h := convAct(n.X, "enc1", 2)
	h = convAct(h, "enc2", 2)
	a := convAct(h, "enc3a", 2)
	b := convAct(h, "enc3b", 2)
	a, b = rev("encrev", a, b)
	y := must(G.Add(convB(a, "enc4a", "enc4", s4), convNB(b, "enc4b", s4)))
	if cfg.Linear {
		// space-to-depth: (B,1,H,W) -> (B,1,H/f,f,W/f,f) -> (B,1,f,f,H/f,W/f) -> (B,f*f,H/f,W/f)
		s2d := must(G.Reshape(n.X, tensor.Shape{batch, 1, lh, f, lh, f}))
		s2d = must(G.Transpose(s2d, 0, 1, 3, 5, 2, 4))
		s2d = must(G.Reshape(s2d, tensor.Shape{batch, f * f, lh, lh}))
		y = must(G.Add(y, convNB(s2d, "encskip", 1)))
	}
	n.Y = y
	// quantisation proxy and erasures: yhat = (y + u/g) * mask
	yq := must(G.HadamardProd(must(G.Add(y, n.Noise)), n.Mask))
	// decoder
	if f == 8 {
		a = convAct(yq, "dec1a", 1)
		b = convAct(yq, "dec1b", 1)
	} else {
		a = shuffle(convAct(yq, "dec1a", 1))
		b = shuffle(convAct(yq, "dec1b", 1))
	}
	a, b = rev("decrev", a, b)
	h = must(G.Add(convB(a, "dec2a", "dec2", 1), convNB(b, "dec2b", 1)))
	h = shuffle(act(h))
	h = shuffle(convAct(h, "dec3", 1))
	n.Xhat = shuffle(conv(h, "dec4", 1))
	if cfg.Linear {
		// depth-to-space: (B,f*f,h,w) -> (B,1,f,f,h,w) -> (B,1,h,f,w,f) -> (B,1,H,W)
		d2s := must(G.Reshape(convNB(yq, "decskip", 1), tensor.Shape{batch, 1, f, f, lh, lh}))
		d2s = must(G.Transpose(d2s, 0, 1, 4, 2, 5, 3))
		d2s = must(G.Reshape(d2s, tensor.Shape{batch, 1, size, size}))
		// Each branch gets its own copy of the incoming gradient (a product
		// with a constant): without it the two reshape/transpose chains
		// share one gradient buffer and gorgonia's in-place backward ops
		// corrupt it (caught by TestGradientsFiniteDifference).
		unit := G.NewConstant(float32(1))
		n.Xhat = must(G.Add(must(G.Mul(n.Xhat, unit)), must(G.Mul(d2s, unit))))
	}
	if err = build.Err(); err != nil {
		return nil, fmt.Errorf("train: failed to build network: %w", err)
	}

	// losses
	n.MSE = must(nnops.MSE(n.Xhat, n.X))
	loss := must(G.Mul(n.MSE, G.NewConstant(float32(w.MSE))))
	// rate proxy: bits ~ log2(1 + |g y|), summed, per image pixel
	gy := must(G.Mul(y, n.Gain))
	one := G.NewConstant(float32(1))
	bits := must(G.Log(must(G.Add(must(G.Abs(gy)), one))))
	perPixel := float32(float64(cfg.Latent) / float64(f*f) / math.Ln2)
	n.Rate = must(G.Mul(must(G.Mean(bits)), G.NewConstant(perPixel)))
	if w.Rate != 0 {
		loss = must(G.Add(loss, must(G.Mul(n.Rate, G.NewConstant(float32(w.Rate))))))
	}
	if w.SSIM != 0 {
		n.withSSIM = true
		n.SSIM, err = ssimNode(g, n.X, n.Xhat, batch, size)
		if err != nil {
			return nil, err
		}
		loss = must(G.Add(loss, must(G.Mul(must(G.Sub(one, n.SSIM)), G.NewConstant(float32(w.SSIM))))))
	}
	if w.Decor != 0 {
		// The decorrelation loss and its analytic gradient with respect to
		// y are computed in Go (decor.go) by an op inside the graph (built
		// from gorgonia's ops its gradient was wrong: see DESIGN.md section
		// 5 and TestGradientsFiniteDifference).
		n.withDecor = true
		hw := lh * lh
		n.Decor, n.decorF64, err = nnops.Scalar(y, "decor", func(v []float32) (float64, []float32) {
			return Decor(v, batch, cfg.Latent, hw)
		})
		if err != nil {
			return nil, fmt.Errorf("train: failed to build the decorrelation loss: %w", err)
		}
		loss = must(G.Add(loss, must(G.Mul(n.Decor, G.NewConstant(float32(w.Decor))))))
	}
	n.Loss = loss
	if err = build.Err(); err != nil {
		return nil, fmt.Errorf("train: failed to build losses: %w", err)
	}
	G.Read(n.MSE, &n.mseV)
	G.Read(n.Rate, &n.rateV)
	G.Read(n.Loss, &n.lossV)
	G.Read(n.Y, &n.yV)
	G.Read(n.Xhat, &n.xhatV)
	if n.withSSIM {
		G.Read(n.SSIM, &n.ssimV)
	}
	if _, err := G.Grad(n.Loss, n.Params...); err != nil {
		return nil, fmt.Errorf("train: failed to differentiate: %w", err)
	}
	return n, nil
}

// ssimNode is the mean SSIM (Wang et al. 2004; 11x11 Gaussian window,
// sigma 1.5, K1 0.01, K2 0.03, L 1) between x and y given on the network's
// scale (pixel/255 - 0.5), over valid windows only.
func ssimNode(g *G.ExprGraph, x, y *G.Node, batch, size int) (*G.Node, error) {
	const k = 11
	win := gaussWindow1D(k, 1.5)
	var build nnops.Builder
	must := build.Node
	blur := func(v *G.Node) *G.Node {
		return must(nnops.Blur(v, win))
	}
	half := G.NewConstant(float32(0.5))
	x = must(G.Add(x, half))
	y = must(G.Add(y, half))
	mx, my := blur(x), blur(y)
	sxx := must(G.Sub(blur(must(G.HadamardProd(x, x))), must(G.HadamardProd(mx, mx))))
	syy := must(G.Sub(blur(must(G.HadamardProd(y, y))), must(G.HadamardProd(my, my))))
	sxy := must(G.Sub(blur(must(G.HadamardProd(x, y))), must(G.HadamardProd(mx, my))))
	c1 := G.NewConstant(float32(0.01 * 0.01))
	c2 := G.NewConstant(float32(0.03 * 0.03))
	two := G.NewConstant(float32(2))
	num := must(G.HadamardProd(
		must(G.Add(must(G.Mul(must(G.HadamardProd(mx, my)), two)), c1)),
		must(G.Add(must(G.Mul(sxy, two)), c2))))
	den := must(G.HadamardProd(
		must(G.Add(must(G.Add(must(G.HadamardProd(mx, mx)), must(G.HadamardProd(my, my)))), c1)),
		must(G.Add(must(G.Add(sxx, syy)), c2))))
	s := must(G.Mean(must(G.HadamardDiv(num, den))))
	return s, build.Err()
}

// gaussWindow1D is the normalised 1-D Gaussian whose outer product with
// itself is SSIM's k x k window.
func gaussWindow1D(k int, sigma float64) []float32 {
	w := make([]float64, k)
	var sum float64
	for i := range w {
		d := float64(i - k/2)
		w[i] = math.Exp(-d * d / (2 * sigma * sigma))
		sum += w[i]
	}
	out := make([]float32, k)
	for i := range w {
		out[i] = float32(w[i] / sum)
	}
	return out
}

// ParamValues copies the current parameter values out of the graph.
func (n *Net) ParamValues() map[string][]float32 {
	m := make(map[string][]float32, len(n.Params))
	for i, p := range n.Params {
		m[n.names[i]] = append([]float32(nil), p.Value().Data().([]float32)...)
	}
	return m
}
