package eval

import (
	"fmt"
	"image"
	"math"
)

// SSIM constants of Wang et al. (2004).
const (
	ssimK1     = 0.01
	ssimK2     = 0.03
	ssimSigma  = 1.5
	ssimRadius = 5 // 11x11 window: scipy's int(3.5*sigma+0.5)
	ssimWin    = 2*ssimRadius + 1
)

// MSSSIMWeights are the per-scale exponents of Wang, Simoncelli and Bovik
// (2003), finest scale first.
var MSSSIMWeights = [5]float64{0.0448, 0.2856, 0.3001, 0.2363, 0.1333}

// PSNR returns the peak signal-to-noise ratio of b against a in decibels,
// 10 log10(L^2 / MSE) with L = 255 (65535 for 16-bit images). Identical images
// give +Inf; incomparable ones NaN (see PSNRE).
func PSNR(a, b image.Image) float64 { return orNaN(PSNRE(a, b)) }

// PSNRE is PSNR with the reason for an incomparable pair.
func PSNRE(a, b image.Image) (float64, error) {
	pa, pb, err := pair(a, b)
	if err != nil {
		return math.NaN(), fmt.Errorf("psnr: %w", err)
	}
	return psnr(pa, pb), nil
}

func psnr(pa, pb plane) float64 {
	m := mse(pa, pb)
	if m == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(pa.peak*pa.peak/m)
}

// mse is the mean squared difference of two planes of equal size.
func mse(pa, pb plane) float64 {
	var se float64
	for i, v := range pa.pix {
		d := v - pb.pix[i]
		se += d * d
	}
	return se / float64(len(pa.pix))
}

// orNaN is v, or NaN when err is not nil.
func orNaN(v float64, err error) float64 {
	if err != nil {
		return math.NaN()
	}
	return v
}

// SSIM returns the mean structural similarity of a and b (Wang et al. 2004)
// over every position where the 11x11 window fits; NaN for an incomparable
// pair or an image smaller than 11x11 (see SSIME).
func SSIM(a, b image.Image) float64 { return orNaN(SSIME(a, b)) }

// SSIME is SSIM with the reason for an incomparable pair.
func SSIME(a, b image.Image) (float64, error) {
	pa, pb, err := pair(a, b)
	if err != nil {
		return math.NaN(), fmt.Errorf("ssim: %w", err)
	}
	if pa.w < ssimWin || pa.h < ssimWin {
		return math.NaN(), fmt.Errorf("ssim: %w: %dx%d is smaller than the %dx%d window", ErrTooSmall, pa.w, pa.h, ssimWin, ssimWin)
	}
	s, _ := ssimMeans(pa, pb)
	return s, nil
}

// MSSSIM returns the five-scale structural similarity of a and b (Wang,
// Simoncelli and Bovik 2003): the contrast-structure means of scales 1-4 and
// the full SSIM of scale 5, raised to MSSSIMWeights and multiplied. Between
// scales both images are low-passed with a 2x2 mean and subsampled by two
// (as the authors' msssim.m does; an odd last row or column is kept as is).
// Negative per-scale terms are clamped to 0 before the power. The coarsest
// scale must still hold an 11x11 window, so each side needs at least 176
// pixels; smaller or incomparable images give NaN (see MSSSIME).
func MSSSIM(a, b image.Image) float64 { return orNaN(MSSSIME(a, b)) }

// MSSSIME is MSSSIM with the reason for an incomparable pair.
func MSSSIME(a, b image.Image) (float64, error) {
	pa, pb, err := pair(a, b)
	if err != nil {
		return math.NaN(), fmt.Errorf("ms-ssim: %w", err)
	}
	const scales = len(MSSSIMWeights)
	minSide := ssimWin << (scales - 1)
	if pa.w < minSide || pa.h < minSide {
		return math.NaN(), fmt.Errorf("ms-ssim: %w: %dx%d, each side needs at least %d pixels for %d scales", ErrTooSmall, pa.w, pa.h, minSide, scales)
	}
	out := 1.0
	for s := 0; s < scales; s++ {
		ssim, cs := ssimMeans(pa, pb)
		v := cs
		if s == scales-1 {
			v = ssim
		}
		out *= math.Pow(math.Max(v, 0), MSSSIMWeights[s])
		if s < scales-1 {
			pa, pb = downsample2(pa), downsample2(pb)
		}
	}
	return out, nil
}

// gaussKernel is the normalised 11-tap Gaussian with sigma 1.5.
var gaussKernel = func() [ssimWin]float64 {
	var k [ssimWin]float64
	var sum float64
	for i := range k {
		x := float64(i - ssimRadius)
		k[i] = math.Exp(-0.5 * x * x / (ssimSigma * ssimSigma))
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
	return k
}()

// ssimMeans returns the mean SSIM and the mean contrast-structure term over
// the valid window positions.
func ssimMeans(pa, pb plane) (ssim, cs float64) {
	c1 := (ssimK1 * pa.peak) * (ssimK1 * pa.peak)
	c2 := (ssimK2 * pa.peak) * (ssimK2 * pa.peak)
	n := len(pa.pix)
	xx := make([]float64, n)
	yy := make([]float64, n)
	xy := make([]float64, n)
	for i := range pa.pix {
		x, y := pa.pix[i], pb.pix[i]
		xx[i], yy[i], xy[i] = x*x, y*y, x*y
	}
	w, h := pa.w, pa.h
	ux := filterValid(pa.pix, w, h)
	uy := filterValid(pb.pix, w, h)
	uxx := filterValid(xx, w, h)
	uyy := filterValid(yy, w, h)
	uxy := filterValid(xy, w, h)
	var sumS, sumCS float64
	for i := range ux {
		mx, my := ux[i], uy[i]
		vx := uxx[i] - mx*mx
		vy := uyy[i] - my*my
		vxy := uxy[i] - mx*my
		csi := (2*vxy + c2) / (vx + vy + c2)
		li := (2*mx*my + c1) / (mx*mx + my*my + c1)
		sumS += li * csi
		sumCS += csi
	}
	m := float64(len(ux))
	return sumS / m, sumCS / m
}

// filterValid correlates src (w x h) with the separable Gaussian and keeps
// only the positions where the whole window lies inside the image, filtering
// along columns first, then along rows (axis 0 then 1, as scipy.ndimage).
func filterValid(src []float64, w, h int) []float64 {
	ow, oh := w-ssimWin+1, h-ssimWin+1
	// vertical pass (axis 0) on every column
	tmp := make([]float64, oh*w)
	for y := 0; y < oh; y++ {
		for x := 0; x < w; x++ {
			var s float64
			for k := 0; k < ssimWin; k++ {
				s += gaussKernel[k] * src[(y+k)*w+x]
			}
			tmp[y*w+x] = s
		}
	}
	out := make([]float64, oh*ow)
	for y := 0; y < oh; y++ {
		row := tmp[y*w : (y+1)*w]
		for x := 0; x < ow; x++ {
			var s float64
			for k := 0; k < ssimWin; k++ {
				s += gaussKernel[k] * row[x+k]
			}
			out[y*ow+x] = s
		}
	}
	return out
}

// downsample2 low-passes with a 2x2 mean (edge samples repeated) and keeps
// every second sample: out[i][j] = mean(in[2i..2i+1][2j..2j+1]).
func downsample2(p plane) plane {
	ow, oh := (p.w+1)/2, (p.h+1)/2
	q := plane{w: ow, h: oh, peak: p.peak, pix: make([]float64, ow*oh)}
	at := func(x, y int) float64 {
		if x >= p.w {
			x = p.w - 1
		}
		if y >= p.h {
			y = p.h - 1
		}
		return p.pix[y*p.w+x]
	}
	for y := 0; y < oh; y++ {
		for x := 0; x < ow; x++ {
			q.pix[y*ow+x] = (at(2*x, 2*y) + at(2*x+1, 2*y) + at(2*x, 2*y+1) + at(2*x+1, 2*y+1)) / 4
		}
	}
	return q
}
