package codec

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"image"
	"math"
	"sync"

	"github.com/medqr/medqr/internal/entropy"
	"github.com/medqr/medqr/model"
)

// Learned is the learned codec: package model's encoder network, uniform
// scalar quantisation of the latent at a gain g (q = round(g*y)), the
// context-adaptive range coder of internal/entropy, and the decoder network.
//
// Rate control: g is one of 256 log-spaced steps between GainMin/2 and the
// model's GainMax; Encode runs the encoder once, bisects on the step for a
// gain whose payload fits the budget, then probes the next steps up (the
// payload size is not strictly monotone in g) and keeps the largest gain
// (finest quantisation, best quality) that fits.
//
// Payload layout, version 1:
//
//	offset 0  1 byte   version (1)
//	offset 1  2 bytes  width, big-endian
//	offset 3  2 bytes  height, big-endian
//	offset 5  1 byte   gain step, 0..255
//	offset 6  2 bytes  model id: the first two bytes of the SHA-256 of the
//	                   weights file, so a payload made with other weights is
//	                   refused instead of decoded into garbage
//	offset 8  ...      range-coded latent (entropy.EncodeLatent) of shape
//	                   Latent x ceil(h/16)*16/f x ceil(w/16)*16/f, f the
//	                   model's downsampling factor (16 or 8)
//
// The image is padded to multiples of 16 by edge replication before
// encoding and cropped after decoding.
type Learned struct {
	m  *model.Model
	id [2]byte
}

const (
	learnedName       = "learned"
	learnedVersion    = 1
	learnedHeaderSize = 8
	gainSteps         = 256
	rateProbe         = 12 // steps probed above the bisection's result
	// learnedMaxSide bounds the image side the learned codec codes or
	// decodes (memory and time of the networks grow with the area; a QR
	// symbol holds a 256x256 X-ray).
	learnedMaxSide = 1024
)

// NewLearned wraps a model. weightsID identifies the weights (the SHA-256 of
// the weights file; its first two bytes go into every payload).
func NewLearned(m *model.Model, weightsID [32]byte) *Learned {
	return &Learned{m: m, id: [2]byte{weightsID[0], weightsID[1]}}
}

// NewLearnedFromWeights parses a weights file and wraps its model.
func NewLearnedFromWeights(b []byte) (*Learned, error) {
	m, err := model.FromBytes(b)
	if err != nil {
		return nil, err
	}
	return NewLearned(m, sha256Sum(b)), nil
}

func (*Learned) ID() uint8    { return IDLearned }
func (*Learned) Name() string { return learnedName }

// Model returns the wrapped network.
func (l *Learned) Model() *model.Model { return l.m }

func (l *Learned) gain(step int) float64 {
	c := l.m.Config
	lo := c.GainMin / rateHeadroom
	return lo * math.Pow(c.GainMax/lo, float64(step)/float64(gainSteps-1))
}

// rateHeadroom extends the rate-control search below the smallest gain the
// model was trained with (by this factor), so that busy images still fit the
// smallest budget (QR level H); the decoder then extrapolates to a coarser
// quantiser than it saw in training, which costs quality but never fails.
const rateHeadroom = 2

// Latent runs the encoder on img (converted to 8-bit gray and padded) and
// returns the continuous latent and the image size.
func (l *Learned) Latent(img image.Image) (*model.Tensor, int, int, error) {
	g := toGray(img)
	w, h := g.Rect.Dx(), g.Rect.Dy()
	if err := checkDims(learnedName, w, h); err != nil {
		return nil, 0, 0, err
	}
	if w > learnedMaxSide || h > learnedMaxSide {
		return nil, 0, 0, formatErr(learnedName, "image %dx%d exceeds the learned codec's %d-pixel side limit (preprocess it to 256x256)", w, h, learnedMaxSide)
	}
	x := model.FromGray(padGray(g, model.Downsampling))
	y, err := l.m.Analyze(x)
	if err != nil {
		return nil, 0, 0, err
	}
	return y, w, h, nil
}

// EncodeLatent quantises y at gain step s and returns the payload.
func (l *Learned) EncodeLatent(y *model.Tensor, w, h, step int) ([]byte, error) {
	g := l.gain(step)
	q := make([]int32, len(y.Data))
	for i, v := range y.Data {
		r := math.Round(float64(v) * g)
		r = math.Max(-entropy.MaxMagnitude, math.Min(entropy.MaxMagnitude, r))
		q[i] = int32(r)
	}
	body, err := entropy.EncodeLatent(q, y.C, y.H, y.W)
	if err != nil {
		return nil, err
	}
	out := make([]byte, learnedHeaderSize, learnedHeaderSize+len(body))
	out[0] = learnedVersion
	binary.BigEndian.PutUint16(out[1:], uint16(w))
	binary.BigEndian.PutUint16(out[3:], uint16(h))
	out[5] = byte(step)
	out[6], out[7] = l.id[0], l.id[1]
	return append(out, body...), nil
}

// Encode codes img at the finest gain whose payload fits budget bytes
// (budget <= 0: the finest gain).
func (l *Learned) Encode(img image.Image, budget int) ([]byte, error) {
	y, w, h, err := l.Latent(img)
	if err != nil {
		return nil, err
	}
	best, err := l.EncodeLatent(y, w, h, gainSteps-1)
	if err != nil {
		return nil, err
	}
	if budget <= 0 || len(best) <= budget {
		return best, nil
	}
	lo, hi := 0, gainSteps-1 // payload(hi) does not fit
	low, err := l.EncodeLatent(y, w, h, lo)
	if err != nil {
		return nil, err
	}
	if len(low) > budget {
		return nil, fmt.Errorf("%w: learned payload at the coarsest step is %d bytes, budget %d", ErrBudget, len(low), budget)
	}
	best = low
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		p, err := l.EncodeLatent(y, w, h, mid)
		if err != nil {
			return nil, err
		}
		if len(p) <= budget {
			lo, best = mid, p
		} else {
			hi = mid
		}
	}
	for s := lo + 2; s < min(lo+rateProbe, gainSteps); s++ {
		p, err := l.EncodeLatent(y, w, h, s)
		if err != nil {
			return nil, err
		}
		if len(p) <= budget {
			best = p
		}
	}
	return best, nil
}

// Decode reconstructs the image from a payload made by Encode with the same
// weights.
func (l *Learned) Decode(payload []byte) (image.Image, error) {
	y, w, h, err := l.DecodeLatent(payload)
	if err != nil {
		return nil, err
	}
	return l.Reconstruct(y, w, h)
}

// DecodeLatent parses a payload and returns the dequantised latent and the
// image size.
func (l *Learned) DecodeLatent(payload []byte) (*model.Tensor, int, int, error) {
	if len(payload) < learnedHeaderSize {
		return nil, 0, 0, formatErr(learnedName, "payload of %d bytes is shorter than the %d-byte header", len(payload), learnedHeaderSize)
	}
	if payload[0] != learnedVersion {
		return nil, 0, 0, formatErr(learnedName, "payload version %d, this build reads version %d", payload[0], learnedVersion)
	}
	w := int(binary.BigEndian.Uint16(payload[1:]))
	h := int(binary.BigEndian.Uint16(payload[3:]))
	if err := checkDims(learnedName, w, h); err != nil {
		return nil, 0, 0, err
	}
	if w > learnedMaxSide || h > learnedMaxSide {
		return nil, 0, 0, formatErr(learnedName, "declared image %dx%d exceeds the %d-pixel side limit", w, h, learnedMaxSide)
	}
	if payload[6] != l.id[0] || payload[7] != l.id[1] {
		return nil, 0, 0, formatErr(learnedName, "payload made with weights %02x%02x, these weights are %02x%02x (decrypt with the medqr build that encrypted it)", payload[6], payload[7], l.id[0], l.id[1])
	}
	g := l.gain(int(payload[5]))
	c := l.m.Config.Latent
	f := l.m.Config.Factor()
	lh := (h + model.Downsampling - 1) / model.Downsampling * model.Downsampling / f
	lw := (w + model.Downsampling - 1) / model.Downsampling * model.Downsampling / f
	q, err := entropy.DecodeLatent(payload[learnedHeaderSize:], c, lh, lw)
	if err != nil {
		return nil, 0, 0, formatErr(learnedName, "%v", err)
	}
	y := model.NewTensor(c, lh, lw)
	for i, v := range q {
		y.Data[i] = float32(float64(v) / g)
	}
	return y, w, h, nil
}

// Reconstruct runs the decoder network on a dequantised latent and crops
// the result to w x h.
func (l *Learned) Reconstruct(y *model.Tensor, w, h int) (image.Image, error) {
	x, err := l.m.Synthesize(y)
	if err != nil {
		return nil, err
	}
	out := model.ToGray(x)
	return out.SubImage(image.Rect(0, 0, w, h)).(*image.Gray), nil
}

// padGray returns g extended to multiples of m by edge replication.
func padGray(g *image.Gray, m int) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	pw, ph := (w+m-1)/m*m, (h+m-1)/m*m
	if pw == w && ph == h {
		return g
	}
	p := image.NewGray(image.Rect(0, 0, pw, ph))
	for y := 0; y < ph; y++ {
		sy := min(y, h-1)
		src := g.Pix[sy*g.Stride : sy*g.Stride+w]
		dst := p.Pix[y*p.Stride : y*p.Stride+pw]
		copy(dst, src)
		for x := w; x < pw; x++ {
			dst[x] = src[w-1]
		}
	}
	return p
}

// lazyLearned loads the embedded weights on first use, so a broken weights
// file makes the learned codec fail with a hint instead of breaking every
// program that imports codec.
type lazyLearned struct {
	once sync.Once
	l    *Learned
	err  error
}

func (z *lazyLearned) get() (*Learned, error) {
	z.once.Do(func() {
		m, err := model.Default()
		if err != nil {
			z.err = err
			return
		}
		z.l = NewLearned(m, model.DefaultWeightsSHA256())
	})
	return z.l, z.err
}

func (*lazyLearned) ID() uint8    { return IDLearned }
func (*lazyLearned) Name() string { return learnedName }

func (z *lazyLearned) Encode(img image.Image, budget int) ([]byte, error) {
	l, err := z.get()
	if err != nil {
		return nil, err
	}
	return l.Encode(img, budget)
}

func (z *lazyLearned) Decode(payload []byte) (image.Image, error) {
	l, err := z.get()
	if err != nil {
		return nil, err
	}
	return l.Decode(payload)
}

// DefaultLearned returns the learned codec with the embedded weights.
func DefaultLearned() (*Learned, error) { return defaultLearned.get() }

var defaultLearned = &lazyLearned{}

func init() { Register(defaultLearned) }

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }
