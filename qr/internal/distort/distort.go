// Package distort degrades grayscale images the way printing, screens and
// cameras degrade QR codes: resampling, rotation, perspective, JPEG, blur,
// salt-and-pepper noise and occlusion. Every function returns a new compact
// *image.Gray (origin (0, 0)), leaves its input untouched and is
// deterministic given its arguments (randomness only from the *rand.Rand
// passed in). Areas that come from outside the source are white, as the
// paper around a printed code.
package distort

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"math/rand/v2"
)

// Homography maps output pixel coordinates to source coordinates:
// (x', y', w') = H * (x, y, 1), source = (x'/w', y'/w'). Coordinates are
// continuous, pixel (i, j) covering [i, i+1) x [j, j+1).
type Homography [9]float64

func (h Homography) apply(x, y float64) (float64, float64) {
	w := h[6]*x + h[7]*y + h[8]
	return (h[0]*x + h[1]*y + h[2]) / w, (h[3]*x + h[4]*y + h[5]) / w
}

// Warp resamples src into a w x h image through hm (output -> source),
// treating source pixels as uniform squares: each output pixel is the mean
// of ss x ss point samples (area averaging, so downscaling does not alias
// and edges are anti-aliased).
func Warp(src *image.Gray, hm Homography, w, h, ss int) *image.Gray {
	if ss < 1 {
		ss = 1
	}
	out := image.NewGray(image.Rect(0, 0, w, h))
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	inv := 1 / float64(ss)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var acc float64
			for j := 0; j < ss; j++ {
				for i := 0; i < ss; i++ {
					px := float64(x) + (float64(i)+0.5)*inv
					py := float64(y) + (float64(j)+0.5)*inv
					sx, sy := hm.apply(px, py)
					acc += point(src, sw, sh, sx, sy)
				}
			}
			out.Pix[y*w+x] = uint8(math.Round(acc * inv * inv))
		}
	}
	return out
}

// point samples src at continuous coordinates (x, y); outside is white.
func point(src *image.Gray, sw, sh int, x, y float64) float64 {
	if x < 0 || y < 0 {
		return 255
	}
	i, j := int(x), int(y)
	if i >= sw || j >= sh {
		return 255
	}
	return float64(src.Pix[src.PixOffset(src.Rect.Min.X+i, src.Rect.Min.Y+j)])
}

// Scale resizes src by factor (0.5 halves it) with area averaging; the
// sampling grid is shifted by (dx, dy) output pixels so that module edges
// need not fall on pixel edges.
func Scale(src *image.Gray, factor, dx, dy float64) *image.Gray {
	w := int(math.Round(float64(src.Rect.Dx()) * factor))
	h := int(math.Round(float64(src.Rect.Dy()) * factor))
	inv := 1 / factor
	hm := Homography{inv, 0, -dx * inv, 0, inv, -dy * inv, 0, 0, 1}
	ss := max(2, int(math.Ceil(inv))*2)
	return Warp(src, hm, w, h, ss)
}

// Rotate turns src by deg degrees counter-clockwise about its centre onto a
// canvas just large enough to hold all of it.
func Rotate(src *image.Gray, deg float64) *image.Gray {
	sw, sh := float64(src.Rect.Dx()), float64(src.Rect.Dy())
	th := deg * math.Pi / 180
	c, s := math.Cos(th), math.Sin(th)
	w := int(math.Ceil(sw*math.Abs(c) + sh*math.Abs(s) - 1e-9))
	h := int(math.Ceil(sw*math.Abs(s) + sh*math.Abs(c) - 1e-9))
	// out -> src: translate to the output centre, rotate back, translate to
	// the source centre.
	ox, oy := float64(w)/2, float64(h)/2
	cx, cy := sw/2, sh/2
	hm := Homography{
		c, -s, cx - c*ox + s*oy,
		s, c, cy - s*ox - c*oy,
		0, 0, 1,
	}
	return Warp(src, hm, w, h, 4)
}

// Tilt views src as if it were tilted away from the camera about one edge:
// the opposite edge (side 0 top, 1 right, 2 bottom, 3 left) shrinks by
// frac of its length, split evenly between its two ends. The canvas keeps
// the source size.
func Tilt(src *image.Gray, frac float64, side int) *image.Gray {
	w, h := float64(src.Rect.Dx()), float64(src.Rect.Dy())
	d := frac / 2
	// Destination corners of the source corners TL, TR, BR, BL.
	dst := [4][2]float64{{0, 0}, {w, 0}, {w, h}, {0, h}}
	switch side & 3 {
	case 0:
		dst[0][0], dst[1][0] = d*w, w-d*w
	case 1:
		dst[1][1], dst[2][1] = d*h, h-d*h
	case 2:
		dst[3][0], dst[2][0] = d*w, w-d*w
	case 3:
		dst[0][1], dst[3][1] = d*h, h-d*h
	}
	srcPts := [4][2]float64{{0, 0}, {w, 0}, {w, h}, {0, h}}
	hm, err := solveHomography(dst, srcPts)
	if err != nil {
		panic(fmt.Sprintf("distort: degenerate tilt %v: %v", frac, err)) // programmer error: frac in [0,1)
	}
	return Warp(src, hm, src.Rect.Dx(), src.Rect.Dy(), 4)
}

// solveHomography returns H with H*from[i] ~ to[i] for four point pairs
// (the direct linear transform with h8 = 1, solved by Gaussian
// elimination with partial pivoting).
func solveHomography(from, to [4][2]float64) (Homography, error) {
	var a [8][9]float64
	for i := 0; i < 4; i++ {
		x, y := from[i][0], from[i][1]
		u, v := to[i][0], to[i][1]
		a[2*i] = [9]float64{x, y, 1, 0, 0, 0, -u * x, -u * y, u}
		a[2*i+1] = [9]float64{0, 0, 0, x, y, 1, -v * x, -v * y, v}
	}
	for col := 0; col < 8; col++ {
		p := col
		for r := col + 1; r < 8; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[p][col]) {
				p = r
			}
		}
		if math.Abs(a[p][col]) < 1e-12 {
			return Homography{}, fmt.Errorf("singular system")
		}
		a[col], a[p] = a[p], a[col]
		for r := 0; r < 8; r++ {
			if r == col {
				continue
			}
			f := a[r][col] / a[col][col]
			for k := col; k < 9; k++ {
				a[r][k] -= f * a[col][k]
			}
		}
	}
	var hm Homography
	for i := 0; i < 8; i++ {
		hm[i] = a[i][8] / a[i][i]
	}
	hm[8] = 1
	return hm, nil
}

// JPEG round-trips src through Go's baseline JPEG encoder at quality q.
func JPEG(src *image.Gray, q int) (*image.Gray, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, src, &jpeg.Options{Quality: q}); err != nil {
		return nil, fmt.Errorf("failed to encode JPEG: %w", err)
	}
	img, err := jpeg.Decode(&buf)
	if err != nil {
		return nil, fmt.Errorf("failed to decode JPEG: %w", err)
	}
	g, ok := img.(*image.Gray)
	if !ok {
		return nil, fmt.Errorf("JPEG decoded to %T, want *image.Gray", img)
	}
	return g, nil
}

// Blur applies a separable Gaussian blur of standard deviation sigma
// pixels (kernel radius ceil(3 sigma), edges replicated).
func Blur(src *image.Gray, sigma float64) *image.Gray {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	out := compact(src)
	if sigma <= 0 {
		return out
	}
	r := int(math.Ceil(3 * sigma))
	k := make([]float64, 2*r+1)
	var sum float64
	for i := -r; i <= r; i++ {
		k[i+r] = math.Exp(-float64(i*i) / (2 * sigma * sigma))
		sum += k[i+r]
	}
	for i := range k {
		k[i] /= sum
	}
	tmp := make([]float64, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var acc float64
			for i := -r; i <= r; i++ {
				xx := min(max(x+i, 0), w-1)
				acc += k[i+r] * float64(out.Pix[y*w+xx])
			}
			tmp[y*w+x] = acc
		}
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var acc float64
			for i := -r; i <= r; i++ {
				yy := min(max(y+i, 0), h-1)
				acc += k[i+r] * tmp[yy*w+x]
			}
			out.Pix[y*w+x] = uint8(math.Round(min(max(acc, 0), 255)))
		}
	}
	return out
}

// SaltPepper sets each pixel, with probability p, to black or white (even
// odds).
func SaltPepper(src *image.Gray, p float64, r *rand.Rand) *image.Gray {
	out := compact(src)
	for i := range out.Pix {
		if r.Float64() < p {
			if r.IntN(2) == 0 {
				out.Pix[i] = 0
			} else {
				out.Pix[i] = 0xff
			}
		}
	}
	return out
}

// Occlude paints a solid rectangle (black or white, even odds) covering
// frac of the area of region, with an aspect ratio between 1:2 and 2:1,
// placed uniformly at random inside region and not overlapping any of the
// keep rectangles (it tries 1000 placements, then gives up with an error).
func Occlude(src *image.Gray, region image.Rectangle, frac float64, keep []image.Rectangle, r *rand.Rand) (*image.Gray, image.Rectangle, error) {
	out := compact(src)
	area := frac * float64(region.Dx()*region.Dy())
	for try := 0; try < 1000; try++ {
		aspect := math.Exp((r.Float64()*2 - 1) * math.Ln2) // 1/2 .. 2
		w := int(math.Round(math.Sqrt(area * aspect)))
		h := int(math.Round(area / float64(max(w, 1))))
		if w < 1 || h < 1 || w > region.Dx() || h > region.Dy() {
			continue
		}
		x := region.Min.X + r.IntN(region.Dx()-w+1)
		y := region.Min.Y + r.IntN(region.Dy()-h+1)
		rect := image.Rect(x, y, x+w, y+h)
		ok := true
		for _, k := range keep {
			if rect.Overlaps(k) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		v := uint8(0)
		if r.IntN(2) == 1 {
			v = 0xff
		}
		for yy := rect.Min.Y; yy < rect.Max.Y; yy++ {
			for xx := rect.Min.X; xx < rect.Max.X; xx++ {
				out.Pix[yy*out.Stride+xx] = v
			}
		}
		return out, rect, nil
	}
	return nil, image.Rectangle{}, fmt.Errorf("no place for a %.0f %% occlusion avoiding %d regions", 100*frac, len(keep))
}

// compact copies src into a new image with origin (0, 0) and Stride ==
// width.
func compact(src *image.Gray) *image.Gray {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		copy(out.Pix[y*w:(y+1)*w], src.Pix[src.PixOffset(src.Rect.Min.X, src.Rect.Min.Y+y):])
	}
	return out
}
