// Package entropy is medqr's one binary range coder: the carry-propagating
// adaptive coder of LZMA (Pavlov), 32-bit range, 15-bit probabilities, used
// by every codec that entropy-codes (package codec's lossless and learned
// codecs, model/iwave), and a context-adaptive binarisation of the integer
// latent tensor the learned encoder network produces (see latent.go).
//
// Two adaptation rules share the coder: Prob (the mean of a fast and a slow
// estimate; the learned and iwave codecs), at DefaultRates through Bit or
// at a caller's Rates through BitAt (iwave's payload version 6), and
// CountProb (one estimate whose rate slows with the number of bits seen;
// the lossless codec). A probability starts at 1/2 (Init) or at a prior
// the codec supplies (InitP: iwave's tables learned from training images,
// compiled into the codec, never stored in a payload) and adapts as
// symbols are coded. Every update is integer shifts, so encoder and
// decoder agree bit for bit on every platform. The decoder never
// panics and never reads past its input: missing bytes read as zero, so a
// truncated or damaged payload decodes to some tensor (garbage after the
// damage), which the codec's header checks and the sealing layer's
// authentication keep away from users.
package entropy

const (
	probBits  = 15
	probOne   = 1 << probBits
	adaptFast = 3
	adaptSlow = 5
	topValue  = 1 << 24
)

// Prob is an adaptive probability that the next bit is 0, in units of
// 1/32768: the mean of a fast and a slow estimate (rates 1/8 and 1/32
// under Bit, DefaultRates; a caller's under BitAt), which adapts quickly
// on short channels and settles on long ones. The zero
// value is not ready: call Init.
//
// The shift updates stop moving an estimate once it is within 2^rate units
// of certainty, so the precision sets the cheapest a near-certain bit can
// be: with 12-bit probabilities that floor was 0.012 bits, which the tens of
// thousands of insignificant fine-level wavelet coefficients of an iwave
// payload turned into about 70 wasted bytes; at 15 bits it is 0.0008 bits.
// The precision and rates were chosen on 30 validation images (iwave PSNR
// at the four QR budgets: 12-bit rates 1/8, 1/64 -> 15-bit rates 1/8, 1/32
// gained 0.09-0.18 dB).
type Prob struct{ fast, slow uint16 }

// Init sets p to 1/2.
func (p *Prob) Init() { p.fast, p.slow = probOne/2, probOne/2 }

// InitP sets p to p0/32768, clamped to [1/512, 511/512] so that a prior
// from data never makes a bit nearly free to code wrongly.
func (p *Prob) InitP(p0 uint16) {
	v := min(max(p0, probOne/512), probOne-probOne/512)
	p.fast, p.slow = v, v
}

// P0 returns p's current estimate that the next bit is 0, in units of
// 1/32768 (the value InitP takes).
func (p *Prob) P0() uint16 { return uint16(p.p0()) }

func (p *Prob) p0() uint32 { return (uint32(p.fast) + uint32(p.slow)) >> 1 }

func (p *Prob) update(bit int) {
	if bit == 0 {
		p.fast += (probOne - p.fast) >> adaptFast
		p.slow += (probOne - p.slow) >> adaptSlow
	} else {
		p.fast -= p.fast >> adaptFast
		p.slow -= p.slow >> adaptSlow
	}
}

// Rates are the adaptation rates of a Prob coded with Encoder.BitAt and
// Decoder.BitAt: its fast estimate moves 1/2^Fast and its slow one 1/2^Slow
// of the way to each bit. Encoder.Bit and Decoder.Bit adapt at
// DefaultRates. Rates are shifts of 1 to 14 (a shift of 0 would let an
// estimate reach certainty and break the coder; callers pass constants).
type Rates struct{ Fast, Slow uint8 }

// DefaultRates are Prob's rates under Encoder.Bit and Decoder.Bit: 1/8
// and 1/32. Payloads already written depend on them: never assign it.
var DefaultRates = Rates{Fast: adaptFast, Slow: adaptSlow}

// updateAt is update at rates r.
func (p *Prob) updateAt(bit int, r Rates) {
	if bit == 0 {
		p.fast += (probOne - p.fast) >> r.Fast
		p.slow += (probOne - p.slow) >> r.Slow
	} else {
		p.fast -= p.fast >> r.Fast
		p.slow -= p.slow >> r.Slow
	}
}

// CountProb is an adaptive probability that the next bit is 0, in units of
// 1/32768, whose adaptation rate follows the number of bits it has seen:
// 1/16 for the first 16, 1/32 up to 48, then 1/64 (the schedule of AV1's
// symbol adaptation). It is the lossless codec's model (its version-1
// stream), where contexts see from a handful to millions of bits. The zero
// value is not ready: call Init.
type CountProb struct {
	p uint16 // P(0) * 2^15, in [1, 2^15-1]
	n uint8  // bits seen, saturating at 255
}

// Init sets p to 1/2 with no bits seen.
func (p *CountProb) Init() { p.p, p.n = probOne/2, 0 }

func (p *CountProb) update(bit int) {
	rate := 4
	if p.n > 15 {
		rate++
	}
	if p.n > 47 {
		rate++
	}
	if p.n < 255 {
		p.n++
	}
	if bit == 0 {
		p.p += uint16((probOne - uint32(p.p)) >> rate)
	} else {
		p.p -= p.p >> rate
	}
}

// Encoder is a binary range encoder.
type Encoder struct {
	low       uint64
	rng       uint32
	cache     byte
	cacheSize int64
	out       []byte
	first     bool
}

// NewEncoder returns an empty encoder.
func NewEncoder() *Encoder {
	return &Encoder{rng: 0xFFFFFFFF, cacheSize: 1, first: true}
}

func (e *Encoder) shiftLow() {
	if uint32(e.low) < 0xFF000000 || e.low>>32 != 0 {
		carry := byte(e.low >> 32)
		temp := e.cache
		for {
			e.emit(temp + carry)
			temp = 0xFF
			e.cacheSize--
			if e.cacheSize == 0 {
				break
			}
		}
		e.cache = byte(e.low >> 24)
	}
	e.cacheSize++
	e.low = (e.low & 0x00FFFFFF) << 8
}

// emit drops the coder's first byte, which is always zero.
func (e *Encoder) emit(b byte) {
	if e.first {
		e.first = false
		return
	}
	e.out = append(e.out, b)
}

// Bit codes one bit with the adaptive probability p and updates p.
func (e *Encoder) Bit(p *Prob, bit int) {
	e.code(p.p0(), bit)
	p.update(bit)
}

// BitAt codes one bit with the adaptive probability p and updates p at
// rates r (Bit is BitAt at DefaultRates).
func (e *Encoder) BitAt(p *Prob, bit int, r Rates) {
	e.code(p.p0(), bit)
	p.updateAt(bit, r)
}

// CountBit codes one bit with the count-scheduled probability p and
// updates p.
func (e *Encoder) CountBit(p *CountProb, bit int) {
	e.code(uint32(p.p), bit)
	p.update(bit)
}

// code narrows the range to bit's share, p0/32768 for a 0.
func (e *Encoder) code(p0 uint32, bit int) {
	bound := (e.rng >> probBits) * p0
	if bit == 0 {
		e.rng = bound
	} else {
		e.low += uint64(bound)
		e.rng -= bound
	}
	for e.rng < topValue {
		e.rng <<= 8
		e.shiftLow()
	}
}

// Direct codes the low n bits of v (MSB first) with probability 1/2 each.
func (e *Encoder) Direct(v uint32, n int) {
	for i := n - 1; i >= 0; i-- {
		e.rng >>= 1
		if (v>>uint(i))&1 != 0 {
			e.low += uint64(e.rng)
		}
		for e.rng < topValue {
			e.rng <<= 8
			e.shiftLow()
		}
	}
}

// Bytes flushes the coder and returns the coded bytes. The encoder must not
// be used afterwards.
func (e *Encoder) Bytes() []byte {
	for i := 0; i < 5; i++ {
		e.shiftLow()
	}
	// Trailing zero bytes are implied: the decoder reads zeros past the end.
	out := e.out
	for len(out) > 0 && out[len(out)-1] == 0 {
		out = out[:len(out)-1]
	}
	return out
}

// Decoder is a binary range decoder.
type Decoder struct {
	code, rng uint32
	in        []byte
	pos       int
}

// NewDecoder starts decoding b.
func NewDecoder(b []byte) *Decoder {
	d := &Decoder{rng: 0xFFFFFFFF, in: b}
	for i := 0; i < 4; i++ {
		d.code = d.code<<8 | uint32(d.next())
	}
	return d
}

func (d *Decoder) next() byte {
	if d.pos >= len(d.in) {
		d.pos++
		return 0
	}
	b := d.in[d.pos]
	d.pos++
	return b
}

// Overrun reports how many bytes past the end of the input the decoder has
// consumed (0 while it is within the input).
func (d *Decoder) Overrun() int {
	if d.pos > len(d.in)+4 {
		return d.pos - len(d.in) - 4
	}
	return 0
}

// Bit decodes one bit with the adaptive probability p and updates p.
func (d *Decoder) Bit(p *Prob) int {
	bit := d.decode(p.p0())
	p.update(bit)
	return bit
}

// BitAt decodes one bit with the adaptive probability p and updates p at
// rates r, as Encoder.BitAt coded it.
func (d *Decoder) BitAt(p *Prob, r Rates) int {
	bit := d.decode(p.p0())
	p.updateAt(bit, r)
	return bit
}

// CountBit decodes one bit with the count-scheduled probability p and
// updates p.
func (d *Decoder) CountBit(p *CountProb) int {
	bit := d.decode(uint32(p.p))
	p.update(bit)
	return bit
}

func (d *Decoder) decode(p0 uint32) int {
	bound := (d.rng >> probBits) * p0
	var bit int
	if d.code < bound {
		d.rng = bound
	} else {
		d.code -= bound
		d.rng -= bound
		bit = 1
	}
	for d.rng < topValue {
		d.rng <<= 8
		d.code = d.code<<8 | uint32(d.next())
	}
	return bit
}

// Direct decodes n equiprobable bits.
func (d *Decoder) Direct(n int) uint32 {
	var v uint32
	for i := 0; i < n; i++ {
		d.rng >>= 1
		var b uint32
		if d.code >= d.rng {
			d.code -= d.rng
			b = 1
		}
		v = v<<1 | b
		for d.rng < topValue {
			d.rng <<= 8
			d.code = d.code<<8 | uint32(d.next())
		}
	}
	return v
}
