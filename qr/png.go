package qr

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
)

// bw is the two-colour palette of PNG: index 0 black, 1 white.
var bw = color.Palette{color.Gray{Y: 0}, color.Gray{Y: 0xff}}

// PNG encodes img as a PNG file. A gray image whose pixels are all 0 or
// 255 (every Encode or Sheet result) is written as a 1-bit palette PNG,
// which is 8 times less data than 8-bit gray and encodes many times
// faster; any other image is written as 8-bit gray or as given.
func PNG(img image.Image) ([]byte, error) {
	var out image.Image = img
	if g, ok := img.(*image.Gray); ok {
		if p := bilevel(g); p != nil {
			out = p
		}
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.DefaultCompression}).Encode(&buf, out); err != nil {
		return nil, fmt.Errorf("qr: failed to encode PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// bilevel converts g to a paletted black/white image, or returns nil when
// g has other gray values.
func bilevel(g *image.Gray) *image.Paletted {
	r := g.Rect
	p := image.NewPaletted(image.Rect(0, 0, r.Dx(), r.Dy()), bw)
	for y := 0; y < r.Dy(); y++ {
		row := g.Pix[g.PixOffset(r.Min.X, r.Min.Y+y):]
		dst := p.Pix[y*p.Stride:]
		for x := 0; x < r.Dx(); x++ {
			switch row[x] {
			case 0:
			case 0xff:
				dst[x] = 1
			default:
				return nil
			}
		}
	}
	return p
}

// EncodePNG is Encode followed by PNG: the PNG file of one symbol.
func EncodePNG(payload []byte, l Level, pxPerModule int) ([]byte, error) {
	img, err := Encode(payload, l, pxPerModule)
	if err != nil {
		return nil, err
	}
	return PNG(img)
}
