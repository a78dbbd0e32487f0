package data

import (
	"image"
	"math"
)

// DefaultSize is the default working size: images are preprocessed to
// DefaultSize x DefaultSize 8-bit gray.
const DefaultSize = 256

// PreprocessVersion identifies the preprocessing algorithm. It is part of
// every cache key, so changing Preprocess (or the Display rules) must bump
// it.
const PreprocessVersion = 1

// Preprocess returns g resized to size x size.
//
// Aspect policy: centre-crop. The largest centred square is cut from g (when
// the width exceeds the height, floor((w-h)/2) columns are dropped on the
// left and the rest on the right; likewise rows), and the square is
// resampled to size x size. Nothing is stretched and no padding is added;
// for chest X-rays the lost margins are mostly outside the lungs.
//
// Resampling uses a separable Lanczos-3 filter whose support widens by the
// scale factor when shrinking (so it also low-pass filters), with 14-bit
// fixed-point integer weights: the result is deterministic and bit-identical
// on every CPU. A square input of the requested size is copied unchanged.
// Preprocess panics if size < 1 (a programming error).
func Preprocess(g *image.Gray, size int) *image.Gray {
	if size < 1 {
		panic("data: Preprocess size must be positive")
	}
	b := g.Bounds()
	w, h := b.Dx(), b.Dy()
	side := min(w, h)
	x0 := b.Min.X + (w-side)/2
	y0 := b.Min.Y + (h-side)/2
	out := image.NewGray(image.Rect(0, 0, size, size))
	if side == 0 {
		return out
	}
	if side == size {
		for y := 0; y < size; y++ {
			copy(out.Pix[y*out.Stride:y*out.Stride+size], g.Pix[g.PixOffset(x0, y0+y):])
		}
		return out
	}
	wts := newWeights(side, size)
	// Horizontal pass: side rows x size columns, values scaled by 2^8 and
	// kept unclamped to preserve precision.
	tmp := make([]int32, side*size)
	for y := 0; y < side; y++ {
		row := g.Pix[g.PixOffset(x0, y0+y) : g.PixOffset(x0, y0+y)+side]
		dst := tmp[y*size : (y+1)*size]
		for x := range dst {
			ws := wts.w[x]
			src := row[wts.start[x] : wts.start[x]+len(ws)]
			var acc int32 // |acc| <= 1.3 * 2^14 * 255 < 2^31
			for k, wt := range ws {
				acc += wt * int32(src[k])
			}
			// weights carry 14 fractional bits; keep 8 of them.
			dst[x] = (acc + 1<<(fracBits-8-1)) >> (fracBits - 8)
		}
	}
	// Vertical pass, row by row so the inner loop runs over contiguous
	// memory.
	acc := make([]int64, size)
	for y := 0; y < size; y++ {
		ws := wts.w[y]
		start := wts.start[y]
		clear(acc)
		for k, wt := range ws {
			src := tmp[(start+k)*size : (start+k+1)*size]
			w64 := int64(wt)
			for x, v := range src {
				acc[x] += w64 * int64(v)
			}
		}
		dst := out.Pix[y*out.Stride : y*out.Stride+size]
		for x, a := range acc {
			v := roundShift(a, fracBits+8)
			if v < 0 {
				v = 0
			} else if v > 255 {
				v = 255
			}
			dst[x] = uint8(v)
		}
	}
	return out
}

const fracBits = 14

// roundShift divides by 2^s rounding half up (also for negative values).
func roundShift(v int64, s uint) int64 {
	return (v + 1<<(s-1)) >> s
}

type weights struct {
	start []int
	w     [][]int32
}

// newWeights computes, for each of the dst output positions, the source
// window start and the fixed-point Lanczos-3 weights over src input
// positions (edge samples are clamped into range by folding their weight
// onto the nearest valid sample... here by restricting the window and
// renormalising, as Pillow does).
func newWeights(src, dst int) weights {
	const a = 3.0
	scale := float64(src) / float64(dst)
	support := a
	filterScale := 1.0
	if scale > 1 {
		filterScale = scale
		support = a * scale
	}
	ws := weights{start: make([]int, dst), w: make([][]int32, dst)}
	for i := 0; i < dst; i++ {
		center := float64(float64(i)+0.5) * scale
		lo := int(math.Floor(center - support + 0.5))
		if lo < 0 {
			lo = 0
		}
		hi := int(math.Floor(center + support + 0.5))
		if hi > src {
			hi = src
		}
		fw := make([]float64, hi-lo)
		var sum float64
		for j := lo; j < hi; j++ {
			v := lanczos((float64(j)+0.5-center)/filterScale, a)
			fw[j-lo] = v
			sum += v
		}
		iw := make([]int32, len(fw))
		var isum int32
		maxk := 0
		for k, v := range fw {
			iw[k] = int32(math.Floor(float64(v/sum)*(1<<fracBits) + 0.5))
			isum += iw[k]
			if fw[k] > fw[maxk] {
				maxk = k
			}
		}
		// Make the weights sum exactly to one so flat regions stay flat.
		iw[maxk] += 1<<fracBits - isum
		ws.start[i] = lo
		ws.w[i] = iw
	}
	return ws
}

// lanczos is the Lanczos kernel sinc(x) sinc(x/a) on |x| < a.
func lanczos(x, a float64) float64 {
	if x < 0 {
		x = -x
	}
	if x >= a {
		return 0
	}
	if x < 1e-12 {
		return 1
	}
	px := float64(math.Pi * x)
	return float64(a*math.Sin(px)) * math.Sin(float64(px/a)) / float64(px*px)
}
