package jpegx

// decodeDCT12 decodes a one-component 12-bit sequential Huffman scan
// (T.81 Annex F) into out: DC differences and AC run/size codes,
// coefficients kept as 16-bit JCOEF values as libjpeg does, dequantized,
// and the islow IDCT with 12-bit constants (PASS1_BITS 1, range limit
// 0..4095).
func decodeDCT12(r *bitReader, out *Samples, dct, act *huffTable, q *[64]int32, ri int) error {
	w, h := out.Width, out.Height
	bw, bh := (w+7)/8, (h+7)/8
	var pred int32
	var b block
	n := 0
	for by := 0; by < bh; by++ {
		if r.overrun() {
			return errShortHuffmanData // stop at once instead of decoding zeros
		}
		for bx := 0; bx < bw; bx++ {
			if ri > 0 && n > 0 && n%ri == 0 {
				if err := r.restart(); err != nil {
					return err
				}
				pred = 0
			}
			n++
			b = block{}
			s, err := r.decode(dct)
			if err != nil {
				return err
			}
			if s > 15 {
				return FormatError("bad DC difference category")
			}
			pred += extend(r.bits(uint(s)), uint(s))
			b[0] = int32(int16(pred)) * q[0]
			for k := 1; k < 64; k++ {
				rs, err := r.decode(act)
				if err != nil {
					return err
				}
				run, size := int(rs>>4), uint(rs&15)
				if size == 0 {
					if run != 15 {
						break
					}
					k += 15
					continue
				}
				k += run
				if k > 63 {
					return FormatError("AC run past the end of the block")
				}
				b[unzig[k]] = int32(int16(extend(r.bits(size), size))) * q[k]
			}
			idctWith(&b, islow12)
			for y := 0; y < 8 && by*8+y < h; y++ {
				row := out.Pix[(by*8+y)*w:]
				for x := 0; x < 8 && bx*8+x < w; x++ {
					row[bx*8+x] = uint16(b[8*y+x] + 2048)
				}
			}
		}
	}
	return nil
}
