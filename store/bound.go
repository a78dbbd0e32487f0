package store

import (
	"image"

	"github.com/medqr/medqr/codec"
)

// The lossless size estimate that lets Encrypt refuse a hopeless image
// before coding all of it (a 4096x4096 16-bit image took 4.2 s and 211 MB
// to code before a refusal; 8192x8192 18.6 s and 914 MB).
const (
	// estimateMinPixels: smaller images are coded whole (256x256 takes
	// milliseconds), so an estimate could only add error.
	estimateMinPixels = 1 << 20
	// estimateStrips strips of estimateRows full-width rows, spread evenly
	// over the image, are coded on their own: at most a few per cent of
	// a large image's pixels.
	estimateStrips = 8
	estimateRows   = 8
	// estimateMargin: refuse only when the estimate exceeds the limit this
	// many times over, so that an image is never refused unless its whole
	// would code at less than half the rate of its sampled strips. Strips
	// code at a higher rate than the whole (their adaptive models start
	// cold), and strips through the dense middle of an X-ray higher still.
	estimateMargin = 2
)

// losslessEstimate estimates the size of c.Encode(img, 0) for the lossless
// codec from estimateStrips strips of the image, each coded as a small
// image. It returns false for images small enough to code whole, or whose
// type gives no cheap sub-image.
func losslessEstimate(c codec.Codec, img image.Image) (int, bool) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w*h < estimateMinPixels || h < 2*estimateStrips*estimateRows {
		return 0, false
	}
	sub, ok := img.(interface {
		SubImage(image.Rectangle) image.Image
	})
	if !ok {
		return 0, false
	}
	total, rows := 0, 0
	for i := range estimateStrips {
		y := b.Min.Y + (2*i+1)*h/(2*estimateStrips) - estimateRows/2
		p, err := c.Encode(sub.SubImage(image.Rect(b.Min.X, y, b.Max.X, y+estimateRows)), 0)
		if err != nil {
			return 0, false
		}
		total += len(p)
		rows += estimateRows
	}
	return int(int64(total) * int64(h) / int64(rows)), true
}
