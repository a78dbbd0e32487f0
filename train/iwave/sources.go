package iwave

import (
	"fmt"
	"image"
	"math"

	"github.com/medqr/medqr/data"
	"github.com/medqr/medqr/model/iwave"
)

// PairSource is one set of extra training pairs (Config.Sources): the
// run's training images loaded at side Load, reduced to side Size by
// Resample, and coded at each of the run's budgets scaled to the same bits
// per pixel as at data.DefaultSize (ScaledBudget). The shipped run has
// none; they serve images sharper than the dataset's own upsampled ones
// (the Kermany sample is 224 px, resampled up to 256 by the default load).
type PairSource struct {
	// Load is the side the dataset is loaded at (data.LoadSplit, which
	// centre-crops and resamples with Lanczos-3; a square image of side
	// Load is kept as it is, so 224 gives the Kermany sample's own pixels).
	Load int `json:"load"`
	// Size is the side coded: Load, or smaller, reduced by Resample.
	Size int `json:"size"`
	// Resample reduces the loaded image to Size: "area" (AreaResize: each
	// output pixel is the mean of the source area it covers) or "lanczos"
	// (data.Preprocess: Lanczos-3 widened by the scale factor). Unused
	// when Size equals Load.
	Resample string `json:"resample,omitempty"`
}

// Resample methods of a PairSource.
const (
	ResampleArea    = "area"
	ResampleLanczos = "lanczos"
)

func (s PairSource) validate(budgets []int) error {
	switch {
	case s.Load < 8 || s.Load > 4096 || s.Size < 8 || s.Size > s.Load:
		return fmt.Errorf("train/iwave: source %dpx from %dpx: need 8 <= size <= load <= 4096", s.Size, s.Load)
	case s.Size < s.Load && s.Resample != ResampleArea && s.Resample != ResampleLanczos:
		return fmt.Errorf("train/iwave: source %dpx from %dpx: resample %q is not %q or %q", s.Size, s.Load, s.Resample, ResampleArea, ResampleLanczos)
	}
	for _, b := range budgets {
		if sb := ScaledBudget(b, s.Size); sb <= iwave.HeaderSize {
			return fmt.Errorf("train/iwave: source %dpx: budget %d scales to %d bytes, not above the %d-byte header", s.Size, b, sb, iwave.HeaderSize)
		}
	}
	return nil
}

// ScaledBudget is budget b, meant for a data.DefaultSize square image,
// scaled to a size x size image at the same bits per pixel (rounded to the
// nearest byte).
func ScaledBudget(b, size int) int {
	return int(math.Round(float64(b) * float64(size*size) / float64(data.DefaultSize*data.DefaultSize)))
}

// Budgets returns the run's budgets scaled to the source's size.
func (s PairSource) Budgets(budgets []int) []int {
	out := make([]int, len(budgets))
	for i, b := range budgets {
		out[i] = ScaledBudget(b, s.Size)
	}
	return out
}

// Reduce returns g (a Load x Load image) at the source's size.
func (s PairSource) Reduce(g *image.Gray) *image.Gray {
	switch {
	case s.Size == g.Rect.Dx() && s.Size == g.Rect.Dy():
		return g
	case s.Resample == ResampleLanczos:
		return data.Preprocess(g, s.Size)
	default:
		return AreaResize(g, s.Size)
	}
}

// String names the source in logs: "160px from 224 (area)".
func (s PairSource) String() string {
	if s.Size == s.Load {
		return fmt.Sprintf("%dpx as loaded", s.Size)
	}
	return fmt.Sprintf("%dpx from %d (%s)", s.Size, s.Load, s.Resample)
}

// SourcePairs makes the pairs of one source: imgs (loaded at s.Load) are
// reduced to s.Size and coded with c at the scaled budgets (MakePairs).
func SourcePairs(c *iwave.Codec, s PairSource, imgs []*image.Gray, budgets []int) ([]Pair, error) {
	small := make([]*image.Gray, len(imgs))
	for i, g := range imgs {
		small[i] = s.Reduce(g)
	}
	pairs, err := MakePairs(c, small, s.Budgets(budgets))
	if err != nil {
		return nil, fmt.Errorf("train/iwave: source %s: %w", s, err)
	}
	return pairs, nil
}

// AreaResize returns the largest centred square of g (cropped as
// data.Preprocess crops) reduced or enlarged to size x size by area
// averaging: each output pixel is the mean of the source pixels under it,
// each weighted by the area it covers, rounded half up. It is integer
// arithmetic throughout, so bit-identical on every CPU; a reduction by an
// integer factor k is the plain mean of k x k blocks. It panics if size < 1
// (a programming error).
func AreaResize(g *image.Gray, size int) *image.Gray {
	if size < 1 {
		panic("train/iwave: AreaResize size must be positive")
	}
	b := g.Bounds()
	side := min(b.Dx(), b.Dy())
	x0, y0 := b.Min.X+(b.Dx()-side)/2, b.Min.Y+(b.Dy()-side)/2
	out := image.NewGray(image.Rect(0, 0, size, size))
	if side == 0 {
		return out
	}
	wts := areaWeights(side, size)
	// Horizontal pass: weights in units where one source pixel is size
	// wide and one output pixel side wide, so each row of weights sums to
	// side and a pass multiplies the scale by side.
	tmp := make([]int64, side*size)
	for y := 0; y < side; y++ {
		row := g.Pix[g.PixOffset(x0, y0+y):]
		for x, ws := range wts.w {
			var acc int64
			for k, wt := range ws {
				acc += wt * int64(row[wts.start[x]+k])
			}
			tmp[y*size+x] = acc
		}
	}
	den := int64(side) * int64(side)
	for y, ws := range wts.w {
		for x := 0; x < size; x++ {
			var acc int64
			for k, wt := range ws {
				acc += wt * tmp[(wts.start[y]+k)*size+x]
			}
			out.Pix[y*out.Stride+x] = uint8((acc + den/2) / den)
		}
	}
	return out
}

// areaTaps holds, for each output position, the first source pixel it
// covers and the lengths of its overlap with each covered pixel.
type areaTaps struct {
	start []int
	w     [][]int64
}

// areaWeights returns the taps of dst output positions over src source
// pixels, with source pixel j spanning [j*dst, (j+1)*dst) and output pixel
// i spanning [i*src, (i+1)*src).
func areaWeights(src, dst int) areaTaps {
	ws := areaTaps{start: make([]int, dst), w: make([][]int64, dst)}
	for i := range ws.w {
		lo, hi := i*src, (i+1)*src
		j0, j1 := lo/dst, (hi+dst-1)/dst
		ws.start[i] = j0
		for j := j0; j < j1; j++ {
			ws.w[i] = append(ws.w[i], int64(min(hi, (j+1)*dst)-max(lo, j*dst)))
		}
	}
	return ws
}
