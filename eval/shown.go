package eval

import (
	"image"
	"math"
)

// Shown is an image measured against its reference at the precision
// medqr's product shows a user (medqr encrypt, medqr decrypt --reference,
// medqr serve): PSNR in dB rounded to 0.01, SSIM rounded to 0.0001.
type Shown struct {
	// Exact reports identical pixels; PSNR is then +Inf and SSIM 1.
	Exact bool
	PSNR  float64
	SSIM  float64
	// SSIMErr is SSIME's error where SSIM is undefined for the pair (a side
	// under 11 pixels, ErrTooSmall); SSIM is then 0. The PSNR stands.
	SSIMErr error
}

// MeasureShown measures got against ref as Shown. A pair PSNR cannot
// compare (other size or depth) returns PSNRE's error.
func MeasureShown(ref, got image.Image) (Shown, error) {
	p, err := PSNRE(ref, got)
	if err != nil {
		return Shown{}, err
	}
	if math.IsInf(p, 1) {
		return Shown{Exact: true, PSNR: p, SSIM: 1}, nil
	}
	s := Shown{PSNR: math.Round(p*100) / 100}
	ssim, err := SSIME(ref, got)
	if err != nil {
		s.SSIMErr = err
		return s, nil
	}
	s.SSIM = math.Round(ssim*10000) / 10000
	return s, nil
}
