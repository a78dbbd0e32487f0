package jpegx

import (
	"image"
	"image/color"
)

type block [blockSize]int32

const blockSize = 8 * 8

// Constants of libjpeg's jidctint.c: CONST_BITS = 13 and
// FIX(x) = round(x * 2^13).
const (
	constBits = 13

	fix0_298631336 = 2446
	fix0_390180644 = 3196
	fix0_541196100 = 4433
	fix0_765366865 = 6270
	fix0_899976223 = 7373
	fix1_175875602 = 9633
	fix1_501321110 = 12299
	fix1_847759065 = 15137
	fix1_961570560 = 16069
	fix2_053119869 = 16819
	fix2_562915447 = 20995
	fix3_072711026 = 25172
)

func descale(x int64, n uint) int64 { return (x + 1<<(n-1)) >> n }

// idctConfig holds what jidctint.c's islow IDCT depends on the sample
// precision: PASS1_BITS (2 for 8-bit, 1 for 12-bit) and the post-IDCT
// range-limit table (jdmaster.c prepare_range_limit_table), indexed by
// x & mask, minus the level shift (CENTERJSAMPLE) that the caller adds
// back. For 8-bit samples values in [-128, 127] pass through, [128, 511]
// saturate to 255, [-512, -129] to 0, and larger magnitudes wrap around as
// in libjpeg; 12-bit samples likewise with 4096 levels.
type idctConfig struct {
	pass1 uint
	mask  int64
	limit []int32
}

var (
	islow8  = newIDCTConfig(8, 2)
	islow12 = newIDCTConfig(12, 1)
)

func newIDCTConfig(bits, pass1 uint) *idctConfig {
	levels := int64(1) << bits // MAXJSAMPLE+1
	center := levels / 2
	c := &idctConfig{pass1: pass1, mask: 4*levels - 1, limit: make([]int32, 4*levels)}
	for t := range c.limit {
		x := int64(t)
		switch {
		case x < center:
			c.limit[t] = int32(x)
		case x < 2*levels:
			c.limit[t] = int32(levels - 1 - center)
		case x < 4*levels-center:
			c.limit[t] = int32(-center)
		default:
			c.limit[t] = int32(x - 4*levels)
		}
	}
	return c
}

// idct is libjpeg's jpeg_idct_islow on an already dequantized block in
// natural order. It leaves in b the output samples minus 128.
func idct(b *block) { idctWith(b, islow8) }

// idctWith is jpeg_idct_islow for the precision of p; it leaves in b the
// output samples minus CENTERJSAMPLE.
func idctWith(b *block, p *idctConfig) {
	pass1Bits := p.pass1
	rangeLimit := func(x int64) int32 { return p.limit[x&p.mask] }
	var ws [blockSize]int32
	// Pass 1: columns, results scaled up by 2^PASS1_BITS.
	for c := 0; c < 8; c++ {
		if b[8+c] == 0 && b[16+c] == 0 && b[24+c] == 0 && b[32+c] == 0 &&
			b[40+c] == 0 && b[48+c] == 0 && b[56+c] == 0 {
			dc := b[c] << pass1Bits
			for r := 0; r < 8; r++ {
				ws[8*r+c] = dc
			}
			continue
		}
		z2 := int64(b[16+c])
		z3 := int64(b[48+c])
		z1 := (z2 + z3) * fix0_541196100
		tmp2 := z1 + z3*(-fix1_847759065)
		tmp3 := z1 + z2*fix0_765366865
		z2 = int64(b[c])
		z3 = int64(b[32+c])
		tmp0 := (z2 + z3) << constBits
		tmp1 := (z2 - z3) << constBits
		tmp10 := tmp0 + tmp3
		tmp13 := tmp0 - tmp3
		tmp11 := tmp1 + tmp2
		tmp12 := tmp1 - tmp2

		tmp0 = int64(b[56+c])
		tmp1 = int64(b[40+c])
		tmp2 = int64(b[24+c])
		tmp3 = int64(b[8+c])
		o0, o1, o2, o3 := odd(tmp0, tmp1, tmp2, tmp3)

		s := constBits - pass1Bits
		ws[0+c] = int32(descale(tmp10+o3, s))
		ws[56+c] = int32(descale(tmp10-o3, s))
		ws[8+c] = int32(descale(tmp11+o2, s))
		ws[48+c] = int32(descale(tmp11-o2, s))
		ws[16+c] = int32(descale(tmp12+o1, s))
		ws[40+c] = int32(descale(tmp12-o1, s))
		ws[24+c] = int32(descale(tmp13+o0, s))
		ws[32+c] = int32(descale(tmp13-o0, s))
	}
	// Pass 2: rows, removing the 2^PASS1_BITS and the 8 of the IDCT.
	for r := 0; r < 8; r++ {
		w := ws[8*r : 8*r+8]
		out := b[8*r : 8*r+8]
		if w[1] == 0 && w[2] == 0 && w[3] == 0 && w[4] == 0 && w[5] == 0 && w[6] == 0 && w[7] == 0 {
			v := rangeLimit(descale(int64(w[0]), pass1Bits+3))
			for i := range out {
				out[i] = v
			}
			continue
		}
		z2 := int64(w[2])
		z3 := int64(w[6])
		z1 := (z2 + z3) * fix0_541196100
		tmp2 := z1 + z3*(-fix1_847759065)
		tmp3 := z1 + z2*fix0_765366865
		tmp0 := (int64(w[0]) + int64(w[4])) << constBits
		tmp1 := (int64(w[0]) - int64(w[4])) << constBits
		tmp10 := tmp0 + tmp3
		tmp13 := tmp0 - tmp3
		tmp11 := tmp1 + tmp2
		tmp12 := tmp1 - tmp2
		o0, o1, o2, o3 := odd(int64(w[7]), int64(w[5]), int64(w[3]), int64(w[1]))

		s := constBits + pass1Bits + 3
		out[0] = rangeLimit(descale(tmp10+o3, s))
		out[7] = rangeLimit(descale(tmp10-o3, s))
		out[1] = rangeLimit(descale(tmp11+o2, s))
		out[6] = rangeLimit(descale(tmp11-o2, s))
		out[2] = rangeLimit(descale(tmp12+o1, s))
		out[5] = rangeLimit(descale(tmp12-o1, s))
		out[3] = rangeLimit(descale(tmp13+o0, s))
		out[4] = rangeLimit(descale(tmp13-o0, s))
	}
}

// odd is the odd part of jidctint.c (Loeffler figure 8), given the inputs
// 7, 5, 3 and 1.
func odd(tmp0, tmp1, tmp2, tmp3 int64) (int64, int64, int64, int64) {
	z1 := tmp0 + tmp3
	z2 := tmp1 + tmp2
	z3 := tmp0 + tmp2
	z4 := tmp1 + tmp3
	z5 := (z3 + z4) * fix1_175875602

	tmp0 *= fix0_298631336
	tmp1 *= fix2_053119869
	tmp2 *= fix3_072711026
	tmp3 *= fix1_501321110
	z1 *= -fix0_899976223
	z2 *= -fix2_562915447
	z3 *= -fix1_961570560
	z4 *= -fix0_390180644

	z3 += z5
	z4 += z5

	tmp0 += z1 + z3
	tmp1 += z2 + z4
	tmp2 += z2 + z3
	tmp3 += z1 + z4
	return tmp0, tmp1, tmp2, tmp3
}

// drawYCbCr converts src to RGB into dst (same bounds), replacing
// image/internal/imageutil.DrawYCbCr.
func drawYCbCr(dst *image.RGBA, src *image.YCbCr) {
	b := src.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			yi := src.YOffset(x, y)
			ci := src.COffset(x, y)
			r, g, bb := color.YCbCrToRGB(src.Y[yi], src.Cb[ci], src.Cr[ci])
			i := dst.PixOffset(x, y)
			dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2], dst.Pix[i+3] = r, g, bb, 255
		}
	}
}
