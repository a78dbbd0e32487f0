package codec

// A binary adaptive range coder in the style of LZMA's (Pavlov): 32-bit
// range, carry propagation through a cached byte, probabilities of a 0 bit
// held with 15-bit precision. Each probability adapts quickly at first and
// more slowly once it has seen some bits (rate 4, then 5, then 6), the
// schedule that AV1's symbol adaptation uses.

const (
	probBits  = 15
	probOne   = 1 << probBits
	rcTopBits = 24
)

// bitModel is an adaptive estimate of P(bit == 0).
type bitModel struct {
	p uint16 // P(0) * 2^15, in [1, 2^15-1]
	n uint8  // bits seen, saturating at 255
}

func newBitModel() bitModel { return bitModel{p: probOne / 2} }

func (m *bitModel) update(bit int) {
	rate := 4
	if m.n > 15 {
		rate++
	}
	if m.n > 47 {
		rate++
	}
	if m.n < 255 {
		m.n++
	}
	if bit == 0 {
		m.p += uint16((probOne - uint32(m.p)) >> rate)
	} else {
		m.p -= m.p >> rate
	}
}

type rangeEncoder struct {
	low       uint64
	rng       uint32
	cache     byte
	cacheSize int64
	out       []byte
	first     bool // the first byte shifted out is always 0 and is not stored
}

func newRangeEncoder(out []byte) *rangeEncoder {
	return &rangeEncoder{rng: 0xFFFFFFFF, cacheSize: 1, out: out, first: true}
}

func (e *rangeEncoder) shiftLow() {
	if uint32(e.low) < 0xFF000000 || e.low>>32 != 0 {
		carry := byte(e.low >> 32)
		temp := e.cache
		for {
			if e.first {
				e.first = false
			} else {
				e.out = append(e.out, temp+carry)
			}
			temp = 0xFF
			e.cacheSize--
			if e.cacheSize == 0 {
				break
			}
		}
		e.cache = byte(uint32(e.low) >> 24)
	}
	e.cacheSize++
	e.low = uint64(uint32(e.low) << 8)
}

func (e *rangeEncoder) encode(m *bitModel, bit int) {
	bound := (e.rng >> probBits) * uint32(m.p)
	if bit == 0 {
		e.rng = bound
	} else {
		e.low += uint64(bound)
		e.rng -= bound
	}
	m.update(bit)
	for e.rng < 1<<rcTopBits {
		e.rng <<= 8
		e.shiftLow()
	}
}

// finish flushes the coder and returns the output.
func (e *rangeEncoder) finish() []byte {
	for i := 0; i < 5; i++ {
		e.shiftLow()
	}
	return e.out
}

type rangeDecoder struct {
	in    []byte
	pos   int
	rng   uint32
	code  uint32
	extra int // bytes read past the end of in (as zeros)
}

// rcSlack is how many bytes past the end of the input a decoder may read
// (as zeros) before the input counts as truncated. The encoder's flush
// writes four bytes after the last decision, so a valid stream never needs
// more than that.
const rcSlack = 8

func newRangeDecoder(in []byte) *rangeDecoder {
	d := &rangeDecoder{in: in, rng: 0xFFFFFFFF}
	for i := 0; i < 4; i++ {
		d.code = d.code<<8 | uint32(d.next())
	}
	return d
}

func (d *rangeDecoder) next() byte {
	if d.pos < len(d.in) {
		b := d.in[d.pos]
		d.pos++
		return b
	}
	d.extra++
	return 0
}

func (d *rangeDecoder) decode(m *bitModel) int {
	bound := (d.rng >> probBits) * uint32(m.p)
	var bit int
	if d.code < bound {
		d.rng = bound
	} else {
		d.code -= bound
		d.rng -= bound
		bit = 1
	}
	m.update(bit)
	for d.rng < 1<<rcTopBits {
		d.rng <<= 8
		d.code = d.code<<8 | uint32(d.next())
	}
	return bit
}

// overrun reports whether the decoder has read too far past its input.
func (d *rangeDecoder) overrun() bool { return d.extra > rcSlack }
