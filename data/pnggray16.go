package data

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"io"
)

// decodePNGGray16 decodes a non-interlaced 16-bit PNG (gray, gray+alpha,
// RGB, RGBA) row by row straight into the *image.Gray16 that
// png.Decode followed by toGray would give, bit for bit: gray samples as
// stored, colour through image/color's Gray16 model (BT.601 luma of the
// alpha-premultiplied colour). Peak memory is the output and two rows,
// where png.Decode holds an 8-byte-per-pixel RGBA64 image first (512 MB for
// 8000x8000) and toGray a copy.
//
// It returns ok=false for every other PNG (8-bit or less, palette,
// interlaced, a tRNS transparent colour) and for any error, so that the
// caller decodes with png.Decode and reports its errors unchanged. The
// caller has checked the dimensions against the pixel limit.
func decodePNGGray16(b []byte) (img *image.Gray16, ok bool) {
	if !bytes.HasPrefix(b, pngMagic) {
		return nil, false
	}
	var w, h, channels int
	var idat []io.Reader
	seenIHDR := false
	for off := len(pngMagic); ; {
		if len(b)-off < 12 {
			return nil, false
		}
		n := int(binary.BigEndian.Uint32(b[off:]))
		if n < 0 || n > len(b)-off-12 {
			return nil, false
		}
		typ := string(b[off+4 : off+8])
		body := b[off+8 : off+8+n]
		if crc32.ChecksumIEEE(b[off+4:off+8+n]) != binary.BigEndian.Uint32(b[off+8+n:]) {
			return nil, false
		}
		off += 12 + n
		switch typ {
		case "IHDR":
			if seenIHDR || n != 13 {
				return nil, false
			}
			seenIHDR = true
			w, h = int(binary.BigEndian.Uint32(body)), int(binary.BigEndian.Uint32(body[4:]))
			depth, ct := body[8], body[9]
			if depth != 16 || body[10] != 0 || body[11] != 0 || body[12] != 0 || w <= 0 || h <= 0 || w > 1<<24 || h > 1<<24 {
				return nil, false
			}
			switch ct {
			case 0:
				channels = 1
			case 4:
				channels = 2
			case 2:
				channels = 3
			case 6:
				channels = 4
			default:
				return nil, false
			}
		case "IDAT":
			if !seenIHDR {
				return nil, false
			}
			idat = append(idat, bytes.NewReader(body))
		case "IEND":
			if len(idat) == 0 {
				return nil, false
			}
			return decodeRowsGray16(io.MultiReader(idat...), w, h, channels)
		case "tRNS", "PLTE":
			return nil, false // transparency by colour key: png.Decode's rules
		default:
			if typ[0]&0x20 == 0 { // an unknown critical chunk
				return nil, false
			}
		}
	}
}

func decodeRowsGray16(r io.Reader, w, h, channels int) (*image.Gray16, bool) {
	zr, err := zlib.NewReader(r)
	if err != nil {
		return nil, false
	}
	defer zr.Close()
	bpp := 2 * channels
	rowLen := bpp * w
	cur, prev := make([]byte, 1+rowLen), make([]byte, 1+rowLen)
	out := image.NewGray16(image.Rect(0, 0, w, h))
	for y := range h {
		if _, err := io.ReadFull(zr, cur); err != nil {
			return nil, false
		}
		if !unfilter(cur[0], cur[1:], prev[1:], bpp) {
			return nil, false
		}
		row, dst := cur[1:], out.Pix[y*out.Stride:]
		for x := range w {
			p := row[x*bpp:]
			var y16 uint16
			switch channels {
			case 1:
				y16 = uint16(p[0])<<8 | uint16(p[1])
			case 2:
				v, a := uint32(p[0])<<8|uint32(p[1]), uint32(p[2])<<8|uint32(p[3])
				c := v * a / 0xffff
				y16 = luma16(c, c, c)
			case 3:
				y16 = luma16(uint32(p[0])<<8|uint32(p[1]), uint32(p[2])<<8|uint32(p[3]), uint32(p[4])<<8|uint32(p[5]))
			case 4:
				a := uint32(p[6])<<8 | uint32(p[7])
				y16 = luma16((uint32(p[0])<<8|uint32(p[1]))*a/0xffff, (uint32(p[2])<<8|uint32(p[3]))*a/0xffff, (uint32(p[4])<<8|uint32(p[5]))*a/0xffff)
			}
			dst[2*x], dst[2*x+1] = byte(y16>>8), byte(y16)
		}
		cur, prev = prev, cur
	}
	// The image data must end here, as png.Decode requires.
	if n, err := io.ReadFull(zr, make([]byte, 1)); n != 0 || err != io.EOF {
		return nil, false
	}
	return out, true
}

// luma16 is image/color's Gray16 model of an alpha-premultiplied colour.
func luma16(r, g, b uint32) uint16 {
	return uint16((19595*r + 38470*g + 7471*b + 1<<15) >> 16)
}

// unfilter undoes the PNG filter of one row in place (PNG spec section 9).
func unfilter(f byte, cur, prev []byte, bpp int) bool {
	switch f {
	case 0:
	case 1:
		for i := bpp; i < len(cur); i++ {
			cur[i] += cur[i-bpp]
		}
	case 2:
		for i := range cur {
			cur[i] += prev[i]
		}
	case 3:
		for i := range bpp {
			cur[i] += prev[i] / 2
		}
		for i := bpp; i < len(cur); i++ {
			cur[i] += byte((int(cur[i-bpp]) + int(prev[i])) / 2)
		}
	case 4:
		for i := range cur {
			var a, c int
			if i >= bpp {
				a, c = int(cur[i-bpp]), int(prev[i-bpp])
			}
			cur[i] += paeth(a, int(prev[i]), c)
		}
	default:
		return false
	}
	return true
}

func paeth(a, b, c int) byte {
	p := a + b - c
	pa, pb, pc := abs(p-a), abs(p-b), abs(p-c)
	switch {
	case pa <= pb && pa <= pc:
		return byte(a)
	case pb <= pc:
		return byte(b)
	}
	return byte(c)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
