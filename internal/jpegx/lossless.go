package jpegx

import "fmt"

// decodeLossless decodes one lossless scan (T.81 Annex H) into out: each
// sample is predicted from its neighbours Ra (left), Rb (above) and Rc
// (above left) with selection value psv, the Huffman-coded difference is
// added modulo 2^16, and the result is shifted left by the point transform
// pt, as IJG libjpeg's lossless decoder (jdpred.c, jdscale.c) does. The
// first line of the image and of each restart interval is predicted from
// the left (its first sample from 2^(P-pt-1)), the first column from
// above.
func decodeLossless(r *bitReader, out *Samples, comps []frameComp, sc []*frameComp, dc *[4]huffTable, psv, pt, ri int) error {
	w, h, nc := out.Width, out.Height, out.Components
	if ri > 0 && ri%w != 0 {
		return UnsupportedError(fmt.Sprintf("lossless restart interval %d that is not a multiple of the line width %d", ri, w))
	}
	idx := make([]int, len(sc))
	tabs := make([]*huffTable, len(sc))
	prev := make([][]int32, len(sc))
	cur := make([][]int32, len(sc))
	for i, c := range sc {
		for j := range comps {
			if &comps[j] == c {
				idx[i] = j
			}
		}
		tabs[i] = &dc[c.td]
		prev[i] = make([]int32, w)
		cur[i] = make([]int32, w)
	}
	initPred := int32(1) << uint(out.Precision-pt-1)
	first := true
	for y := 0; y < h; y++ {
		if ri > 0 && y > 0 && (y*w)%ri == 0 {
			if err := r.restart(); err != nil {
				return err
			}
			first = true
		}
		row := out.Pix[y*w*nc:]
		for x := 0; x < w; x++ {
			for i := range sc {
				s, err := r.decode(tabs[i])
				if err != nil {
					return err
				}
				var diff int32
				switch {
				case s == 16:
					diff = 32768
				case s > 16:
					return FormatError("bad lossless difference category")
				default:
					diff = extend(r.bits(uint(s)), uint(s))
				}
				c, p := cur[i], prev[i]
				var pred int32
				switch {
				case first && x == 0:
					pred = initPred
				case first:
					pred = c[x-1]
				case x == 0:
					pred = p[0]
				default:
					ra, rb, rc := c[x-1], p[x], p[x-1]
					switch psv {
					case 1:
						pred = ra
					case 2:
						pred = rb
					case 3:
						pred = rc
					case 4:
						pred = ra + rb - rc
					case 5:
						pred = ra + (rb-rc)>>1
					case 6:
						pred = rb + (ra-rc)>>1
					case 7:
						pred = (ra + rb) >> 1
					}
				}
				v := (pred + diff) & 0xFFFF
				c[x] = v
				row[x*nc+idx[i]] = uint16(v << uint(pt))
			}
		}
		if r.overrun() {
			return errShortHuffmanData // stop at once instead of decoding zeros
		}
		first = false
		prev, cur = cur, prev
	}
	return nil
}
