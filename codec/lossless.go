package codec

import (
	"encoding/binary"
	"fmt"
	"image"
	"math/bits"

	"github.com/medqr/medqr/internal/entropy"
)

// Lossless codes 8- and 16-bit gray images exactly.
//
// Each pixel is predicted by the median edge detector of LOCO-I/JPEG-LS
// (Weinberger, Seroussi, Sapiro 2000) from its west, north and north-west
// neighbours, corrected by the running bias of its gradient context (LOCO-I's
// 365 contexts of quantized local gradients). The residual is binarized
// (zero flag, sign, Elias-gamma exponent, mantissa) and every binary decision
// is coded with the adaptive binary range coder of internal/entropy
// (count-scheduled probabilities, entropy.CountProb) whose probabilities are
// selected by an activity class, a log-quantized estimate of the local error
// magnitude from the gradients and the neighbours' residuals (in the manner
// of CALIC's error energy, Wu and Memon 1997); the sign models are also
// conditioned on the sign of the west neighbour's residual.
//
// Payload layout:
//
//	offset 0  1 byte   format version (1)
//	offset 1  1 byte   bit 7: 16-bit container (*image.Gray16) else 8-bit (*image.Gray);
//	                   bits 0-4: significant bits B (1..16), every pixel < 2^B
//	offset 2  uvarint  width
//	          uvarint  height
//	          ...      range-coded residuals, rows top to bottom
//
// A 16-bit image whose pixels all fit in B < 16 bits (12-bit DICOM, say) is
// coded with B-bit statistics and comes back as the same *image.Gray16.
type Lossless struct{}

const (
	losslessVersion = 1
	losslessName    = "lossless"
	flag16          = 0x80
	// overrunSlack is how many zero bytes past the end of its input (after
	// the four the coder's flush may leave implied) the decoder may read
	// before the payload counts as truncated.
	overrunSlack = 4
)

func (Lossless) ID() uint8    { return IDLossless }
func (Lossless) Name() string { return losslessName }

// Encode codes img exactly: *image.Gray16 as 16-bit, anything else as 8-bit
// gray (colour images go through color.GrayModel). It fails with ErrBudget
// when budget > 0 and the payload is larger.
func (Lossless) Encode(img image.Image, budget int) ([]byte, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if err := checkDims(losslessName, w, h); err != nil {
		return nil, err
	}
	pix := make([]int32, w*h)
	wide := false
	if g16, ok := img.(*image.Gray16); ok {
		wide = true
		for y := 0; y < h; y++ {
			row := g16.Pix[g16.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				pix[y*w+x] = int32(row[2*x])<<8 | int32(row[2*x+1])
			}
		}
	} else {
		g := toGray(img)
		for y := 0; y < h; y++ {
			row := g.Pix[y*g.Stride:]
			for x := 0; x < w; x++ {
				pix[y*w+x] = int32(row[x])
			}
		}
	}
	var maxv int32
	for _, v := range pix {
		maxv = max(maxv, v)
	}
	nbits := max(1, bits.Len32(uint32(maxv)))
	hdr := []byte{losslessVersion, byte(nbits)}
	if wide {
		hdr[1] |= flag16
	}
	hdr = binary.AppendUvarint(hdr, uint64(w))
	hdr = binary.AppendUvarint(hdr, uint64(h))
	enc := entropy.NewEncoder()
	m := newLLModel(w, nbits)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			pred, sign, ctx, cls := m.predict(pix, x, y)
			e := pix[y*w+x] - pred
			m.encodeResidual(enc, cls, e*sign)
			m.update(x, ctx, e*sign)
		}
		m.nextRow()
	}
	out := append(hdr, enc.Bytes()...)
	if budget > 0 && len(out) > budget {
		return nil, fmt.Errorf("%w: lossless needs %d bytes for %dx%d, budget is %d", ErrBudget, len(out), w, h, budget)
	}
	return out, nil
}

// Decode reconstructs the exact image: *image.Gray or *image.Gray16.
func (Lossless) Decode(payload []byte) (image.Image, error) {
	if len(payload) < 2 {
		return nil, formatErr(losslessName, "%d bytes is shorter than the header", len(payload))
	}
	if payload[0] != losslessVersion {
		return nil, formatErr(losslessName, "unknown format version %d", payload[0])
	}
	wide := payload[1]&flag16 != 0
	nbits := int(payload[1] &^ flag16)
	if nbits < 1 || nbits > 16 || (!wide && nbits > 8) {
		return nil, formatErr(losslessName, "bad depth byte %#02x", payload[1])
	}
	p := payload[2:]
	uw, n := binary.Uvarint(p)
	if n <= 0 {
		return nil, formatErr(losslessName, "bad width")
	}
	p = p[n:]
	uh, n := binary.Uvarint(p)
	if n <= 0 {
		return nil, formatErr(losslessName, "bad height")
	}
	p = p[n:]
	if uw > MaxPixels || uh > MaxPixels {
		return nil, formatErr(losslessName, "image %dx%d exceeds the %d-pixel limit", uw, uh, MaxPixels)
	}
	w, h := int(uw), int(uh)
	if err := checkDims(losslessName, w, h); err != nil {
		return nil, err
	}
	// Each pixel costs at least one binary decision, and no adaptive
	// probability exceeds 1-63/32768, so a valid stream holds at least
	// w*h*0.0028 bits: a payload much shorter than that is truncated or
	// hostile, and is refused before the pixel buffer is allocated.
	if w*h>>14 > len(p) {
		return nil, formatErr(losslessName, "%d bytes cannot hold %dx%d pixels", len(p), w, h)
	}
	dec := entropy.NewDecoder(p)
	m := newLLModel(w, nbits)
	pix := make([]int32, w*h)
	maxv := int32(1)<<nbits - 1
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			pred, sign, ctx, cls := m.predict(pix, x, y)
			e, ok := m.decodeResidual(dec, cls)
			if !ok {
				return nil, formatErr(losslessName, "corrupt residual at (%d,%d)", x, y)
			}
			v := pred + e*sign
			if v < 0 || v > maxv {
				return nil, formatErr(losslessName, "pixel (%d,%d) out of range", x, y)
			}
			pix[y*w+x] = v
			m.update(x, ctx, e)
		}
		m.nextRow()
		if dec.Overrun() > overrunSlack {
			return nil, formatErr(losslessName, "truncated at row %d of %d", y, h)
		}
	}
	if wide {
		g := image.NewGray16(image.Rect(0, 0, w, h))
		for i, v := range pix {
			g.Pix[2*i] = byte(v >> 8)
			g.Pix[2*i+1] = byte(v)
		}
		return g, nil
	}
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i, v := range pix {
		g.Pix[i] = byte(v)
	}
	return g, nil
}

const (
	nGradCtx  = 9 * 9 * 9 // three gradients quantized to -4..4 (sign-merged to 365 in use)
	nClasses  = 40        // activity classes
	maxExp    = 18        // residual magnitudes < 2^17
	nMantCtx  = 2         // leading mantissa bits with class-dependent models
	biasReset = 64        // LOCO-I's RESET
)

// llModel is the shared state of the lossless encoder and decoder; both
// update it identically after every pixel.
type llModel struct {
	w, nbits int
	maxv     int32
	gshift   uint // gradients are scaled to an 8-bit range before quantizing
	cmax     int32

	// LOCO-I bias correction per gradient context.
	bsum, ncnt, corr [nGradCtx]int32

	// |residual| of the previous and current row, for the activity class.
	prevErr, curErr []int32
	// sign of the west residual (0 zero, 1 positive, 2 negative), for the sign models.
	wsign int

	zero [nClasses]entropy.CountProb
	sign [nClasses][3]entropy.CountProb
	exp  [nClasses][maxExp]entropy.CountProb
	mant [nClasses][maxExp][nMantCtx]entropy.CountProb
	tail [maxExp][maxExp]entropy.CountProb
}

func newLLModel(w, nbits int) *llModel {
	m := &llModel{w: w, nbits: nbits, maxv: int32(1)<<nbits - 1}
	if nbits > 8 {
		m.gshift = uint(nbits - 8)
	}
	m.cmax = int32(1) << max(7, nbits-1)
	m.prevErr = make([]int32, w+1)
	m.curErr = make([]int32, w+1)
	for i := range m.ncnt {
		m.ncnt[i] = 1
	}
	for c := range m.zero {
		m.zero[c].Init()
		for j := range m.sign[c] {
			m.sign[c][j].Init()
		}
		for k := range m.exp[c] {
			m.exp[c][k].Init()
			for j := range m.mant[c][k] {
				m.mant[c][k][j].Init()
			}
		}
	}
	for k := range m.tail {
		for j := range m.tail[k] {
			m.tail[k][j].Init()
		}
	}
	return m
}

func (m *llModel) nextRow() {
	m.wsign = 0
	m.prevErr, m.curErr = m.curErr, m.prevErr
}

func abs32(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}

// quantGrad maps a gradient to -4..4 on a logarithmic scale (LOCO-I's
// thresholds 3, 7, 21 are close to powers of two for 8-bit data).
func (m *llModel) quantGrad(g int32) int32 {
	s := int32(1)
	if g < 0 {
		s, g = -1, -g
	}
	g >>= m.gshift
	var q int32
	switch {
	case g == 0:
		q = 0
	case g < 3:
		q = 1
	case g < 7:
		q = 2
	case g < 21:
		q = 3
	default:
		q = 4
	}
	return s * q
}

// predict returns the corrected prediction for pixel (x, y), the sign with
// which the residual is coded, the gradient context and the activity class.
func (m *llModel) predict(pix []int32, x, y int) (pred, sign int32, ctx int, cls int) {
	w := m.w
	var a, b, c, d int32
	switch {
	case y == 0 && x == 0:
		a = (m.maxv + 1) >> 1
		b, c, d = a, a, a
	case y == 0:
		a = pix[x-1]
		b, c, d = a, a, a
	default:
		up := (y - 1) * w
		b = pix[up+x]
		if x > 0 {
			a = pix[y*w+x-1]
			c = pix[up+x-1]
		} else {
			a, c = b, b
		}
		if x+1 < w {
			d = pix[up+x+1]
		} else {
			d = b
		}
	}
	// Median edge detector.
	switch {
	case c >= max(a, b):
		pred = min(a, b)
	case c <= min(a, b):
		pred = max(a, b)
	default:
		pred = a + b - c
	}
	q1, q2, q3 := m.quantGrad(d-b), m.quantGrad(b-c), m.quantGrad(c-a)
	sign = 1
	if q1 < 0 || (q1 == 0 && (q2 < 0 || (q2 == 0 && q3 < 0))) {
		sign, q1, q2, q3 = -1, -q1, -q2, -q3
	}
	ctx = int((q1+4)*81 + (q2+4)*9 + (q3 + 4))
	pred += sign * m.corr[ctx]
	pred = min(max(pred, 0), m.maxv)

	// Activity: local gradients plus neighbouring residual magnitudes.
	act := abs32(a-c) + abs32(b-c) + abs32(b-d) + 2*m.curErr[x] + m.prevErr[x+1] + (m.prevErr[x]+m.prevErr[min(x+2, w)])/2 // curErr[x] is west, prevErr[x+1] north
	cls = 0
	if act > 0 {
		l := bits.Len32(uint32(act)) // 1..
		cls = 2*l - 1
		if l >= 2 && act&(1<<(l-2)) != 0 {
			cls++
		}
	}
	cls = min(cls, nClasses-1)
	return pred, sign, ctx, cls
}

// update records the (sign-adjusted) residual e of pixel x in context ctx.
func (m *llModel) update(x, ctx int, e int32) {
	m.curErr[x+1] = abs32(e)
	switch {
	case e > 0:
		m.wsign = 1
	case e < 0:
		m.wsign = 2
	default:
		m.wsign = 0
	}
	// LOCO-I bias cancellation.
	m.bsum[ctx] += e
	if m.ncnt[ctx] == biasReset {
		m.bsum[ctx] >>= 1 // arithmetic shift: rounds towards -inf as LOCO-I does
		m.ncnt[ctx] >>= 1
	}
	m.ncnt[ctx]++
	n := m.ncnt[ctx]
	if m.bsum[ctx] <= -n {
		if m.corr[ctx] > -m.cmax {
			m.corr[ctx]--
		}
		m.bsum[ctx] += n
		if m.bsum[ctx] <= -n {
			m.bsum[ctx] = -n + 1
		}
	} else if m.bsum[ctx] > 0 {
		if m.corr[ctx] < m.cmax-1 {
			m.corr[ctx]++
		}
		m.bsum[ctx] -= n
		if m.bsum[ctx] > 0 {
			m.bsum[ctx] = 0
		}
	}
}

// encodeResidual codes the (sign-adjusted) residual e in activity class cls.
func (m *llModel) encodeResidual(enc *entropy.Encoder, cls int, e int32) {
	if e == 0 {
		enc.CountBit(&m.zero[cls], 1)
		return
	}
	enc.CountBit(&m.zero[cls], 0)
	mag := uint32(e)
	if e < 0 {
		enc.CountBit(&m.sign[cls][m.wsign], 1)
		mag = uint32(-e)
	} else {
		enc.CountBit(&m.sign[cls][m.wsign], 0)
	}
	// Exponent k = bit length of mag, 1..nbits, in unary (the terminating
	// 0 is implied at k = nbits, since |residual| < 2^nbits).
	k := bits.Len32(mag)
	exp := &m.exp[cls]
	for kk := 1; kk < m.nbits; kk++ {
		if kk < k {
			enc.CountBit(&exp[kk], 1)
		} else {
			enc.CountBit(&exp[kk], 0)
			break
		}
	}
	// Mantissa: the k-1 bits below the leading one; the first nMantCtx
	// with class-dependent models, the rest with models per (k, bit).
	for j := k - 2; j >= 0; j-- {
		b := int(mag>>uint(j)) & 1
		if lead := k - 2 - j; lead < nMantCtx {
			enc.CountBit(&m.mant[cls][k][lead], b)
		} else {
			enc.CountBit(&m.tail[k][j], b)
		}
	}
}

// decodeResidual is the inverse of encodeResidual; ok is false when the
// bits cannot come from a valid stream.
func (m *llModel) decodeResidual(dec *entropy.Decoder, cls int) (int32, bool) {
	if dec.CountBit(&m.zero[cls]) == 1 {
		return 0, true
	}
	neg := dec.CountBit(&m.sign[cls][m.wsign])
	k := 1
	exp := &m.exp[cls]
	for ; k < m.nbits; k++ {
		if dec.CountBit(&exp[k]) == 0 {
			break
		}
	}
	mag := uint32(1)
	for j := k - 2; j >= 0; j-- {
		var b int
		if lead := k - 2 - j; lead < nMantCtx {
			b = dec.CountBit(&m.mant[cls][k][lead])
		} else {
			b = dec.CountBit(&m.tail[k][j])
		}
		mag = mag<<1 | uint32(b)
	}
	if mag > uint32(m.maxv) {
		return 0, false
	}
	if neg == 1 {
		return -int32(mag), true
	}
	return int32(mag), true
}
