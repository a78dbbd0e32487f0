package data

import "image"

// Display renders d as 8-bit gray at its native size. Each sample is mapped
// to its modality value (Rescale Slope/Intercept), then through the linear
// VOI window d.Meta.Window (DICOM PS3.3 C.11.2.1.2), rounded to the nearest
// integer; MONOCHROME1 sources are inverted after windowing so that the
// result always displays as MONOCHROME2 (see windowLinear for the exact
// arithmetic, which matches DCMTK). For PNG/JPEG 8-bit images come back
// unchanged and 16-bit ones keep their high byte.
func (d *Decoded) Display() *image.Gray {
	b := d.Image.Bounds()
	w, h := b.Dx(), b.Dy()
	out := image.NewGray(image.Rect(0, 0, w, h))
	// One loop per depth, not a shared one with a per-pixel branch: this
	// is the inner loop of every dataset cache build.
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
	if m.WindowSource == "full" {
		// PNG/JPEG: 8-bit samples unchanged, 16-bit samples keep their high
		// byte (as image/color's Gray16 to Gray conversion).
		shift := 0
		if n > 256 {
			shift = 8
		}
		for q := range lut {
			lut[q] = uint8(q >> shift)
		}
		return lut
	}
	slope := m.RescaleSlope
	if slope == 0 {
		slope = 1
	}
	limit := n
	if m.BitDepth > 0 && m.BitDepth < 16 && 1<<m.BitDepth < n {
		limit = 1 << m.BitDepth
	}
	for q := 0; q < n; q++ {
		qq := min(q, limit-1)
		lut[q] = m.displayValue(d.StoredValue(qq))
	}
	return lut
}

// windowLinear is the DICOM linear VOI function (PS3.3 C.11.2.1.2) with
// output range 0..255, computed exactly as DCMTK's dcmimgle does (so that
// dcm2pnm output matches pixel for pixel):
//
//	x <= c-0.5-(w-1)/2  -> low
//	x >  c-0.5+(w-1)/2  -> high
//	else                -> trunc(offset + x*gradient), with
//	                       gradient = (high-low)/(w-1),
//	                       offset = high - ((c-0.5)/(w-1) + 0.5)*(high-low)
//
// where (low, high) = (0, 255), or (255, 0) for MONOCHROME1 so that the
// result displays as MONOCHROME2. A width below 1 is treated as 1 (a
// threshold). Products are rounded before the addition (no FMA) so every
// CPU gives the same result.
func windowLinear(x float64, win Window, inverted bool) uint8 {
	low, high := 0.0, 255.0
	if inverted {
		low, high = 255, 0
	}
	c, w := win.Center, win.Width
	if !(w >= 1) { // also catches NaN
		w = 1
	}
	w1 := w - 1
	left := c - 0.5 - w1/2
	right := c - 0.5 + w1/2
	switch {
	case x <= left:
		return uint8(low)
	case x > right:
		return uint8(high)
	}
	outrange := high - low
	offset := high - float64(((c-0.5)/w1+0.5)*outrange)
	gradient := outrange / w1
	v := offset + float64(x*gradient)
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v) // truncation, as DCMTK's cast
}
