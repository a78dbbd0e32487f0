package eval

import (
	"errors"
	"fmt"
	"image"
	"image/color"
)

// ErrMismatch reports two images that cannot be compared: different sizes or
// different bit depths.
var ErrMismatch = errors.New("eval: images differ in size or bit depth")

// ErrTooSmall reports an image smaller than a metric's window.
var ErrTooSmall = errors.New("eval: image too small for the metric")

// plane is one gray image as float64 samples in row-major order.
type plane struct {
	w, h int
	peak float64 // 255 or 65535: the data range L
	pix  []float64
}

// toPlane reads img exactly when it is *image.Gray or *image.Gray16 and
// through color.GrayModel otherwise.
func toPlane(img image.Image) plane {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	p := plane{w: w, h: h, peak: 255, pix: make([]float64, w*h)}
	switch m := img.(type) {
	case *image.Gray:
		for y := 0; y < h; y++ {
			row := m.Pix[(y)*m.Stride : (y)*m.Stride+w]
			for x, v := range row {
				p.pix[y*w+x] = float64(v)
			}
		}
	case *image.Gray16:
		p.peak = 65535
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+2*w]
			for x := 0; x < w; x++ {
				p.pix[y*w+x] = float64(uint16(row[2*x])<<8 | uint16(row[2*x+1]))
			}
		}
	default:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				g := color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray)
				p.pix[y*w+x] = float64(g.Y)
			}
		}
	}
	return p
}

// pair reads two images and checks that they can be compared.
func pair(a, b image.Image) (plane, plane, error) {
	pa, pb := toPlane(a), toPlane(b)
	if pa.w != pb.w || pa.h != pb.h || pa.peak != pb.peak {
		return pa, pb, fmt.Errorf("%w: %dx%d (L=%g) versus %dx%d (L=%g)", ErrMismatch, pa.w, pa.h, pa.peak, pb.w, pb.h, pb.peak)
	}
	if pa.w == 0 || pa.h == 0 {
		return pa, pb, fmt.Errorf("%w: empty image", ErrTooSmall)
	}
	return pa, pb, nil
}

// gray8 returns the 8-bit samples of img (row-major, no padding): exact for
// *image.Gray, through color.GrayModel otherwise (a *image.Gray16 keeps its
// high byte).
func gray8(img image.Image) (pix []uint8, w, h int) {
	b := img.Bounds()
	w, h = b.Dx(), b.Dy()
	pix = make([]uint8, w*h)
	if m, ok := img.(*image.Gray); ok {
		for y := 0; y < h; y++ {
			copy(pix[y*w:(y+1)*w], m.Pix[y*m.Stride:y*m.Stride+w])
		}
		return pix, w, h
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			pix[y*w+x] = color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y
		}
	}
	return pix, w, h
}
