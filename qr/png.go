package qr

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"image"
	"image/png"
	"sync"

	"github.com/medqr/medqr/internal/pngchunk"
)

// PNG encodes img as a PNG file. A gray image whose pixels are all 0 or
// 255 (every Encode or Sheet result) is written as a 1-bit grayscale PNG
// by bilevelPNG, 8 times less data than 8-bit gray and several times
// faster to write; any other image is written as 8-bit gray or as given.
func PNG(img image.Image) ([]byte, error) {
	if g, ok := img.(*image.Gray); ok {
		if b, ok := bilevelPNG(g); ok {
			return b, nil
		}
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.DefaultCompression}).Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("qr: failed to encode PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// zlibWriters keeps deflate state (over 600 KB) between files.
var zlibWriters sync.Pool

// bilevelPNG writes g as a 1-bit grayscale PNG (ISO/IEC 15948), or
// reports false when g has gray levels other than 0 and 255. A row equal
// to the one above (a module is several pixels tall) is stored with the
// Up filter, as zeros; the others unfiltered.
func bilevelPNG(g *image.Gray) ([]byte, bool) {
	r := g.Rect
	w, h := r.Dx(), r.Dy()
	if w == 0 || h == 0 {
		return nil, false
	}
	stride := (w + 7) / 8
	raw := make([]byte, h*(1+stride))
	prev := make([]byte, stride)
	cur := make([]byte, stride)
	for y := 0; y < h; y++ {
		clear(cur)
		row := g.Pix[g.PixOffset(r.Min.X, r.Min.Y+y):][:w]
		for x, v := range row {
			switch v {
			case 0:
			case 0xff:
				cur[x/8] |= 0x80 >> uint(x%8)
			default:
				return nil, false
			}
		}
		line := raw[y*(1+stride):][:1+stride]
		if y > 0 && bytes.Equal(cur, prev) {
			line[0] = 2 // Up: each byte minus the one above, all zero
		} else {
			copy(line[1:], cur)
		}
		prev, cur = cur, prev
	}
	return bilevelFile(w, h, raw), true
}

// bilevelFile compresses the filtered scanlines raw of a w x h 1-bit
// grayscale image into a PNG file.
func bilevelFile(w, h int, raw []byte) []byte {
	var z bytes.Buffer
	zw, _ := zlibWriters.Get().(*zlib.Writer)
	if zw == nil {
		zw = zlib.NewWriter(&z)
	} else {
		zw.Reset(&z)
	}
	zw.Write(raw)
	zw.Close()
	zlibWriters.Put(zw)
	out := make([]byte, 0, len(pngchunk.Signature)+3*12+13+z.Len())
	out = append(out, pngchunk.Signature...)
	out = pngchunk.Append(out, "IHDR", pngchunk.IHDR(uint32(w), uint32(h), 1, 0)) // 1 bit, grayscale
	out = pngchunk.Append(out, "IDAT", z.Bytes())
	return pngchunk.Append(out, "IEND", nil)
}

// PNG returns the symbol's PNG file at px pixels per module: the bytes
// PNG(s.Image(px)) gives (TestSymbolPNG), written from the modules
// without rendering the image.
func (s *Symbol) PNG(px int) ([]byte, error) {
	n := len(s.Modules)
	if px < 1 || px > MaxPxPerModule || n == 0 || n > 17+4*40+2*QuietZone {
		return nil, fmt.Errorf("qr: cannot write a %d-module symbol at %d pixels per module", n, px)
	}
	w := n * px
	stride := (w + 7) / 8
	raw := make([]byte, w*(1+stride))
	prev := make([]byte, stride)
	cur := make([]byte, stride)
	ones := uint64(1)<<uint(px) - 1 // px light pixels
	for my, row := range s.Modules {
		// The row's bits, most significant first (1 = light), gathered
		// module by module in acc and stored a byte at a time.
		var acc uint64
		bits, i := 0, 0
		for _, dark := range row {
			acc <<= uint(px)
			if !dark {
				acc |= ones
			}
			for bits += px; bits >= 8; i++ {
				bits -= 8
				cur[i] = byte(acc >> uint(bits))
			}
		}
		if bits > 0 {
			cur[i] = byte(acc << uint(8-bits))
		}
		// As bilevelPNG: a pixel row equal to the one above is stored
		// with the Up filter (all zeros), others unfiltered.
		for y := my * px; y < (my+1)*px; y++ {
			line := raw[y*(1+stride):][:1+stride]
			if y > 0 && (y > my*px || bytes.Equal(cur, prev)) {
				line[0] = 2
			} else {
				copy(line[1:], cur)
			}
		}
		prev, cur = cur, prev
	}
	return bilevelFile(w, w, raw), nil
}

// EncodePNG is Encode followed by PNG: the PNG file of one symbol.
func EncodePNG(payload []byte, l Level, pxPerModule int) ([]byte, error) {
	img, err := Encode(payload, l, pxPerModule)
	if err != nil {
		return nil, err
	}
	return PNG(img)
}
