package attacks

import (
	"context"
	"fmt"
	"image"
	"math"
	"math/rand/v2"

	"github.com/medqr/medqr/eval"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Pair is one known (plain, cipher) pair of the same size.
type Pair struct {
	Plain, Cipher *image.Gray
}

// LearnedResult is what a network trained on known pairs achieves on cipher
// images it never saw, beside the trivial baseline that ignores the cipher
// image and answers the mean training plaintext.
type LearnedResult struct {
	Scheme       string    `json:"scheme"`
	Nonce        string    `json:"nonce"` // "fixed" (same key and nonce) or "fresh"
	Size         int       `json:"size"`
	Train        int       `json:"train_pairs"`
	Test         int       `json:"test_images"`
	Epochs       int       `json:"epochs"`
	Params       int       `json:"params"`
	EpochLoss    []float64 `json:"epoch_loss"` // mean training MSE per epoch, pixels in [0, 1]
	NetPSNR      Num       `json:"net_psnr_db"`
	NetSSIM      Num       `json:"net_ssim"`
	BasePSNR     Num       `json:"baseline_psnr_db"`
	BaseSSIM     Num       `json:"baseline_ssim"`
	NetExact     float64   `json:"net_exact_pixels"` // fraction of test pixels the network gets exactly
	GainPSNR     Num       `json:"gain_db"`          // NetPSNR - BasePSNR
	TrainSeconds float64   `json:"-"`
}

// kpaNet is the known-plaintext network: the cipher image as bit planes
// (one +-1 input per bit, 8 per pixel) through one dense layer to the
// plaintext pixels in [0, 1]. A linear map of the bits is enough to invert
// "permute, then XOR a fixed keystream" exactly (plain bit = k xor c bit is
// affine in c), so the network can learn any scheme of that shape from
// enough pairs; a scheme with real diffusion leaves it no better than the
// mean image.
type kpaNet struct {
	g        *G.ExprGraph
	x, y     *G.Node
	w, b     *G.Node
	out      *G.Node
	loss     *G.Node
	lossVal  G.Value
	vm       G.VM
	features int
	pixels   int
	batch    int
}

func newKPANet(pixels, batch int, mean []float32) (*kpaNet, error) {
	n := &kpaNet{g: G.NewGraph(), features: 8 * pixels, pixels: pixels, batch: batch}
	n.x = G.NewMatrix(n.g, tensor.Float32, G.WithShape(batch, n.features), G.WithName("cipher_bits"))
	n.y = G.NewMatrix(n.g, tensor.Float32, G.WithShape(batch, pixels), G.WithName("plain"))
	n.w = G.NewMatrix(n.g, tensor.Float32, G.WithShape(n.features, pixels), G.WithName("w"), G.WithInit(G.Zeroes()))
	n.b = G.NewVector(n.g, tensor.Float32, G.WithShape(pixels), G.WithName("b"),
		G.WithValue(tensor.New(tensor.WithShape(pixels), tensor.WithBacking(append([]float32(nil), mean...)))))
	if err := n.fwd(); err != nil {
		return nil, err
	}
	if _, err := G.Grad(n.loss, n.w, n.b); err != nil {
		return nil, fmt.Errorf("attacks: learned attack gradient: %w", err)
	}
	n.vm = G.NewTapeMachine(n.g, G.BindDualValues(n.w, n.b))
	return n, nil
}

func (n *kpaNet) learnables() []*G.Node { return []*G.Node{n.w, n.b} }

func (n *kpaNet) fwd() error {
	xw, err := G.Mul(n.x, n.w)
	if err != nil {
		return fmt.Errorf("attacks: x*w: %w", err)
	}
	if n.out, err = G.BroadcastAdd(xw, n.b, nil, []byte{0}); err != nil {
		return fmt.Errorf("attacks: +b: %w", err)
	}
	diff, err := G.Sub(n.out, n.y)
	if err != nil {
		return err
	}
	sq, err := G.Square(diff)
	if err != nil {
		return err
	}
	if n.loss, err = G.Mean(sq); err != nil {
		return err
	}
	G.Read(n.loss, &n.lossVal)
	return nil
}

// predict runs the trained layer in plain Go (the inference the attacker
// would ship), from the graph's current weights.
func (n *kpaNet) predict(c *image.Gray) []float32 {
	w := n.w.Value().Data().([]float32)
	b := n.b.Value().Data().([]float32)
	out := append([]float32(nil), b...)
	for j, v := range c.Pix {
		for bit := range 8 {
			s := float32(-1)
			if v>>bit&1 == 1 {
				s = 1
			}
			row := w[(j*8+bit)*n.pixels : (j*8+bit+1)*n.pixels]
			for i, wi := range row {
				out[i] += s * wi
			}
		}
	}
	return out
}

func bitFeatures(dst []float32, c *image.Gray) {
	for j, v := range c.Pix {
		for bit := range 8 {
			if v>>bit&1 == 1 {
				dst[j*8+bit] = 1
			} else {
				dst[j*8+bit] = -1
			}
		}
	}
}

// LearnedAttack trains the network on train and scores it on test (plain
// images are the truth, cipher images the input). Training order comes from
// rng; the result is deterministic for a given seed and data.
func LearnedAttack(ctx context.Context, rng *rand.Rand, train, test []Pair, epochs, batch int, lr float64, progress func()) (*LearnedResult, error) {
	if len(train) < batch || len(test) == 0 {
		return nil, fmt.Errorf("attacks: learned attack needs at least %d training pairs and one test pair, got %d and %d", batch, len(train), len(test))
	}
	side := train[0].Plain.Rect.Dx()
	pixels := len(train[0].Plain.Pix)
	for _, p := range append(append([]Pair(nil), train...), test...) {
		if len(p.Plain.Pix) != pixels || len(p.Cipher.Pix) != pixels || p.Plain.Stride != side || p.Cipher.Stride != side {
			return nil, fmt.Errorf("attacks: learned attack pairs must all be %dx%d with a packed stride", side, pixels/side)
		}
	}
	mean := make([]float32, pixels)
	meanImg := image.NewGray(train[0].Plain.Rect)
	{
		acc := make([]float64, pixels)
		for _, p := range train {
			for i, v := range p.Plain.Pix {
				acc[i] += float64(v)
			}
		}
		for i := range acc {
			mean[i] = float32(acc[i] / float64(len(train)) / 255)
			meanImg.Pix[i] = clamp8(acc[i] / float64(len(train)))
		}
	}
	net, err := newKPANet(pixels, batch, mean)
	if err != nil {
		return nil, err
	}
	defer net.vm.Close()
	solver := G.NewAdamSolver(G.WithLearnRate(lr))
	xb := make([]float32, batch*net.features)
	yb := make([]float32, batch*pixels)
	xt := tensor.New(tensor.WithShape(batch, net.features), tensor.WithBacking(xb))
	yt := tensor.New(tensor.WithShape(batch, pixels), tensor.WithBacking(yb))
	res := &LearnedResult{Size: side, Train: len(train), Test: len(test), Epochs: epochs, Params: net.features*pixels + pixels}
	order := make([]int, len(train))
	for i := range order {
		order[i] = i
	}
	for ep := 0; ep < epochs; ep++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		var sum float64
		steps := len(order) / batch
		for s := range steps {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			for k := range batch {
				p := train[order[s*batch+k]]
				bitFeatures(xb[k*net.features:(k+1)*net.features], p.Cipher)
				for i, v := range p.Plain.Pix {
					yb[k*pixels+i] = float32(v) / 255
				}
			}
			if err := G.Let(net.x, xt); err != nil {
				return nil, err
			}
			if err := G.Let(net.y, yt); err != nil {
				return nil, err
			}
			if err := net.vm.RunAll(); err != nil {
				return nil, fmt.Errorf("attacks: learned attack step: %w", err)
			}
			if err := solver.Step(G.NodesToValueGrads(net.learnables())); err != nil {
				return nil, fmt.Errorf("attacks: learned attack solver: %w", err)
			}
			sum += float64(net.lossVal.Data().(float32))
			net.vm.Reset()
		}
		res.EpochLoss = append(res.EpochLoss, sum/float64(steps))
		if progress != nil {
			progress()
		}
	}
	var np, ns, bp, bs float64
	exact, total := 0, 0
	for _, p := range test {
		pred := net.predict(p.Cipher)
		img := image.NewGray(p.Plain.Rect)
		for i, v := range pred {
			img.Pix[i] = clamp8(float64(v) * 255)
		}
		exact += matching(img.Pix, p.Plain.Pix)
		total += len(img.Pix)
		np += capPSNR(eval.PSNR(p.Plain, img))
		ns += eval.SSIM(p.Plain, img)
		bp += capPSNR(eval.PSNR(p.Plain, meanImg))
		bs += eval.SSIM(p.Plain, meanImg)
	}
	k := float64(len(test))
	res.NetPSNR, res.NetSSIM = Num(np/k), Num(ns/k)
	res.BasePSNR, res.BaseSSIM = Num(bp/k), Num(bs/k)
	res.GainPSNR = res.NetPSNR - res.BasePSNR
	res.NetExact = float64(exact) / float64(total)
	return res, nil
}

// capPSNR caps an identical pair's +Inf at MaxPSNR so that means stay finite.
func capPSNR(v float64) float64 {
	if math.IsInf(v, 1) || v > MaxPSNR {
		return MaxPSNR
	}
	return v
}

// MaxPSNR stands for "identical" in averages and plots (an exact
// decryption's PSNR is +Inf).
const MaxPSNR = 100
