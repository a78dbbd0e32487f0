package qr

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"math"
	"slices"

	"github.com/makiuchi-d/gozxing"
	multiqr "github.com/makiuchi-d/gozxing/multi/qrcode"
)

// Limits of the image split used by DecodeAll.
const (
	// maxRegions bounds how many candidate regions DecodeAll tries, so that
	// a noisy image cannot make it run for minutes.
	maxRegions = 256
	// maxSplitDepth bounds the alternating row/column recursion.
	maxSplitDepth = 8
	// gapModules: a band of blank rows (or columns) at least this many
	// modules wide separates two symbols. Inside a symbol no two adjacent
	// module rows or columns are blank (the timing patterns and finder
	// patterns cross them), and Sheet leaves 2*QuietZone+2*sheetGutter
	// modules between symbols.
	gapModules = 3
)

// DecodeAll reads every QR symbol in img: a Sheet, or a photo or scan of
// several codes. It combines gozxing's multi-code reader with a split of
// the image along blank bands of rows and columns, each region then read
// with every strategy of Decode. Payloads are returned once each (a
// symbol found twice, or printed twice, counts once), in reading order of
// the regions where that order is known. It returns ErrNotFound when no
// symbol is read, and ErrNotBinary when the only symbols read hold
// non-byte text.
func DecodeAll(img image.Image) ([][]byte, error) {
	g, err := toGray(img)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	nonBinary := 0
	add := func(b []byte) {
		for _, o := range out {
			if bytes.Equal(o, b) {
				return
			}
		}
		out = append(out, b)
	}

	regions := splitRegions(g)
	failed := 0
	if len(regions) > 1 {
		for _, r := range regions {
			b, _, err := decodeWith(pad(g, r), strategies)
			switch {
			case err == nil:
				add(b)
			case errors.Is(err, ErrNotBinary):
				nonBinary++
			default:
				failed++
			}
		}
	}
	// The multi-code reader finds symbols that no axis-aligned band
	// separates (tilted photos, codes side by side without gutters); it
	// is skipped when the split read every region.
	if len(regions) <= 1 || failed > 0 {
		for _, src := range []*image.Gray{g, median3(g)} {
			for _, text := range readMulti(src) {
				b, err := textBytes(text)
				if err != nil {
					nonBinary++
					continue
				}
				add(b)
			}
		}
	}
	if len(out) == 0 && len(regions) <= 1 {
		b, _, err := decodeWith(g, strategies)
		switch {
		case err == nil:
			add(b)
		case errors.Is(err, ErrNotBinary):
			nonBinary++
		}
	}
	if len(out) == 0 {
		if nonBinary > 0 {
			return nil, fmt.Errorf("%w (%d symbols)", ErrNotBinary, nonBinary)
		}
		return nil, ErrNotFound
	}
	return out, nil
}

// readMulti runs gozxing's multi-code reader (try harder), recovering from
// panics inside gozxing.
func readMulti(g *image.Gray) (texts []string) {
	defer func() {
		if r := recover(); r != nil {
			texts = nil
		}
	}()
	bm, err := bitmap(g, hybrid)
	if err != nil {
		return nil
	}
	res, err := multiqr.NewQRCodeMultiReader().DecodeMultiple(bm, map[gozxing.DecodeHintType]interface{}{
		gozxing.DecodeHintType_CHARACTER_SET: charset,
		gozxing.DecodeHintType_TRY_HARDER:    true,
	})
	if err != nil {
		return nil
	}
	for _, r := range res {
		texts = append(texts, r.GetText())
	}
	return texts
}

// pad crops r out of g and surrounds it with a white border as wide as an
// eighth of its larger side, so a symbol cut close to its edge still has a
// quiet zone.
func pad(g *image.Gray, r image.Rectangle) *image.Gray {
	m := max(r.Dx(), r.Dy())/8 + 1
	w, h := r.Dx()+2*m, r.Dy()+2*m
	out := image.NewGray(image.Rect(0, 0, w, h))
	for i := range out.Pix {
		out.Pix[i] = 0xff
	}
	sw := g.Rect.Dx()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		copy(out.Pix[(y-r.Min.Y+m)*w+m:], g.Pix[y*sw+r.Min.X:y*sw+r.Max.X])
	}
	return out
}

// splitRegions cuts g recursively along blank bands of rows and columns
// (an XY-cut) and returns the non-blank leaf regions, each extended by
// half of the blank bands around it. It works on a 2x box-downsampled copy
// (which also averages away isolated noise pixels) when g is large, on a
// 3x3 median otherwise; dark means at or below the Otsu threshold.
func splitRegions(g *image.Gray) []image.Rectangle {
	scale := 1
	small := halve(g)
	if small != nil && min(small.Rect.Dx(), small.Rect.Dy()) >= 200 {
		scale = 2
	} else {
		small = median3(g)
	}
	leaves := xyCut(small)
	if scale > 1 {
		for i, r := range leaves {
			r = image.Rect(r.Min.X*scale, r.Min.Y*scale, r.Max.X*scale, r.Max.Y*scale)
			// halve drops an odd last row or column: give it back.
			if r.Max.X == small.Rect.Dx()*scale {
				r.Max.X = g.Rect.Dx()
			}
			if r.Max.Y == small.Rect.Dy()*scale {
				r.Max.Y = g.Rect.Dy()
			}
			leaves[i] = r
		}
	}
	return leaves
}

func xyCut(g *image.Gray) []image.Rectangle {
	w := g.Rect.Dx()
	t := otsuLevel(g)
	dark := make([]bool, len(g.Pix))
	for i, v := range g.Pix {
		dark[i] = v <= t
	}
	mod := moduleSize(dark, w, g.Rect.Dy())
	minGap := max(3, int(math.Ceil(gapModules*mod)))
	var leaves []image.Rectangle
	var cut func(r image.Rectangle, rows bool, depth int, splitOther bool)
	cut = func(r image.Rectangle, rows bool, depth int, splitOther bool) {
		if len(leaves) >= maxRegions {
			return
		}
		parts := bands(dark, w, r, rows, minGap)
		if len(parts) == 0 {
			return // blank
		}
		if len(parts) == 1 && !splitOther {
			leaves = append(leaves, parts[0])
			return
		}
		if depth >= maxSplitDepth {
			leaves = append(leaves, parts...)
			return
		}
		for _, p := range parts {
			// Recurse in the other direction; a region that did not split
			// here becomes a leaf if the other direction does not split it.
			cut(p, !rows, depth+1, len(parts) > 1)
		}
	}
	cut(g.Rect, true, 0, true)
	if len(leaves) > maxRegions {
		leaves = leaves[:maxRegions]
	}
	return leaves
}

// bands splits r into the runs of non-blank rows (rows=true) or columns
// separated by at least minGap blank ones. A line is blank when at most
// 1/200 of its pixels (and at least 1) are dark. Each band is extended into
// the surrounding gaps by half their width (the gaps hold quiet zones).
func bands(dark []bool, stride int, r image.Rectangle, rows bool, minGap int) []image.Rectangle {
	lo, hi := r.Min.Y, r.Max.Y
	olo, ohi := r.Min.X, r.Max.X
	if !rows {
		lo, hi, olo, ohi = r.Min.X, r.Max.X, r.Min.Y, r.Max.Y
	}
	tol := max(1, (ohi-olo)/200)
	blank := make([]bool, hi-lo)
	for i := lo; i < hi; i++ {
		n := 0
		for j := olo; j < ohi; j++ {
			x, y := j, i
			if !rows {
				x, y = i, j
			}
			if dark[y*stride+x] {
				n++
			}
		}
		blank[i-lo] = n <= tol
	}
	// Runs of content, merging content separated by gaps shorter than
	// minGap.
	type run struct{ a, b int }
	var runs []run
	for i := 0; i < len(blank); {
		if blank[i] {
			i++
			continue
		}
		j := i
		for j < len(blank) && !blank[j] {
			j++
		}
		if n := len(runs); n > 0 && i-runs[n-1].b < minGap {
			runs[n-1].b = j
		} else {
			runs = append(runs, run{i, j})
		}
		i = j
	}
	out := make([]image.Rectangle, 0, len(runs))
	for k, rn := range runs {
		a, b := lo, hi
		if k > 0 {
			a = lo + (runs[k-1].b+rn.a+1)/2
		}
		if k < len(runs)-1 {
			b = lo + (rn.b+runs[k+1].a+1)/2
		}
		// Ignore specks: a band thinner than a version-1 symbol at 1 px
		// per module cannot hold a code.
		if rn.b-rn.a < 21 {
			continue
		}
		if rows {
			out = append(out, image.Rect(olo, a, ohi, b))
		} else {
			out = append(out, image.Rect(a, olo, b, ohi))
		}
	}
	return out
}

// moduleSize estimates the module size in pixels as the median length of
// the horizontal dark runs (1-module runs are the most common in a masked
// QR symbol); at least 1.
func moduleSize(dark []bool, w, h int) float64 {
	var runs []int
	step := max(1, h/400) // sample rows: plenty of runs, bounded time
	for y := 0; y < h; y += step {
		row := dark[y*w : (y+1)*w]
		for x := 0; x < w; {
			if !row[x] {
				x++
				continue
			}
			j := x
			for j < w && row[j] {
				j++
			}
			runs = append(runs, j-x)
			x = j
		}
	}
	if len(runs) == 0 {
		return 1
	}
	slices.Sort(runs)
	return max(1, float64(runs[len(runs)/2]))
}

// sheetGutter is the white space, in modules, that Sheet adds around and
// between symbols (on top of their own quiet zones).
const sheetGutter = 4

// Sheet lays symbols out in a grid of cols columns (ceil(sqrt(n)) when
// cols <= 0) on a white page, in reading order, each centred in a cell as
// large as the largest symbol, with sheetGutter modules of extra white
// around and between them (the module size is measured from the first
// symbol's quiet zone). nil symbols are skipped; with none it returns a
// small white image. DecodeAll reads the result.
func Sheet(symbols []*image.Gray, cols int) *image.Gray {
	syms := make([]*image.Gray, 0, len(symbols))
	for _, s := range symbols {
		if s != nil && !s.Rect.Empty() {
			syms = append(syms, s)
		}
	}
	n := len(syms)
	px := DefaultPxPerModule
	if n > 0 {
		px = quietModulePx(syms[0])
	}
	gut := sheetGutter * px
	if n == 0 {
		out := image.NewGray(image.Rect(0, 0, 2*gut, 2*gut))
		for i := range out.Pix {
			out.Pix[i] = 0xff
		}
		return out
	}
	if cols <= 0 {
		cols = int(math.Ceil(math.Sqrt(float64(n))))
	}
	cols = min(cols, n)
	rows := (n + cols - 1) / cols
	cw, ch := 0, 0
	for _, s := range syms {
		cw, ch = max(cw, s.Rect.Dx()), max(ch, s.Rect.Dy())
	}
	w := cols*cw + (cols+1)*gut
	h := rows*ch + (rows+1)*gut
	out := image.NewGray(image.Rect(0, 0, w, h))
	for i := range out.Pix {
		out.Pix[i] = 0xff
	}
	for i, s := range syms {
		cx := gut + (i%cols)*(cw+gut) + (cw-s.Rect.Dx())/2
		cy := gut + (i/cols)*(ch+gut) + (ch-s.Rect.Dy())/2
		for y := 0; y < s.Rect.Dy(); y++ {
			row := s.Pix[s.PixOffset(s.Rect.Min.X, s.Rect.Min.Y+y):]
			copy(out.Pix[(cy+y)*w+cx:(cy+y)*w+cx+s.Rect.Dx()], row[:s.Rect.Dx()])
		}
	}
	return out
}

// quietModulePx measures a symbol's module size from its quiet zone: the
// first dark pixel on the diagonal sits QuietZone modules in. It falls back
// to DefaultPxPerModule.
func quietModulePx(s *image.Gray) int {
	n := min(s.Rect.Dx(), s.Rect.Dy())
	for i := 0; i < n; i++ {
		if s.GrayAt(s.Rect.Min.X+i, s.Rect.Min.Y+i).Y < 0x80 {
			if px := i / QuietZone; px >= 1 {
				return px
			}
			break
		}
	}
	return DefaultPxPerModule
}
