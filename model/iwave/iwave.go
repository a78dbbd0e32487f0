// Package iwave is medqr's wavelet-like learned image codec in the manner of
// iWave (Ma et al., "iWave: CNN-based wavelet-like transform for image
// compression", IEEE TMM 2019): a 2-D lifting wavelet transform, a deadzone
// uniform quantiser with one global step, context-adaptive binary arithmetic
// coding of the quantised coefficients, and a small residual CNN applied by
// the decoder to remove ringing and blur.
//
// The transform is the CDF 9/7 lifting scheme (the JPEG 2000 irreversible
// wavelet), MaxLevels levels deep. Every lifting step is an additive
// coupling (odd += P(even), even += U(odd)): the stack is reversible by
// construction and Inverse(Forward(x)) == x up to float rounding (see
// TestLiftingInverse). Two parts are learned: after each CDF 9/7 pass, one
// more predict step adds a small network's function of the low-pass half
// to the high-pass half (learnlift.go; still an additive coupling), and
// the decoder-side post-filter removes ringing and blur (postfilter.go).
// Package train/iwave trains both with gorgonia; this package runs them in
// pure Go. See docs/codec.md ("What is trained", under iwave).
//
// Contract: Encode returns at most budget bytes at the finest step its
// search finds to fit (searchStep), naming the post-filter gain whose
// decode is closest to the image (chooseGain); EncodeDecoded also returns
// exactly the image Decode gives for that payload. Decode never panics on
// any input and returns a *FormatError-style error (wrapping ErrFormat)
// for payloads it cannot parse. Decode reads payloads of every version
// and of every shipped weights pair (WithEarlier, Default).
//
// Version 5 adds wavelet-packet splits (packet.go): the encoder may split
// each HL band once more along its columns and each LH band along its
// rows, choosing band by band from a rate proxy, and the stream starts
// with the choice. Version 6 codes version 5's stream with slower
// adapting context models that start from priors learned at their rates
// (coder.go, priors_v6.go), and the encoder may split a split band's low
// half once more along the same direction (a 2-level 1-D dyadic split).
//
// Payload layout, versions 1 to 6 (integers big-endian):
//
//	offset 0  1 byte   version: 1 (context models start at 1/2), 2 (they
//	                   start from the priors of priors_v2.go), 3 (richer
//	                   contexts, coder.go, from the priors of priors_v3.go),
//	                   4 (version 3's coefficient stream, and a
//	                   post-filter gain in the step field), 5 (version
//	                   4 with wavelet-packet splits) or 6 (version 5's
//	                   stream with deep split bits, its models adapting
//	                   at rates 1/16 and 1/64 instead of 1/8 and 1/32,
//	                   from the priors of priors_v6.go)
//	offset 1  2 bytes  width
//	offset 3  2 bytes  height
//	offset 5  2 bytes  step field. Versions 1-3: the step index s,
//	                   0..StepCount-1, step = 2^((s-1024)/256). Versions 4-6:
//	                   bits 0-11 the step index s, bits 12-15 the
//	                   post-filter gain index g, 0..GainCount-1: the
//	                   decoder adds g/8 times the post-filter's residual
//	                   (g = 0: no filter; versions 1-3 add it whole,
//	                   g = 8), the gain the encoder found best for this
//	                   image (chooseGain)
//	offset 7  2 bytes  model id: identifies the weights files the payload
//	                   was made with (NewLifted; 0000 for the plain CDF
//	                   9/7 codec): a payload is decoded with the weights
//	                   pair it names (the current one or an earlier one,
//	                   WithEarlier) and refused if the codec has neither
//	offset 9  ...      range-coded coefficients (coder.go); versions 5
//	                   and 6 first code 2 x levels equiprobable bits, one per
//	                   HL and LH band in coding order (the coarsest
//	                   level's HL first, then its LH, ...): 1 = split
//	                   (packet.go), its two halves then coded as two
//	                   bands. Version 6 then codes one more equiprobable
//	                   bit per split band, in the same order (none if no
//	                   band is split): 1 = its low half split again, the
//	                   band then coded as three bands (its low quarter,
//	                   the quarter above it, its high half)
package iwave

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"math"
	"sync"

	"github.com/medqr/medqr/internal/entropy"
)

const (
	// Version is the payload format version Encode writes: 6, version
	// 5's stream (version 3's coefficient stream, the richer contexts of
	// coder.go, with the post-filter gain the encoder chose in the step
	// field's high bits and HL and LH bands that may be split once more,
	// packet.go) whose split bands' low halves may be split again and
	// whose context models adapt at rates 1/16 and 1/64 and start from
	// the priors of priors_v6.go. Versions 1 (every model
	// starting at 1/2), 2 (the first contexts, priors_v2.go), 3, 4 and 5
	// (priors_v3.go at rates 1/8 and 1/32) still decode.
	Version = 6
	// HeaderSize is the payload header length in bytes.
	HeaderSize = 9
	// StepCount is the number of quantiser steps rate control chooses from:
	// the low 12 bits of the step field.
	StepCount = 4096
	// GainCount is the number of post-filter gains a version-4 payload
	// can name (the step field's high 4 bits): gain index g scales the
	// residual by g/GainUnit, from 0 (no filter) to 15/8.
	GainCount = 16
	// GainUnit is the gain index of the whole residual, what versions 1-3
	// add.
	GainUnit = 8
	// MaxSide bounds the width and height the codec accepts.
	MaxSide = 4096
)

// ErrFormat is wrapped by every error about a payload that cannot be decoded.
var ErrFormat = errors.New("iwave: invalid payload")

// ErrBudget reports that even the coarsest step does not fit the budget.
var ErrBudget = errors.New("iwave: image does not fit the byte budget")

func formatErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrFormat, fmt.Sprintf(format, args...))
}

// StepSize returns the quantiser step of step index s.
func StepSize(s int) float64 { return math.Exp2(float64(s-1024) / 256) }

// Codec codes 8-bit gray images. The zero value is the plain CDF 9/7 codec
// without post-filter; use New, NewLifted or Default for the others.
type Codec struct {
	lift *Lift
	pf   *PostFilter
	id   [2]byte
	// lambda, when positive, is the rate-distortion lambda at every step
	// (WithLambda); zero gives rdoLambdaAt's lambda by step.
	lambda float64
	// version, when not 0, is the payload version Encode writes
	// (WithVersion); 0 writes Version.
	version int
	// earlier are codecs of weights shipped before, kept to decode the
	// payloads they made (WithEarlier).
	earlier []*Codec
}

// WithEarlier returns a copy of c that also decodes the payloads of the
// earlier codecs (weights shipped before c's, told apart by the payload's
// model id) with those codecs' own weights, so retrained weights do not
// make printed codes unreadable. Encode is c's.
func (c *Codec) WithEarlier(earlier ...*Codec) *Codec {
	d := *c
	d.earlier = append(append([]*Codec(nil), c.earlier...), earlier...)
	return &d
}

// WithLambda returns a copy of c whose encoder makes its rate-distortion
// choices (rdo.go) with lambda at every step instead of the lambda that
// rises at fine steps (rdoLambdaAt); lambda <= 0 returns c's own. The
// payloads decode like any other. Training uses it to code its examples as
// the shipped weights' were coded (train/iwave Config.PairsLambda).
func (c *Codec) WithLambda(lambda float64) *Codec {
	d := *c
	d.lambda = max(0, lambda)
	return &d
}

// WithVersion returns a copy of c whose encoder writes payloads of the
// given version, 4 to 6 (Version): version 4 is version 5 without the
// wavelet-packet splits, byte for byte what the encoder wrote before
// them, and version 5 is version 6 at version 3's rates and priors and
// without deep splits, byte for byte what the encoder wrote before version
// 6 (TestEncodeGolden).
// Training codes its examples at the version the config names
// (train/iwave's pairs_version: 5 for the shipped weights, 4 for model
// 378c's) to reproduce the weights trained on them. Other versions
// panic: the encoder of versions 1-3 cannot name a filter gain.
func (c *Codec) WithVersion(version int) *Codec {
	if version < 4 || version > Version {
		panic(fmt.Sprintf("iwave: WithVersion(%d): the encoder writes versions 4 to %d", version, Version))
	}
	d := *c
	d.version = version
	return &d
}

// encVersion is the payload version c's encoder writes.
func (c *Codec) encVersion() int {
	if c.version != 0 {
		return c.version
	}
	return Version
}

// forModel returns the codec whose payloads carry model id: c or one of
// its earlier codecs.
func (c *Codec) forModel(id [2]byte) (*Codec, bool) {
	if id == c.id {
		return c, true
	}
	for _, e := range c.earlier {
		if e.id == id {
			return e, true
		}
	}
	return nil, false
}

// New returns a codec with the plain CDF 9/7 transform that applies pf
// after decoding; pf == nil gives the plain CDF 9/7 codec (model id 0000).
func New(pf *PostFilter) *Codec { return NewLifted(nil, pf) }

// NewLifted returns a codec whose transform adds the learned predict steps
// of lf (nil: plain CDF 9/7) and whose decoder applies pf (nil: none). The
// model id written into payloads identifies both weights files: with lf
// nil it is the post-filter's ID; otherwise the first two bytes of
// SHA-256(SHA-256(lifting file) || SHA-256(post-filter file)), with 32 zero
// bytes for a missing post-filter.
func NewLifted(lf *Lift, pf *PostFilter) *Codec {
	c := &Codec{lift: lf, pf: pf}
	switch {
	case lf != nil:
		var pfSum [32]byte
		if pf != nil {
			pfSum = pf.sum
		}
		c.id = sha2(append(lf.sum[:], pfSum[:]...))
	case pf != nil:
		c.id = pf.ID()
	}
	return c
}

// Lift returns the codec's learned lifting steps (nil if none).
func (c *Codec) Lift() *Lift { return c.lift }

// ID returns the model id the codec writes into payloads.
func (c *Codec) ID() [2]byte { return c.id }

// PostFilter returns the codec's post-filter (nil if none).
func (c *Codec) PostFilter() *PostFilter { return c.pf }

type gainKey struct{ w, h, l int }

var gainCache sync.Map // gainKey -> []float64 (per band)

// bandGains returns, for each band of Bands(w, h, levels), the L2 norm of
// its synthesis basis function (an impulse at the band's centre sent
// through Inverse).
func bandGains(w, h, levels int) []float64 {
	k := gainKey{w, h, levels}
	if g, ok := gainCache.Load(k); ok {
		return g.([]float64)
	}
	bands := Bands(w, h, levels)
	gains := make([]float64, len(bands))
	x := make([]float64, w*h)
	for i, b := range bands {
		if b.W == 0 || b.H == 0 {
			gains[i] = 1
			continue
		}
		clear(x)
		x[(b.Y0+b.H/2)*w+b.X0+b.W/2] = 1
		Inverse(x, w, h, levels)
		var s float64
		for _, v := range x {
			s += float64(v * v) // rounded on its own: the decoder's gains are the same bits on every processor
		}
		gains[i] = math.Sqrt(s)
	}
	gainCache.Store(k, gains)
	return gains
}

// BandGains returns, for each band of Bands(w, h, levels), the L2 norm of
// its synthesis basis function under the plain CDF 9/7 inverse: the codec
// quantises coefficient x of band b as x*gain[b]/step, so band b's
// quantiser step is step/gain[b]. The learned predict steps only add
// functions of low-pass samples to high-pass ones, so they leave these
// gains unchanged to first order, and the codec uses the plain gains.
func BandGains(w, h, levels int) []float64 {
	return append([]float64(nil), bandGains(w, h, levels)...)
}

// scaleBands multiplies (div false) or divides (div true) every
// coefficient of x (Mallat layout) by its band's gain (bandGains), band by
// band; the bands tile the plane (TestBandsTile), so every coefficient is
// scaled once, with no per-coefficient map to build.
func scaleBands(x []float64, w, h, levels int, div bool) {
	gains := bandGains(w, h, levels)
	for i, b := range Bands(w, h, levels) {
		g := gains[i]
		for y := b.Y0; y < b.Y0+b.H; y++ {
			row := x[y*w+b.X0 : y*w+b.X0+b.W]
			if div {
				for k := range row {
					row[k] /= g
				}
			} else {
				for k := range row {
					row[k] *= g
				}
			}
		}
	}
}

func checkSize(w, h int) error {
	if w <= 0 || h <= 0 || w > MaxSide || h > MaxSide {
		return fmt.Errorf("image %dx%d: sides must be 1..%d", w, h, MaxSide)
	}
	return nil
}

// Analysis is an image after the forward transform, ready to be quantised
// at any step.
type Analysis struct {
	w, h, levels int
	wc           []float64 // gain-weighted coefficients
	// ws is wc with every candidate band split (packet.go), weighted by
	// the halves' gains, and wd with every candidate split twice;
	// hist the candidates' proxy histograms, unsplit, split and split
	// twice; comp the plane of the last mask compose made. ws and hist
	// are made only by a codec that writes version 5 or 6 (without them
	// the encoder splits nothing), wd only for version 6.
	ws, wd   []float64
	hist     packetHist
	comp     []float64
	compMask uint32
}

// Analyze transforms g with the plain CDF 9/7 codec's transform.
func Analyze(g *image.Gray) (*Analysis, error) { return (&Codec{}).Analyze(g) }

// Analyze transforms g with the codec's transform.
func (c *Codec) Analyze(g *image.Gray) (*Analysis, error) {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	if err := checkSize(w, h); err != nil {
		return nil, err
	}
	x := make([]float64, w*h)
	for y := 0; y < h; y++ {
		row := g.Pix[g.PixOffset(g.Rect.Min.X, g.Rect.Min.Y+y):]
		for i := 0; i < w; i++ {
			x[y*w+i] = float64(row[i]) - 128
		}
	}
	levels := Levels(w, h)
	ForwardLift(x, w, h, levels, c.lift)
	a := &Analysis{w: w, h: h, levels: levels}
	packet := c.encVersion() >= 5
	if packet {
		a.preparePacket(x, c.encVersion() >= 6)
	}
	scaleBands(x, w, h, levels, false)
	a.wc = x
	if packet {
		a.histograms()
	}
	return a, nil
}

// EncodeStep codes a at step index s (0..StepCount-1) as a payload of
// c's version (Version, or WithVersion's), each detail
// coefficient's value chosen by rate and distortion (rdo.go), with the
// post-filter gain index GainUnit (the whole residual; Encode chooses the
// gain for the image).
func (c *Codec) EncodeStep(a *Analysis, s int) []byte {
	v := c.encVersion()
	return c.encodeStep(a, s, v, priorsOf(v), true)
}

// encodeStep codes a at step index s as a payload of the given version
// whose context models start from priors (the priors generator passes
// nil), with the rate-distortion choices or (rdoOn false, for tests) the
// plain deadzone quantiser. A version-4 payload names gain GainUnit.
func (c *Codec) encodeStep(a *Analysis, s, version int, priors []uint16, rdoOn bool) []byte {
	var mask uint32
	wc := a.wc
	if version >= 5 {
		mask = a.chooseMask(s, version >= 6 && a.wd != nil)
		wc = a.compose(mask)
	}
	p := encPlane(a.w, a.h, a.levels, mask)
	defer encPlanes.Put(p)
	step := StepSize(s)
	p.rdo = nil
	if rdoOn {
		// rdoChoose sets every detail coefficient before a context reads
		// it, so only the LL band is quantised here.
		lambda := rdoLambdaAt(s)
		if c.lambda > 0 {
			lambda = c.lambda
		}
		p.rdo = rdoFor(wc, 1/step, lambda)
		p.quantiseLL(wc, p.rdo.inv)
	} else {
		p.quantise(wc, step)
	}
	e := entropy.NewEncoder()
	if version >= 5 {
		e.Direct(packMask(mask, a.levels), maskBits(a.levels))
	}
	if version >= 6 {
		if v, n := deepBits(mask, a.levels); n > 0 {
			e.Direct(v, n)
		}
	}
	p.encode(e, newModels(version, priors))
	body := e.Bytes()
	out := make([]byte, HeaderSize, HeaderSize+len(body))
	out[0] = byte(version)
	binary.BigEndian.PutUint16(out[1:], uint16(a.w))
	binary.BigEndian.PutUint16(out[3:], uint16(a.h))
	field := uint16(s)
	if version >= 4 {
		field |= GainUnit << 12
	}
	binary.BigEndian.PutUint16(out[5:], field)
	out[7], out[8] = c.id[0], c.id[1]
	return append(out, body...)
}

// encPlanes holds encodeStep's coefficient planes between calls: rate
// control codes one image at several steps, and quantise rewrites every
// coefficient, so a plane of the same geometry is reused as it is.
var encPlanes sync.Pool // *plane

func encPlane(w, h, levels int, mask uint32) *plane {
	if p, ok := encPlanes.Get().(*plane); ok && p.w == w && len(p.q) == w*h && p.levels == levels && p.mask == mask {
		return p
	}
	return newPacketPlane(w, h, levels, mask)
}

// Encode codes g at the finest step whose payload fits budget bytes
// (budget <= 0: step index 0, the finest). Payload size falls as the step
// grows; searchStep finds the smallest fitting step index. With a
// post-filter, the payload names the filter gain that decodes it closest
// to g (chooseGain).
func (c *Codec) Encode(g *image.Gray, budget int) ([]byte, error) {
	p, _, err := c.encode(g, budget, false)
	return p, err
}

// EncodeDecoded is Encode that also returns the image Decode gives for the
// payload, which choosing the filter gain computes anyway: a caller that
// shows the decoded image (encrypt's fidelity report) need not decode it
// again.
func (c *Codec) EncodeDecoded(g *image.Gray, budget int) ([]byte, *image.Gray, error) {
	return c.encode(g, budget, true)
}

// encode is Encode; with decoded set (or a post-filter, whose gain needs
// it) it also returns the payload's decoded image.
func (c *Codec) encode(g *image.Gray, budget int, decoded bool) ([]byte, *image.Gray, error) {
	a, err := c.Analyze(g)
	if err != nil {
		return nil, nil, err
	}
	best := c.EncodeStep(a, 0)
	if budget > 0 && len(best) > budget {
		var n int
		best, n = searchStep(func(s int) []byte { return c.EncodeStep(a, s) }, len(best), budget)
		if best == nil {
			return nil, nil, fmt.Errorf("%w: %d bytes at the coarsest step, budget %d", ErrBudget, n, budget)
		}
	}
	if c.pf == nil && !decoded {
		return best, nil, nil
	}
	x, h, _, err := c.decodeRaw(best)
	if err != nil {
		return nil, nil, fmt.Errorf("iwave: decoding its own payload: %w", err)
	}
	if c.pf != nil {
		r := c.pf.Residual255(x, h.Width, h.Height, h.Step)
		gain := chooseGain(x, r, g)
		binary.BigEndian.PutUint16(best[5:], uint16(h.Step)|uint16(gain)<<12)
		x = addResidual(x, r, gain)
	}
	return best, ToGray(x, h.Width, h.Height), nil
}

// chooseGain returns the gain index whose decoded image (x plus gain/8
// times the residual r, rounded and clamped as ToGray does) has the least
// squared error against g; ties go to the smaller gain.
//
// Each pixel is read once. For a finite residual its decoded value is
// monotone in the gain (the product, the sum and toPixel all round
// monotonically), so where the smallest and largest gains decode alike
// every gain does, and the pixel adds the same error to every gain's sum,
// which changes no comparison: it is skipped. The integer sums do not
// depend on the order.
func chooseGain(x []float64, r []float64, g *image.Gray) int {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	var scale [GainCount]float64
	for gain := range scale {
		scale[gain] = gainOf(gain)
	}
	last := scale[GainCount-1]
	var se [GainCount]int64
	for y := range h {
		src := g.Pix[g.PixOffset(g.Rect.Min.X, g.Rect.Min.Y+y):][:w]
		xr, rr := x[y*w:y*w+w], r[y*w:y*w+w]
		for i, s := range src {
			xv, rv, sv := xr[i], rr[i], int64(s)
			if math.Abs(rv) <= math.MaxFloat64 {
				p0 := toPixel(xv + float64(scale[0]*rv))
				if p0 == toPixel(xv+float64(last*rv)) {
					continue
				}
			}
			for gain, a := range scale {
				d := int64(toPixel(xv+float64(a*rv))) - sv
				se[gain] += d * d
			}
		}
	}
	best := 0
	for gain, v := range se {
		if v < se[best] {
			best = gain
		}
	}
	return best
}

// gainOf is the residual scale of gain index g.
func gainOf(g int) float64 { return float64(g) / GainUnit }

// addResidual returns x plus gainOf(gain) times r (r in grey levels, from
// PostFilter.Residual255). The product is rounded on its own (an explicit
// conversion), so no processor fuses it with the addition; at GainUnit it
// is r itself, so versions 1-3 decode to the same bits as before gains.
func addResidual(x, r []float64, gain int) []float64 {
	a := gainOf(gain)
	out := make([]float64, len(x))
	for i := range x {
		out[i] = x[i] + float64(a*r[i])
	}
	return out
}

// stepsPerHalving is about how many step indices halve an X-ray payload
// near the QR budgets (measured: 270-300); searchStep's first guesses use
// it, later ones interpolate between the payloads it has seen.
const stepsPerHalving = 285

// searchStep returns the payload of a small step index in 1..StepCount-1
// whose payload fits budget, given that step 0's payload (fine bytes) does
// not; nil and the coarsest payload's size when none fits. Where sizes do
// not grow with the step it finds the index bisection finds, with fewer
// encodes: it interpolates log(size) between the nearest fitting and
// non-fitting steps it knows, and bisects instead when two probes in a row
// land on the same side (an interpolation creeping up on the answer from
// one side). It stops at a fitting step whose predecessor does not fit;
// the encoder's rate-distortion choices make sizes slightly non-monotone,
// so that is within a few indices of the smallest fitting one.
func searchStep(encode func(s int) []byte, fine, budget int) ([]byte, int) {
	lo, nlo := 0, fine      // largest step known not to fit, and its size
	hi, nhi := StepCount, 0 // smallest step known to fit (StepCount: none yet)
	var best []byte
	s, lastFit, probes := StepRef, false, 0
	for {
		p := encode(s)
		fit := len(p) <= budget
		if fit {
			hi, nhi, best = s, len(p), p
		} else {
			lo, nlo = s, len(p)
		}
		probes++
		if hi-lo <= 1 {
			break
		}
		switch {
		case probes > 1 && fit == lastFit:
			s = lo + (hi-lo)/2
		case hi == StepCount:
			s = lo + int(math.Ceil(stepsPerHalving*math.Log2(float64(nlo)/float64(budget))))
		default:
			f := math.Log(float64(nlo)/float64(budget)) / math.Log(float64(nlo)/float64(nhi))
			s = lo + int(math.Round(f*float64(hi-lo)))
		}
		s = max(lo+1, min(s, hi-1, StepCount-1))
		lastFit = fit
	}
	if best == nil {
		return nil, nlo
	}
	return best, nhi
}

// Header is a parsed payload header.
type Header struct {
	Version             int
	Width, Height, Step int
	// Gain is the post-filter gain index, 0..GainCount-1 (versions 1-3:
	// GainUnit, the whole residual).
	Gain     int
	FilterID [2]byte
}

// ParseHeader checks and parses the payload header.
func ParseHeader(payload []byte) (Header, error) {
	var h Header
	if len(payload) < HeaderSize {
		return h, formatErr("payload of %d bytes is shorter than the %d-byte header", len(payload), HeaderSize)
	}
	if payload[0] < 1 || payload[0] > Version {
		return h, formatErr("payload version %d, this build reads versions 1 to %d", payload[0], Version)
	}
	h.Version = int(payload[0])
	h.Width = int(binary.BigEndian.Uint16(payload[1:]))
	h.Height = int(binary.BigEndian.Uint16(payload[3:]))
	if err := checkSize(h.Width, h.Height); err != nil {
		return h, formatErr("declared %v", err)
	}
	field := int(binary.BigEndian.Uint16(payload[5:]))
	h.Step, h.Gain = field, GainUnit
	if h.Version >= 4 {
		h.Step, h.Gain = field%StepCount, field/StepCount
	}
	if h.Step >= StepCount {
		return h, formatErr("step index %d out of range 0..%d", h.Step, StepCount-1)
	}
	h.FilterID = [2]byte{payload[7], payload[8]}
	return h, nil
}

// DecodeRaw reconstructs the image without the post-filter, as float
// pixels (0..255 scale, unclamped) and the header.
func (c *Codec) DecodeRaw(payload []byte) ([]float64, Header, error) {
	x, h, _, err := c.decodeRaw(payload)
	return x, h, err
}

// decodeRaw is DecodeRaw, also returning the codec of the payload's model
// (c or an earlier one), whose post-filter Decode applies.
func (c *Codec) decodeRaw(payload []byte) ([]float64, Header, *Codec, error) {
	h, err := ParseHeader(payload)
	if err != nil {
		return nil, h, nil, err
	}
	m, ok := c.forModel(h.FilterID)
	if !ok {
		return nil, h, nil, formatErr("payload made for model %02x%02x, this codec has model %02x%02x (decode with the medqr build that encoded it)", h.FilterID[0], h.FilterID[1], c.id[0], c.id[1])
	}
	levels := Levels(h.Width, h.Height)
	d := entropy.NewDecoder(payload[HeaderSize:])
	var mask uint32
	if h.Version >= 5 {
		mask = unpackMask(d.Direct(maskBits(levels)), levels)
	}
	if h.Version >= 6 {
		mask = readDeep(mask, levels, func() uint32 { return d.Direct(1) })
	}
	p := newPacketPlane(h.Width, h.Height, levels, mask)
	p.decode(d, h.Version)
	x := p.dequantise(StepSize(h.Step))
	if mask == 0 {
		scaleBands(x, h.Width, h.Height, levels, true)
	} else {
		scalePacket(x, h.Width, h.Height, levels, mask)
		splitPlane(x, h.Width, h.Height, levels, mask, true)
	}
	InverseLift(x, h.Width, h.Height, levels, m.lift)
	for i := range x {
		x[i] += 128
		if math.IsNaN(x[i]) {
			x[i] = 128
		}
	}
	return x, h, m, nil
}

// Decode reconstructs the image, adding the post-filter residual of the
// payload's model, if it has one, at the payload's gain.
func (c *Codec) Decode(payload []byte) (*image.Gray, error) {
	x, h, m, err := c.decodeRaw(payload)
	if err != nil {
		return nil, err
	}
	if m.pf != nil && h.Gain != 0 {
		x = addResidual(x, m.pf.Residual255(x, h.Width, h.Height, h.Step), h.Gain)
	}
	return ToGray(x, h.Width, h.Height), nil
}

// ToGray rounds and clamps float pixels into an image.
func ToGray(x []float64, w, h int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i, v := range x {
		g.Pix[i] = toPixel(v)
	}
	return g
}

// toPixel rounds (half away from zero, as math.Round) and clamps one
// float pixel: the same answer as uint8(max(0, min(255, math.Round(v))))
// for every v (TestToPixel), without math.Round's call, since
// chooseGain runs it GainCount times per pixel.
func toPixel(v float64) uint8 {
	switch {
	case v >= 254.5: // rounds to 255 or more, +Inf included
		return 255
	case v > 0:
		// v < 254.5: the conversion truncates, which is the floor here,
		// and v - k is exact (Sterbenz: k <= v < 2k for k >= 1).
		k := int(v)
		if v-float64(k) >= 0.5 {
			k++
		}
		return uint8(k)
	case v <= 0: // rounds to 0 or less, -Inf included
		return 0
	}
	return uint8(max(0, min(255, math.Round(v)))) // NaN, as before
}

func sha2(b []byte) [2]byte {
	s := sha256.Sum256(b)
	return [2]byte{s[0], s[1]}
}
