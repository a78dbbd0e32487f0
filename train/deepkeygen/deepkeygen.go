// Package deepkeygen trains the key-image generator of the "deepkeygen"
// baseline cipher (cipherimg/deepkeygen) with gorgonia, adversarially, as a
// least-squares GAN (Mao et al. 2017):
//
//	loss_D = ( mean (D(r) - RealLabel)^2 + mean D(G(x))^2 ) / 2
//	loss_G = AdvWeight mean (D(G(x)) - 1)^2 + MomentWeight (mean_i m1_i^2 + mean_i (m2_i - 1/3)^2)
//
// where m1_i and m2_i are the mean and mean square of generated image i and
// 1/3 stands for the exact mean square of the scaled uniform bytes
// (UniformMeanSquare): a moment-matching term (in the manner of Salimans
// et al. 2016's feature matching) without which the small generator
// collapsed to a saturated constant image within a few hundred steps,
// plus DiversityWeight times the mode-seeking ratio mean|x_a - x_b| /
// (mean|G(x_a) - G(x_b)| + 0.001) between the batch's halves a and b
// (Mao et al., CVPR 2019), without which the generator learned one key
// image for every input: keys one bit apart shared 94 % of their
// key-image bytes.
// where x are generator inputs (Crop x Crop crops of the chest X-ray
// training split, scaled to [-1, 1], and, for a NoiseFrac share of each
// batch, uniform-noise images like the keyed initial images the cipher
// feeds it) and r are images of the "transformation domain" (uniform
// random bytes, scaled the same way). D is a small patch discriminator
// (two stride-2 3x3 convolutions with leaky ReLU, then a 3x3 convolution to
// one score per patch). Both networks take one Adam step per iteration on
// the same batch (G's gradient with D's current weights, D's on G's current
// output; D's learning rate scaled by DLRScale). All randomness comes from PCG generators seeded by (Seed, step).
//
// The run folder (cipherloop) holds run.json with the effective config and
// code version, losses.csv, a checkpoint to resume from and deepkeygen.mlw
// (the generator), which Export also copies to
// cipherimg/deepkeygen/weights/deepkeygen.mlw.
package deepkeygen

import (
	"context"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/medqr/medqr/cipherimg/deepkeygen"
	"github.com/medqr/medqr/data"
	"github.com/medqr/medqr/train"
	"github.com/medqr/medqr/train/internal/cipherloop"
	"github.com/medqr/medqr/train/internal/nnops"
	"github.com/medqr/medqr/train/internal/runio"
)

// Config is one training run (experiments/deepkeygen.json).
type Config struct {
	cipherloop.Folder
	// Data is the dataset (folder, .npz or manifest) given to package data;
	// its train split supplies the X-ray inputs.
	Data string `json:"data"`
	Seed uint64 `json:"seed"`
	// TrainImages bounds how many training images are used (0: all).
	TrainImages int `json:"train_images"`
	// Arch is the generator; DChannels the discriminator's first width.
	Arch      deepkeygen.Config `json:"arch"`
	DChannels int               `json:"d_channels"`
	// Crop is the training side (a multiple of 4); Batch the images per step.
	Crop  int `json:"crop"`
	Batch int `json:"batch"`
	// NoiseFrac is the share of generator inputs that are uniform noise.
	NoiseFrac float64 `json:"noise_frac"`
	// DLRScale scales the discriminator's learning rate (a weaker
	// discriminator keeps the generator's gradient alive); RealLabel is the
	// discriminator's target for real images (one-sided label smoothing).
	DLRScale  float64 `json:"d_lr_scale"`
	RealLabel float64 `json:"real_label"`
	// MomentWeight weights the generator's moment-matching term: the
	// squared differences between each generated image's mean and mean
	// square and those of the transformation domain (uniform bytes).
	MomentWeight float64 `json:"moment_weight"`
	// AdvWeight weights the generator's adversarial term.
	AdvWeight float64 `json:"adv_weight"`
	// DiversityWeight weights the mode-seeking term: the mean input
	// distance over the mean output distance between the batch's two
	// halves (Mao et al. 2019), which keeps different initial images (keys)
	// from collapsing onto one key image. Batch must then be even.
	DiversityWeight float64 `json:"diversity_weight"`
	cipherloop.Schedule
}

// DefaultConfig returns the defaults every config file starts from.
func DefaultConfig() Config {
	return Config{Folder: cipherloop.Folder{Name: "deepkeygen", Out: "results/learnedciphers"}, Data: "data/samples/kermany_cxr_224", Seed: 1,
		Arch: deepkeygen.Config{Channels: 8, Blocks: 2}, DChannels: 8, Crop: 32, Batch: 8, NoiseFrac: 0.5, DLRScale: 0.1, RealLabel: 0.9, MomentWeight: 1, AdvWeight: 1, DiversityWeight: 0.5,
		Schedule: cipherloop.Schedule{Schedule: train.Schedule{Steps: 1500, LR: 2e-3, LRMin: 1e-4, Warmup: 20}, Clip: 5, LogEvery: 100, CkptEvery: 250}}
}

// Validate checks the fields.
func (c Config) Validate() error {
	if err := c.Folder.Validate("train/deepkeygen"); err != nil {
		return err
	}
	switch {
	case c.Data == "":
		return fmt.Errorf("train/deepkeygen: data must be set")
	case c.Crop < 8 || c.Crop > 256 || c.Crop%4 != 0:
		return fmt.Errorf("train/deepkeygen: crop %d must be a multiple of 4 in 8..256", c.Crop)
	case c.Batch < 1 || c.Batch > 256:
		return fmt.Errorf("train/deepkeygen: batch %d outside 1..256", c.Batch)
	case c.DChannels < 1 || c.DChannels > 64:
		return fmt.Errorf("train/deepkeygen: d_channels %d outside 1..64", c.DChannels)
	case !(c.NoiseFrac >= 0 && c.NoiseFrac <= 1):
		return fmt.Errorf("train/deepkeygen: noise_frac %g outside [0, 1]", c.NoiseFrac)
	case !(c.DLRScale > 0 && c.DLRScale <= 10) || !(c.RealLabel > 0 && c.RealLabel <= 1):
		return fmt.Errorf("train/deepkeygen: d_lr_scale %g (0..10] or real_label %g (0..1] out of range", c.DLRScale, c.RealLabel)
	case !(c.MomentWeight >= 0 && c.MomentWeight <= 100) || !(c.AdvWeight > 0 && c.AdvWeight <= 100):
		return fmt.Errorf("train/deepkeygen: moment_weight %g [0, 100] or adv_weight %g (0, 100] out of range", c.MomentWeight, c.AdvWeight)
	case !(c.DiversityWeight >= 0 && c.DiversityWeight <= 100) || (c.DiversityWeight > 0 && c.Batch%2 != 0):
		return fmt.Errorf("train/deepkeygen: diversity_weight %g must be in [0, 100], with an even batch when positive", c.DiversityWeight)
	case c.TrainImages < 0:
		return fmt.Errorf("train/deepkeygen: train_images must not be negative")
	}
	return runio.Check("train/deepkeygen", c.Arch.Validate(), c.Schedule.Validate())
}

// LoadConfig reads a config file over the defaults and applies key=value
// overrides (unknown keys are errors).
func LoadConfig(path string, sets []string) (Config, error) {
	return runio.LoadConfig("train/deepkeygen", path, sets, DefaultConfig(), Config.Validate)
}

// UniformMeanSquare is E[x^2] for x = b/127.5 - 1, b uniform in 0..255
// (the mean is 0): (256^2 - 1) / (12 127.5^2).
const UniformMeanSquare = (256.0*256 - 1) / (12 * 127.5 * 127.5)

// dLayers are the discriminator's convolutions: name, in, out, stride.
func dLayers(ch int) []deepkeygen.Layer {
	return []deepkeygen.Layer{{Name: "d0", In: 1, Out: ch, Stride: 2}, {Name: "d1", In: ch, Out: 2 * ch, Stride: 2}, {Name: "d2", In: 2 * ch, Out: 1, Stride: 1}}
}

func initConv(rng *rand.Rand, l deepkeygen.Layer, m map[string][]float32, gain float64) {
	w := make([]float32, l.Out*l.In*9)
	sd := gain * math.Sqrt(2/float64(9*l.In))
	for i := range w {
		w[i] = float32(rng.NormFloat64() * sd)
	}
	m[l.Name+".w"] = w
	m[l.Name+".b"] = make([]float32, l.Out)
}

// InitTensors draws the initial generator and discriminator weights
// (He-normal; the second convolution of each residual block and the
// output layer scaled down, so tanh starts far from saturation).
func InitTensors(c Config) (gen, disc map[string][]float32) {
	rng := rand.New(rand.NewPCG(c.Seed, 0xd3e9))
	gen, disc = map[string][]float32{}, map[string][]float32{}
	for _, l := range c.Arch.Layers() {
		gain := 1.0
		if (strings.HasPrefix(l.Name, "r") && strings.HasSuffix(l.Name, "b")) || l.Name == "out" {
			gain = 0.1
		}
		initConv(rng, l, gen, gain)
	}
	for _, l := range dLayers(c.DChannels) {
		initConv(rng, l, disc, 1)
	}
	return gen, disc
}

// convNodes makes the parameter nodes of layers ls.
func convNodes(g *G.ExprGraph, ls []deepkeygen.Layer, init map[string][]float32, prefix string) ([]*G.Node, error) {
	var ps []*G.Node
	for _, l := range ls {
		w, b := init[l.Name+".w"], init[l.Name+".b"]
		if len(w) != l.Out*l.In*9 || len(b) != l.Out {
			return nil, fmt.Errorf("train/deepkeygen: initial tensors of %s missing or of the wrong size", l.Name)
		}
		ps = append(ps, cipherloop.Param(g, prefix+l.Name+".w", w, l.Out, l.In, 3, 3), cipherloop.Param(g, prefix+l.Name+".b", b, 1, l.Out, 1, 1))
	}
	return ps, nil
}

// builder builds the generator's and discriminator's layers, keeping the
// first error (nnops.Builder).
type builder struct{ nnops.Builder }

func (b *builder) conv(x, w, bias *G.Node, stride int) *G.Node {
	h := b.Node(G.Conv2d(x, w, tensor.Shape{3, 3}, []int{1, 1}, []int{stride, stride}, []int{1, 1}))
	return b.Node(G.BroadcastAdd(h, bias, nil, []byte{0, 2, 3}))
}

// generator is cipherimg/deepkeygen's Model.Forward as a graph.
func (b *builder) generator(x *G.Node, arch deepkeygen.Config, ps []*G.Node) *G.Node {
	h := x
	var skip *G.Node
	for i, l := range arch.Layers() {
		if l.Up {
			h = b.Node(G.Upsample2D(h, 2))
		}
		isA := l.Name[0] == 'r' && l.Name[len(l.Name)-1] == 'a'
		isB := l.Name[0] == 'r' && l.Name[len(l.Name)-1] == 'b'
		if isA {
			skip = h
		}
		h = b.conv(h, ps[2*i], ps[2*i+1], l.Stride)
		switch {
		case l.Name == "out":
			h = b.Node(G.Tanh(h))
		case isB:
			h = b.Node(G.Add(h, skip))
		default:
			h = b.Node(G.Rectify(h))
		}
	}
	return h
}

func (b *builder) discriminator(x *G.Node, ch int, ps []*G.Node) *G.Node {
	h := x
	for i, l := range dLayers(ch) {
		h = b.conv(h, ps[2*i], ps[2*i+1], l.Stride)
		if i < 2 {
			h = b.Node(G.LeakyRelu(h, 0.2))
		}
	}
	return h
}

func (b *builder) lsq(score *G.Node, target float32) *G.Node {
	return b.Node(nnops.MSE(score, G.NewConstant(target)))
}

// Nets are the two training graphs.
type Nets struct {
	Cfg Config
	// The generator step: X -> G -> D (D's weights copied in) -> loss_G.
	GG            *G.ExprGraph
	GParams, GD   []*G.Node
	X, Fake, LG   *G.Node
	fakeV, lossGV G.Value
	gvm           G.VM
	// The discriminator step: real R and fake F -> loss_D.
	DG      *G.ExprGraph
	DParams []*G.Node
	R, F    *G.Node
	LD      *G.Node
	lossDV  G.Value
	dvm     G.VM
}

// NewNets builds both graphs.
func NewNets(c Config, gen, disc map[string][]float32) (*Nets, error) {
	n := &Nets{Cfg: c, GG: G.NewGraph(), DG: G.NewGraph()}
	shape := []int{c.Batch, 1, c.Crop, c.Crop}
	var err error
	if n.GParams, err = convNodes(n.GG, c.Arch.Layers(), gen, "g."); err != nil {
		return nil, err
	}
	if n.GD, err = convNodes(n.GG, dLayers(c.DChannels), disc, "gd."); err != nil {
		return nil, err
	}
	if n.DParams, err = convNodes(n.DG, dLayers(c.DChannels), disc, "d."); err != nil {
		return nil, err
	}
	var b builder
	n.X = G.NewTensor(n.GG, tensor.Float32, 4, G.WithShape(shape...), G.WithName("x"), G.WithInit(G.Zeroes()))
	n.Fake = b.generator(n.X, c.Arch, n.GParams)
	n.LG = b.Node(G.Mul(b.lsq(b.discriminator(n.Fake, c.DChannels, n.GD), 1), G.NewConstant(float32(c.AdvWeight))))
	if c.MomentWeight > 0 {
		// Per-image means as a product with a constant column of 1/n
		// (gorgonia's Mean along an axis gave wrong gradients here).
		px := c.Crop * c.Crop
		avg := G.NewConstant(tensor.New(tensor.WithShape(px, 1), tensor.WithBacking(slices.Repeat([]float32{1 / float32(px)}, px))))
		flat := b.Node(G.Reshape(n.Fake, tensor.Shape{c.Batch, px}))
		m1 := b.Node(G.Mul(flat, avg))
		m2 := b.Node(G.Mul(b.Node(G.Square(flat)), avg))
		d1 := b.Node(nnops.MSE(m1, G.NewConstant(float32(0))))
		d2 := b.Node(nnops.MSE(m2, G.NewConstant(float32(UniformMeanSquare))))
		mom := b.Node(G.Mul(b.Node(G.Add(d1, d2)), G.NewConstant(float32(c.MomentWeight))))
		n.LG = b.Node(G.Add(n.LG, mom))
	}
	if c.DiversityWeight > 0 {
		h := c.Batch / 2
		half := func(v *G.Node, k int) *G.Node { return b.Node(G.Slice(v, G.S(k*h, (k+1)*h))) }
		dOut := b.Node(G.Mean(b.Node(G.Abs(b.Node(G.Sub(half(n.Fake, 0), half(n.Fake, 1)))))))
		dIn := b.Node(G.Mean(b.Node(G.Abs(b.Node(G.Sub(half(n.X, 0), half(n.X, 1)))))))
		ratio := b.Node(G.Div(dIn, b.Node(G.Add(dOut, G.NewConstant(float32(1e-3))))))
		n.LG = b.Node(G.Add(n.LG, b.Node(G.Mul(ratio, G.NewConstant(float32(c.DiversityWeight))))))
	}
	n.R = G.NewTensor(n.DG, tensor.Float32, 4, G.WithShape(shape...), G.WithName("real"), G.WithInit(G.Zeroes()))
	n.F = G.NewTensor(n.DG, tensor.Float32, 4, G.WithShape(shape...), G.WithName("fake"), G.WithInit(G.Zeroes()))
	lr := b.lsq(b.discriminator(n.R, c.DChannels, n.DParams), float32(c.RealLabel))
	lf := b.lsq(b.discriminator(n.F, c.DChannels, n.DParams), 0)
	n.LD = b.Node(G.Mul(b.Node(G.Add(lr, lf)), G.NewConstant(float32(0.5))))
	if err := b.Err(); err != nil {
		return nil, fmt.Errorf("train/deepkeygen: failed to build the graphs: %w", err)
	}
	G.Read(n.Fake, &n.fakeV)
	G.Read(n.LG, &n.lossGV)
	G.Read(n.LD, &n.lossDV)
	if n.gvm, err = nnops.Compile(n.GG, n.LG, n.GParams); err != nil {
		return nil, fmt.Errorf("train/deepkeygen: failed to differentiate loss_G: %w", err)
	}
	if n.dvm, err = nnops.Compile(n.DG, n.LD, n.DParams); err != nil {
		return nil, fmt.Errorf("train/deepkeygen: failed to differentiate loss_D: %w", err)
	}
	return n, nil
}

// GenForward runs the generator graph on x (Batch x 1 x Crop x Crop) and
// returns the fake images and loss_G (gradients are left in the nodes).
func (n *Nets) GenForward(x []float32) ([]float32, float64, error) {
	gd := nnops.Values(n.GD)
	for i, v := range nnops.Values(n.DParams) {
		copy(gd[i], v)
	}
	if err := nnops.RunInputs(n.gvm, n.GParams, []*G.Node{n.X}, x); err != nil {
		return nil, 0, fmt.Errorf("train/deepkeygen: generator graph failed: %w", err)
	}
	return append([]float32(nil), n.fakeV.Data().([]float32)...), float64(n.lossGV.Data().(float32)), nil
}

// DiscStep runs the discriminator graph and returns loss_D.
func (n *Nets) DiscStep(real, fake []float32) (float64, error) {
	if err := nnops.RunInputs(n.dvm, n.DParams, []*G.Node{n.R, n.F}, real, fake); err != nil {
		return 0, fmt.Errorf("train/deepkeygen: discriminator graph failed: %w", err)
	}
	return float64(n.lossDV.Data().(float32)), nil
}

// WeightsFile encodes the generator's current weights as the shipped
// weights file (the discriminator is not shipped).
func (n *Nets) WeightsFile() ([]byte, error) {
	return cipherloop.WeightsFile(deepkeygen.Name, n.Cfg.Arch, n.GParams)
}

// Batch draws step s's generator inputs and real images.
func Batch(c Config, imgs []*image.Gray, s int) (x, real []float32) {
	rng := rand.New(rand.NewPCG(c.Seed, uint64(s)+1))
	n := c.Crop * c.Crop
	x, real = make([]float32, c.Batch*n), make([]float32, c.Batch*n)
	noise := int(math.Round(c.NoiseFrac * float64(c.Batch)))
	for b := 0; b < c.Batch; b++ {
		dst := x[b*n : (b+1)*n]
		if b < noise || len(imgs) == 0 {
			for i := range dst {
				dst[i] = float32(float64(rng.IntN(256))/127.5 - 1)
			}
		} else {
			g := imgs[rng.IntN(len(imgs))]
			w, h := g.Rect.Dx(), g.Rect.Dy()
			x0, y0 := rng.IntN(w-c.Crop+1), rng.IntN(h-c.Crop+1)
			for y := 0; y < c.Crop; y++ {
				for i := 0; i < c.Crop; i++ {
					dst[y*c.Crop+i] = float32(float64(g.GrayAt(g.Rect.Min.X+x0+i, g.Rect.Min.Y+y0+y).Y)/127.5 - 1)
				}
			}
		}
		for i := range real[b*n : (b+1)*n] {
			real[b*n+i] = float32(float64(rng.IntN(256))/127.5 - 1)
		}
	}
	return x, real
}

type trainer struct {
	c    Config
	nets *Nets
	imgs []*image.Gray
}

func (tr *trainer) Groups() [][][]float32 {
	return [][][]float32{nnops.Values(tr.nets.GParams), nnops.Values(tr.nets.DParams)}
}

func (tr *trainer) LossNames() []string { return []string{"loss_g", "loss_d"} }

func (tr *trainer) LRScale() []float64 { return []float64{1, tr.c.DLRScale} }

func (tr *trainer) Step(s int) ([]float64, [][][]float32, error) {
	x, real := Batch(tr.c, tr.imgs, s)
	fake, lg, err := tr.nets.GenForward(x)
	if err != nil {
		return nil, nil, err
	}
	gg, err := nnops.Grads(tr.nets.GParams)
	if err != nil {
		return nil, nil, err
	}
	ld, err := tr.nets.DiscStep(real, fake)
	if err != nil {
		return nil, nil, err
	}
	dg, err := nnops.Grads(tr.nets.DParams)
	if err != nil {
		return nil, nil, err
	}
	return []float64{lg, ld}, [][][]float32{gg, dg}, nil
}

func (tr *trainer) Export() ([]byte, error) { return tr.nets.WeightsFile() }

// Train runs (or resumes) the training and returns the weights file written
// in the run folder.
func Train(ctx context.Context, c Config, opt Options) (string, error) {
	if err := c.Validate(); err != nil {
		return "", err
	}
	imgs, err := data.LoadSplit(c.Data, "train", data.DefaultSize)
	if err != nil {
		return "", fmt.Errorf("train/deepkeygen: %w", err)
	}
	if c.TrainImages > 0 && len(imgs) > c.TrainImages {
		imgs = imgs[:c.TrainImages]
	}
	for _, g := range imgs {
		if g.Rect.Dx() < c.Crop || g.Rect.Dy() < c.Crop {
			return "", fmt.Errorf("train/deepkeygen: training image of %v is smaller than the crop %d", g.Rect.Size(), c.Crop)
		}
	}
	gen, disc := InitTensors(c)
	nets, err := NewNets(c, gen, disc)
	if err != nil {
		return "", err
	}
	return cipherloop.Start(ctx, "deepkeygen", c.Folder, c, c.Schedule, &trainer{c: c, nets: nets, imgs: imgs}, opt)
}

// Options are the run's non-config settings (resume, log, progress bar,
// stop-at).
type Options = cipherloop.Options

// ErrStopped is returned when Options.StopAt ends the run early.
var ErrStopped = cipherloop.ErrStopped
