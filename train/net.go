package train

import (
	"fmt"
	"math"

	"github.com/medqr/medqr/model"
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
	DecorGrad            *G.Node // dDecor/dy, set per step (see decor.go)

	Y, Xhat                           *G.Node
	MSE, SSIM, Rate, Decor, Loss      *G.Node
	mseV, ssimV, rateV, decorV, lossV G.Value
	yV, xhatV                         G.Value
	withSSIM, withDecor               bool
	weights                           LossWeights
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

	var err error
	must := func(v *G.Node, e error) *G.Node {
		if e != nil && err == nil {
			err = e
		}
		return v
	}
	slope := float64(cfg.Slope)
	act := func(x *G.Node) *G.Node { return must(G.LeakyRelu(x, slope)) }
	convNB := func(x *G.Node, name string, stride int) *G.Node {
		return must(G.Conv2d(x, byName[name+".w"], tensor.Shape{3, 3}, []int{1, 1}, []int{stride, stride}, []int{1, 1}))
	}
	addBias := func(x *G.Node, name string) *G.Node {
		return must(G.BroadcastAdd(x, byName[name+".b"], nil, []byte{0, 2, 3}))
	}
	conv := func(x *G.Node, name string, stride int) *G.Node { return addBias(convNB(x, name, stride), name) }
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
				return conv(act(conv(x, nm+"1", 1)), nm+"2", 1)
			}
			a = must(G.Add(a, res("f", b)))
			b = must(G.Add(b, res("g", a)))
		}
		return a, b
	}

	// encoder
	h := act(conv(n.X, "enc1", 2))
	h = act(conv(h, "enc2", 2))
	a := act(conv(h, "enc3a", 2))
	b := act(conv(h, "enc3b", 2))
	a, b = rev("encrev", a, b)
	y := addBias(must(G.Add(convNB(a, "enc4a", s4), convNB(b, "enc4b", s4))), "enc4")
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
		a = act(conv(yq, "dec1a", 1))
		b = act(conv(yq, "dec1b", 1))
	} else {
		a = shuffle(act(conv(yq, "dec1a", 1)))
		b = shuffle(act(conv(yq, "dec1b", 1)))
	}
	a, b = rev("decrev", a, b)
	h = addBias(must(G.Add(convNB(a, "dec2a", 1), convNB(b, "dec2b", 1))), "dec2")
	h = shuffle(act(h))
	h = shuffle(act(conv(h, "dec3", 1)))
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
	if err != nil {
		return nil, fmt.Errorf("train: failed to build network: %w", err)
	}

	// losses
	diff := must(G.Sub(n.Xhat, n.X))
	n.MSE = must(G.Mean(must(G.Square(diff))))
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
		// The decorrelation loss and its gradient with respect to y are
		// computed in Go (decor.go) from the same batch; the graph adds the
		// linear term sum(y * dDecor/dy) * weight, whose gradient is exactly
		// the loss's gradient for every encoder parameter. (Building it from
		// gorgonia's ops gave wrong gradients: see DESIGN.md section 5 and
		// TestGradientsFiniteDifference.)
		n.withDecor = true
		n.DecorGrad = G.NewTensor(g, tensor.Float32, 4, G.WithShape(batch, cfg.Latent, lh, lh), G.WithName("decor.grad"), G.WithInit(G.Zeroes()))
		n.Decor = must(G.Sum(must(G.HadamardProd(y, n.DecorGrad))))
		loss = must(G.Add(loss, must(G.Mul(n.Decor, G.NewConstant(float32(w.Decor))))))
	}
	n.Loss = loss
	if err != nil {
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
	if n.withDecor {
		G.Read(n.Decor, &n.decorV)
	}
	if n.withDecor {
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
	win := gaussWindow(k, 1.5)
	kern := G.NewTensor(g, tensor.Float32, 4, G.WithShape(1, 1, k, k), G.WithName("ssim.window"), G.WithValue(tensorOf([]int{1, 1, k, k}, win)))
	var err error
	must := func(v *G.Node, e error) *G.Node {
		if e != nil && err == nil {
			err = e
		}
		return v
	}
	blur := func(v *G.Node) *G.Node {
		return must(G.Conv2d(v, kern, tensor.Shape{k, k}, []int{0, 0}, []int{1, 1}, []int{1, 1}))
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
	return s, err
}

func gaussWindow(k int, sigma float64) []float32 {
	w := make([]float64, k)
	var sum float64
	for i := range w {
		d := float64(i - k/2)
		w[i] = math.Exp(-d * d / (2 * sigma * sigma))
		sum += w[i]
	}
	out := make([]float32, k*k)
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			out[i*k+j] = float32(w[i] * w[j] / (sum * sum))
		}
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
