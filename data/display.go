package data

import (
	"image"
	"math"
)

// Display renders d as 8-bit gray at its native size. Each sample is mapped
// to its modality value (Rescale Slope/Intercept), then through the linear
// VOI window d.Meta.Window (DICOM PS3.3 C.11.2.1.2), rounded to the nearest
// integer; MONOCHROME1 sources are inverted after windowing so that the
// result always displays as MONOCHROME2. For PNG/JPEG the window is the full
// range, so 8-bit images come back unchanged and 16-bit ones are scaled by
// 255/65535.
func (d *Decoded) Display() *image.Gray {
	b := d.Image.Bounds()
	w, h := b.Dx(), b.Dy()
	out := image.NewGray(image.Rect(0, 0, w, h))
	switch src := d.Image.(type) {
	case *image.Gray:
		lut := d.displayLUT(256)
		for y := 0; y < h; y++ {
			row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):]
			dst := out.Pix[y*out.Stride:]
			for x := 0; x < w; x++ {
				dst[x] = lut[row[x]]
			}
		}
	case *image.Gray16:
		lut := d.displayLUT(65536)
		for y := 0; y < h; y++ {
			row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):]
			dst := out.Pix[y*out.Stride:]
			for x := 0; x < w; x++ {
				dst[x] = lut[int(row[2*x])<<8|int(row[2*x+1])]
			}
		}
	default:
		g := toGray(d.Image, 8).(*image.Gray)
		return g
	}
	return out
}

// displayLUT tabulates Display for every possible sample value.
func (d *Decoded) displayLUT(n int) []uint8 {
	lut := make([]uint8, n)
	m := d.Meta
	slope := m.RescaleSlope
	if slope == 0 {
		slope = 1
	}
	limit := n
	if m.BitDepth > 0 && m.BitDepth < 16 && 1<<m.BitDepth < n {
		limit = 1 << m.BitDepth
	}
	for q := 0; q < n; q++ {
		qq := q
		if qq >= limit {
			qq = limit - 1
		}
		v := windowLinear(modality(slope, d.StoredValue(qq), m.RescaleIntercept), m.Window)
		if m.Inverted {
			v = 255 - v
		}
		lut[q] = v
	}
	return lut
}

// windowLinear is the DICOM linear VOI function with output range 0..255:
//
//	x <= c-0.5-(w-1)/2  -> 0
//	x >  c-0.5+(w-1)/2  -> 255
//	else                -> ((x-(c-0.5))/(w-1) + 0.5) * 255
//
// rounded to nearest. A width below 1 is treated as 1 (a threshold).
func windowLinear(x float64, win Window) uint8 {
	c, w := win.Center, win.Width
	if w < 1 || math.IsNaN(w) {
		w = 1
	}
	lo := c - 0.5 - (w-1)/2
	hi := c - 0.5 + (w-1)/2
	switch {
	case x <= lo:
		return 0
	case x > hi:
		return 255
	}
	y := ((x-(c-0.5))/(w-1) + 0.5) * 255
	y = math.Floor(float64(y) + 0.5)
	if y < 0 {
		return 0
	}
	if y > 255 {
		return 255
	}
	return uint8(y)
}
