package qr

import "image"

// Pre-filters for Decode. Each takes and returns a compact *image.Gray with
// its origin at (0, 0) and never modifies its input.

// median3 replaces each pixel by the median of its 3x3 neighbourhood (edges
// replicated); it removes isolated salt-and-pepper pixels while keeping the
// edges of modules of 2 or more pixels.
func median3(g *image.Gray) *image.Gray { return median(g, 1) }

// median5 is the 5x5 median, for heavier noise on large modules.
func median5(g *image.Gray) *image.Gray { return median(g, 2) }

// median computes the (2r+1)x(2r+1) median filter with a sliding
// histogram along each row (Huang, Yang and Tang 1979): O(r) per pixel.
func median(g *image.Gray, r int) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	out := image.NewGray(image.Rect(0, 0, w, h))
	half := (2*r + 1) * (2*r + 1) / 2 // values strictly below the median: <= half
	col := func(x, y0, y1 int, hist *[256]int, d int) {
		xx := clampInt(x, 0, w-1)
		for y := y0; y <= y1; y++ {
			hist[g.Pix[clampInt(y, 0, h-1)*w+xx]] += d
		}
	}
	var hist [256]int
	for y := 0; y < h; y++ {
		hist = [256]int{}
		for x := -r; x <= r; x++ {
			col(x, y-r, y+r, &hist, 1)
		}
		// m is the median, lt the number of window values below m.
		m, lt := 0, 0
		for lt+hist[m] <= half {
			lt += hist[m]
			m++
		}
		out.Pix[y*w] = uint8(m)
		for x := 1; x < w; x++ {
			// Slide: drop column x-r-1, add column x+r, keeping lt in step.
			xo, xn := clampInt(x-r-1, 0, w-1), clampInt(x+r, 0, w-1)
			for dy := -r; dy <= r; dy++ {
				yy := clampInt(y+dy, 0, h-1) * w
				vo, vn := int(g.Pix[yy+xo]), int(g.Pix[yy+xn])
				hist[vo]--
				if vo < m {
					lt--
				}
				hist[vn]++
				if vn < m {
					lt++
				}
			}
			for lt > half {
				m--
				lt -= hist[m]
			}
			for lt+hist[m] <= half {
				lt += hist[m]
				m++
			}
			out.Pix[y*w+x] = uint8(m)
		}
	}
	return out
}

// otsu binarises g at the threshold that maximises the between-class
// variance of its histogram (Otsu 1979).
func otsu(g *image.Gray) *image.Gray {
	if g == nil { // a filter before it declined the image
		return nil
	}
	t := otsuLevel(g)
	out := image.NewGray(g.Rect)
	for i, v := range g.Pix {
		if v > t {
			out.Pix[i] = 0xff
		}
	}
	return out
}

// otsuLevel is g's Otsu threshold: pixels above it are light.
func otsuLevel(g *image.Gray) uint8 {
	var hist [256]int
	for _, v := range g.Pix {
		hist[v]++
	}
	return otsuThreshold(hist[:], len(g.Pix))
}

func otsuThreshold(hist []int, total int) uint8 {
	var sum float64
	for v, c := range hist {
		sum += float64(v * c)
	}
	var sumB, best float64
	wB, t := 0, 0
	for v, c := range hist {
		wB += c
		if wB == 0 {
			continue
		}
		wF := total - wB
		if wF == 0 {
			break
		}
		sumB += float64(v * c)
		mB := sumB / float64(wB)
		mF := (sum - sumB) / float64(wF)
		between := float64(wB) * float64(wF) * (mB - mF) * (mB - mF)
		if between > best {
			best, t = between, v
		}
	}
	return uint8(t)
}

// halve downsamples by 2 with a 2x2 box filter (nil when too small to
// hold a symbol afterwards).
func halve(g *image.Gray) *image.Gray {
	w, h := g.Rect.Dx()/2, g.Rect.Dy()/2
	if w < 21 || h < 21 {
		return nil
	}
	sw := g.Rect.Dx()
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := 2*y*sw + 2*x
			s := int(g.Pix[i]) + int(g.Pix[i+1]) + int(g.Pix[i+sw]) + int(g.Pix[i+sw+1])
			out.Pix[y*w+x] = uint8((s + 2) / 4)
		}
	}
	return out
}

// double upsamples by 2 with bilinear interpolation (nil when the result
// would exceed 4096 pixels on a side).
func double(g *image.Gray) *image.Gray {
	sw, sh := g.Rect.Dx(), g.Rect.Dy()
	w, h := 2*sw, 2*sh
	if w > 4096 || h > 4096 {
		return nil
	}
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		y0, y1, ay := halfSource(y, sh)
		for x := 0; x < w; x++ {
			x0, x1, ax := halfSource(x, sw)
			top := float64(g.Pix[y0*sw+x0])*(1-ax) + float64(g.Pix[y0*sw+x1])*ax
			bot := float64(g.Pix[y1*sw+x0])*(1-ax) + float64(g.Pix[y1*sw+x1])*ax
			out.Pix[y*w+x] = uint8(top*(1-ay) + bot*ay + 0.5)
		}
	}
	return out
}

// halfSource returns, for output pixel o of a 2x upsampling of n source
// pixels, the two source pixels around its centre and the weight of the
// second.
func halfSource(o, n int) (i0, i1 int, a float64) {
	f := (float64(o)+0.5)/2 - 0.5
	i0 = clampInt(int(floor(f)), 0, n-1)
	i1 = clampInt(i0+1, 0, n-1)
	if f >= 0 {
		a = f - floor(f)
	}
	return i0, i1, a
}

func floor(f float64) float64 {
	i := float64(int(f))
	if i > f {
		i--
	}
	return i
}

func clampInt(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}
