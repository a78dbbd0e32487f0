package jpegx

import (
	"encoding/binary"
	"fmt"
)

// Samples is a JPEG frame decoded at its full precision.
type Samples struct {
	Width, Height int
	Components    int
	Precision     int      // bits per sample, 2..16
	Pix           []uint16 // Components samples per pixel, interleaved, row-major
}

// FrameInfo is what the start-of-frame marker says.
type FrameInfo struct {
	Process              string // "baseline", "extended", "progressive", "lossless", ...
	SOF                  byte   // the SOFn marker's second byte, e.g. 0xC3
	Precision            int
	Width, Height, Comps int
}

// Probe reads the markers of a JPEG stream up to its start-of-frame and
// returns what it says.
func Probe(b []byte) (FrameInfo, error) {
	var fi FrameInfo
	err := walkMarkers(b, func(m byte, seg []byte, _ int) (int, bool, error) {
		if m == 0xDA {
			return 0, true, nil
		}
		if !isSOF(m) {
			return 0, false, nil
		}
		var err error
		fi, err = parseSOFInfo(m, seg)
		return 0, true, err
	})
	if err == nil && fi.SOF == 0 {
		err = FormatError("missing SOF marker")
	}
	return fi, err
}

func isSOF(m byte) bool { return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC }

func parseSOFInfo(m byte, seg []byte) (FrameInfo, error) {
	if len(seg) < 6 {
		return FrameInfo{}, FormatError("short SOF segment")
	}
	fi := FrameInfo{SOF: m, Precision: int(seg[0]), Height: int(binary.BigEndian.Uint16(seg[1:])),
		Width: int(binary.BigEndian.Uint16(seg[3:])), Comps: int(seg[5])}
	switch m {
	case 0xC0:
		fi.Process = "baseline"
	case 0xC1:
		fi.Process = "extended"
	case 0xC2:
		fi.Process = "progressive"
	case 0xC3:
		fi.Process = "lossless"
	default:
		fi.Process = fmt.Sprintf("SOF%d (hierarchical or arithmetic)", m-0xC0)
	}
	if len(seg) != 6+3*fi.Comps || fi.Comps == 0 {
		return fi, FormatError("SOF has wrong length")
	}
	return fi, nil
}

// walkMarkers calls fn with each marker after SOI and its segment (without
// the length field, pos the offset after it) until fn returns stop or an
// error, or EOI. After SOS, fn returns in next the offset where the
// entropy-coded data ends; otherwise next is 0.
func walkMarkers(b []byte, fn func(m byte, seg []byte, pos int) (next int, stop bool, err error)) error {
	if len(b) < 2 || b[0] != 0xFF || b[1] != 0xD8 {
		return FormatError("missing SOI marker")
	}
	pos := 2
	for {
		for pos < len(b) && b[pos] != 0xFF {
			pos++ // tolerate garbage between segments, as libjpeg does
		}
		for pos < len(b) && b[pos] == 0xFF {
			pos++
		}
		if pos >= len(b) {
			return FormatError("missing EOI marker")
		}
		m := b[pos]
		pos++
		if m == 0xD9 {
			return nil
		}
		if m >= 0xD0 && m <= 0xD7 || m == 0x01 {
			continue // stand-alone markers
		}
		if pos+2 > len(b) {
			return FormatError("truncated marker segment")
		}
		n := int(binary.BigEndian.Uint16(b[pos:]))
		if n < 2 || pos+n > len(b) {
			return FormatError("marker segment length past the end of the data")
		}
		seg := b[pos+2 : pos+n]
		pos += n
		next, stop, err := fn(m, seg, pos)
		if err != nil || stop {
			return err
		}
		if next > pos {
			pos = next
		}
	}
}

// huffTable is a Huffman decoding table (T.81 F.2.2.3) with a 9-bit
// look-ahead.
type huffTable struct {
	look    [1 << 9]uint16 // value<<8 | length, 0 when the code is longer than 9 bits
	maxcode [18]int32      // maxcode[l]: largest code of length l, -1 if none
	valptr  [17]int32
	mincode [17]int32
	vals    []byte
	defined bool
}

func parseDHT(seg []byte, dc, ac *[4]huffTable) error {
	for len(seg) > 0 {
		if len(seg) < 17 {
			return FormatError("DHT has wrong length")
		}
		tc, th := seg[0]>>4, seg[0]&15
		if tc > 1 || th > 3 {
			return FormatError("bad DHT table class or index")
		}
		t := &dc[th]
		if tc == 1 {
			t = &ac[th]
		}
		*t = huffTable{defined: true}
		total := 0
		var counts [17]int
		for l := 1; l <= 16; l++ {
			counts[l] = int(seg[l])
			total += counts[l]
		}
		if total == 0 || total > 256 || len(seg) < 17+total {
			return FormatError("bad Huffman table size")
		}
		t.vals = append([]byte(nil), seg[17:17+total]...)
		seg = seg[17+total:]
		code, k := int32(0), 0
		for l := 1; l <= 16; l++ {
			t.valptr[l] = int32(k)
			t.mincode[l] = code
			code += int32(counts[l])
			k += counts[l]
			if counts[l] > 0 {
				t.maxcode[l] = code - 1
			} else {
				t.maxcode[l] = -1
			}
			if code > 1<<l {
				return FormatError("over-subscribed Huffman table")
			}
			code <<= 1
		}
		t.maxcode[17] = 0x7FFFFFFF
		for l := 1; l <= 9; l++ {
			for i := int32(0); i < int32(counts[l]); i++ {
				c := t.mincode[l] + i
				v := t.vals[t.valptr[l]+i]
				lo := c << (9 - l)
				for j := int32(0); j < 1<<(9-l); j++ {
					t.look[lo+j] = uint16(v)<<8 | uint16(l)
				}
			}
		}
	}
	return nil
}

// bitReader reads entropy-coded data: stuffed 0xFF00 bytes become 0xFF,
// a marker ends the data and zeros are supplied after it (as libjpeg
// does); reading any of those zeros is reported as truncated data.
type bitReader struct {
	b    []byte
	pos  int
	acc  uint64
	n    uint // valid bits in acc (low end)
	fake uint // of which zeros appended after the end of the data
}

func (r *bitReader) fill() {
	for r.n <= 56 {
		c := byte(0)
		if r.fake == 0 && r.pos < len(r.b) {
			c = r.b[r.pos]
			if c == 0xFF {
				if r.pos+1 < len(r.b) && r.b[r.pos+1] == 0 {
					r.pos += 2
				} else {
					r.fake += 8 // a marker: stop here
					c = 0
				}
			} else {
				r.pos++
			}
		} else {
			r.fake += 8
		}
		r.acc = r.acc<<8 | uint64(c)
		r.n += 8
	}
}

func (r *bitReader) bits(k uint) int32 {
	if k == 0 {
		return 0
	}
	if r.n < k {
		r.fill()
	}
	r.n -= k
	return int32(r.acc>>r.n) & (1<<k - 1)
}

// overrun reports whether bits past the end of the data were consumed.
func (r *bitReader) overrun() bool { return r.n < r.fake }

func (r *bitReader) decode(t *huffTable) (byte, error) {
	if r.n < 16 {
		r.fill()
	}
	if e := t.look[(r.acc>>(r.n-9))&511]; e != 0 {
		r.n -= uint(e & 0xFF)
		return byte(e >> 8), nil
	}
	for l := uint(10); l <= 16; l++ {
		code := int32(r.acc>>(r.n-l)) & (1<<l - 1)
		if code <= t.maxcode[l] {
			r.n -= l
			return t.vals[t.valptr[l]+code-t.mincode[l]], nil
		}
	}
	return 0, FormatError("bad Huffman code")
}

// restart skips the padding and the RSTn marker at a restart interval.
func (r *bitReader) restart() error {
	if r.overrun() {
		return errShortHuffmanData
	}
	// Bytes already in acc precede the marker; only padding is left.
	r.acc, r.n, r.fake = 0, 0, 0
	for r.pos < len(r.b) && r.b[r.pos] == 0xFF && r.pos+1 < len(r.b) && r.b[r.pos+1] == 0xFF {
		r.pos++
	}
	if r.pos+1 >= len(r.b) || r.b[r.pos] != 0xFF || r.b[r.pos+1] < 0xD0 || r.b[r.pos+1] > 0xD7 {
		return FormatError("missing restart marker")
	}
	r.pos += 2
	return nil
}

// end returns the offset after the entropy-coded data.
func (r *bitReader) end() int {
	p := r.pos
	for p+1 < len(r.b) && !(r.b[p] == 0xFF && r.b[p+1] != 0 && (r.b[p+1] < 0xD0 || r.b[p+1] > 0xD7)) {
		p++
	}
	return p
}

func extend(v int32, s uint) int32 {
	if s > 0 && v < 1<<(s-1) {
		return v - (1 << s) + 1
	}
	return v
}

// frameComp is a component of the frame.
type frameComp struct {
	id     byte
	h, v   int
	tq     int
	td, ta int // tables of the current scan
}

// DecodeSamples decodes a JPEG frame that Decode does not: lossless JPEG
// (process 14, SOF3, any selection value 1-7 and point transform, 2-16
// bits, one or more components without subsampling) and 12-bit sequential
// DCT JPEG (processes 2 and 4, SOF0/SOF1, one component, Huffman coded).
// The output is bit-identical to IJG libjpeg 6b with its lossless patch
// and the islow IDCT (what GDCM and DCMTK use). maxPixels bounds
// Width*Height before any sample buffer is allocated.
func DecodeSamples(b []byte, maxPixels int64) (*Samples, error) {
	var (
		fi       FrameInfo
		comps    []frameComp
		dc, ac   [4]huffTable
		quant    [4][64]int32
		qdefined [4]bool
		ri       int
		out      *Samples
		scanned  = map[byte]bool{}
	)
	err := walkMarkers(b, func(m byte, seg []byte, pos int) (int, bool, error) {
		switch {
		case isSOF(m):
			if out != nil {
				return 0, false, FormatError("multiple SOF markers")
			}
			var err error
			if fi, err = parseSOFInfo(m, seg); err != nil {
				return 0, false, err
			}
			switch {
			case m == 0xC3:
				if fi.Precision < 2 || fi.Precision > 16 {
					return 0, false, FormatError(fmt.Sprintf("lossless precision %d", fi.Precision))
				}
			case (m == 0xC0 || m == 0xC1) && fi.Precision == 12:
				if fi.Comps != 1 {
					return 0, false, UnsupportedError(fmt.Sprintf("12-bit JPEG with %d components", fi.Comps))
				}
			default:
				return 0, false, UnsupportedError(fmt.Sprintf("%s JPEG with %d-bit samples", fi.Process, fi.Precision))
			}
			if fi.Width == 0 || fi.Height == 0 {
				return 0, false, UnsupportedError("frame without a height (DNL marker)")
			}
			if int64(fi.Width)*int64(fi.Height) > maxPixels {
				return 0, false, FormatError(fmt.Sprintf("frame of %dx%d pixels exceeds the limit of %d", fi.Width, fi.Height, maxPixels))
			}
			if fi.Comps > 4 {
				return 0, false, UnsupportedError(fmt.Sprintf("%d components", fi.Comps))
			}
			comps = make([]frameComp, fi.Comps)
			for i := range comps {
				c := seg[6+3*i:]
				comps[i] = frameComp{id: c[0], h: int(c[1] >> 4), v: int(c[1] & 15), tq: int(c[2])}
				if comps[i].tq > 3 {
					return 0, false, FormatError("bad Tq value")
				}
				if fi.Comps > 1 && (comps[i].h != 1 || comps[i].v != 1) {
					return 0, false, UnsupportedError("subsampled components in lossless JPEG")
				}
			}
			out = &Samples{Width: fi.Width, Height: fi.Height, Components: fi.Comps, Precision: fi.Precision,
				Pix: make([]uint16, fi.Width*fi.Height*fi.Comps)}
		case m == 0xC4:
			return 0, false, parseDHT(seg, &dc, &ac)
		case m == 0xDB:
			for len(seg) > 0 {
				pq, tq := seg[0]>>4, seg[0]&15
				if pq > 1 || tq > 3 || len(seg) < 1+64*(1+int(pq)) {
					return 0, false, FormatError("bad DQT segment")
				}
				for k := 0; k < 64; k++ {
					if pq == 0 {
						quant[tq][k] = int32(seg[1+k])
					} else {
						quant[tq][k] = int32(binary.BigEndian.Uint16(seg[1+2*k:]))
					}
				}
				qdefined[tq] = true
				seg = seg[1+64*(1+int(pq)):]
			}
		case m == 0xDD:
			if len(seg) != 2 {
				return 0, false, FormatError("DRI has wrong length")
			}
			ri = int(binary.BigEndian.Uint16(seg))
		case m == 0xDC:
			return 0, false, UnsupportedError("DNL marker")
		case m == 0xDA:
			if out == nil {
				return 0, false, FormatError("SOS before SOF")
			}
			if len(seg) < 1 || len(seg) != 4+2*int(seg[0]) {
				return 0, false, FormatError("SOS has wrong length")
			}
			ns := int(seg[0])
			var sc []*frameComp
			for i := 0; i < ns; i++ {
				id, t := seg[1+2*i], seg[2+2*i]
				var c *frameComp
				for j := range comps {
					if comps[j].id == id {
						c = &comps[j]
					}
				}
				if c == nil || scanned[id] {
					return 0, false, FormatError("bad component in SOS")
				}
				scanned[id] = true
				c.td, c.ta = int(t>>4), int(t&15)
				if c.td > 3 || c.ta > 3 || !dc[c.td].defined || (fi.SOF != 0xC3 && !ac[c.ta].defined) {
					return 0, false, FormatError("SOS uses an undefined Huffman table")
				}
				sc = append(sc, c)
			}
			ss, se, al := int(seg[1+2*ns]), int(seg[2+2*ns]), int(seg[3+2*ns]&15)
			r := &bitReader{b: b, pos: pos}
			var err error
			if fi.SOF == 0xC3 {
				if ss < 1 || ss > 7 || al >= fi.Precision {
					return 0, false, FormatError(fmt.Sprintf("lossless scan with predictor %d and point transform %d", ss, al))
				}
				err = decodeLossless(r, out, comps, sc, &dc, ss, al, ri)
			} else {
				// Like libjpeg, a sequential scan's Ss and Se are only
				// checked for a warning (some encoders write Se = 0).
				_ = se
				if len(sc) != 1 {
					return 0, false, FormatError("bad sequential scan parameters")
				}
				if !qdefined[sc[0].tq] {
					return 0, false, FormatError("missing quantization table")
				}
				err = decodeDCT12(r, out, &dc[sc[0].td], &ac[sc[0].ta], &quant[sc[0].tq], ri)
			}
			if err != nil {
				return 0, false, err
			}
			if r.overrun() {
				return 0, false, errShortHuffmanData
			}
			return r.end(), false, nil
		}
		return 0, false, nil
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		return nil, FormatError("missing SOF marker")
	}
	if len(scanned) != len(comps) {
		return nil, FormatError("missing scan data")
	}
	return out, nil
}
