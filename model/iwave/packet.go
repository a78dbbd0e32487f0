package iwave

import (
	"math"
	"sync"
)

// Wavelet-packet splits (payload version 5).
//
// After the dyadic transform, the encoder may split a detail band once
// more with the 1-D CDF 9/7 analysis (fwd1) along the direction its
// content varies slowly: an HL band (vertical structures: large values
// repeated down each column) along its columns, an LH band along its
// rows. The band's rectangle then holds a low half (the first
// ceil(n/2) lines) and a high half, coded as two bands; the decoder reads
// which bands are split from the stream's first bits and undoes each
// split (inv1) before the dyadic inverse.
//
// The encoder decides band by band at each step it tries, from a cheap
// rate proxy: the sum over the band's weighted coefficients of
// log2(1 + |c|/step), unsplit against split (packetHist), without
// encoding either.
//
// Version 6 may split a split band's low half once more along the same
// direction (a 2-level 1-D dyadic transform inside the band), when the
// proxy falls deepMargin more: the band is then coded as three bands, its
// low quarter, the quarter above it and the high half. Its deep bit
// follows the version-5 split bits, one for each split band only.

// A mask names the split bands: bit i-1 for the band of Bands index
// i >= 1 split once, and bit deepShift+i-1 (version 6, only with bit i-1)
// for its low half split again. 3 x MaxLevels bands fit below deepShift.
const deepShift = 16

const _ = uint(deepShift - 3*MaxLevels)

// splitMargin is how much lower (as a fraction) the split band's rate
// proxy must be for the encoder to split it: the proxy ignores the
// context models, and on 16 validation images at the four QR budgets a
// margin of 0.02 gained the most (0 and 0.03 were 0.01-0.03 dB worse,
// 0.04 0.03-0.05 dB worse; docs/codec.md).
const splitMargin = 0.02

// deepMargin is how much lower (as a fraction) the rate proxy of a split
// band must be with its low half split again than with one split for the
// version-6 encoder to split it again: on 99 validation images at the
// four QR budgets 0.02 gained the most (0, 0.03, 0.05 and 0.08 were
// 0.003-0.007 dB worse at L; docs/codec.md, round 6).
const deepMargin = 0.02

// splitDir is the direction a band of the given orientation is split
// along: 1 along columns (y) for HL, 2 along rows (x) for LH, 0 never
// (LL, HH: an HH split along either direction moved 16 validation images
// by under 0.01 dB).
func splitDir(orient int) int {
	switch orient {
	case 1:
		return 1
	case 2:
		return 2
	}
	return 0
}

// maskBits is the number of split bits a version-5 payload carries for
// levels levels: one per HL and LH band, in Bands order.
func maskBits(levels int) int { return 2 * levels }

// packMask returns the split bits of mask (a bit per Bands index i >= 1,
// bit i-1) as the stream carries them: the candidate bands' bits in
// Bands order, the first one highest.
func packMask(mask uint32, levels int) uint32 {
	var v uint32
	for i, b := range Bands(1<<levels, 1<<levels, levels) {
		if i > 0 && splitDir(b.Orient) != 0 {
			v = v<<1 | mask>>(i-1)&1
		}
	}
	return v
}

// unpackMask inverts packMask for the maskBits(levels) bits v.
func unpackMask(v uint32, levels int) uint32 {
	var mask uint32
	n := maskBits(levels)
	for i, b := range Bands(1<<levels, 1<<levels, levels) {
		if i > 0 && splitDir(b.Orient) != 0 {
			n--
			mask |= (v >> n & 1) << (i - 1)
		}
	}
	return mask
}

// deepBits returns the deep bits of mask as the stream carries them after
// packMask's bits: one per band split once (mask bit i-1 set), in Bands
// order, the first one highest, 1 if its low half is split again; and
// their number.
func deepBits(mask uint32, levels int) (v uint32, n int) {
	for i, b := range Bands(1<<levels, 1<<levels, levels) {
		if i > 0 && splitDir(b.Orient) != 0 && mask>>(i-1)&1 != 0 {
			v = v<<1 | mask>>(deepShift+i-1)&1
			n++
		}
	}
	return v, n
}

// readDeep returns mask (split bits only) with the deep bits bit(k) gives
// for its k-th split band, in deepBits's order, set.
func readDeep(mask uint32, levels int, bit func() uint32) uint32 {
	for i, b := range Bands(1<<levels, 1<<levels, levels) {
		if i > 0 && splitDir(b.Orient) != 0 && mask>>(i-1)&1 != 0 {
			mask |= bit() << (deepShift + i - 1)
		}
	}
	return mask
}

// isDeep reports whether mask splits band i of Bands (i >= 1) twice.
func isDeep(mask uint32, i int) bool {
	return mask>>(i-1)&1 != 0 && mask>>(deepShift+i-1)&1 != 0
}

// partRange returns the part of its band that a coded band of the given
// part holds, in quarters of the band's frequency range along the split
// direction: [lo, hi).
func partRange(part int) (lo, hi int) {
	switch part {
	case partLow:
		return 0, 2
	case partHigh:
		return 2, 4
	case partLowLow:
		return 0, 1
	case partLowHigh:
		return 1, 2
	}
	return 0, 4
}

// The parts of a split band (pband.part): the halves of one split, the
// quarters of a low half split again.
const (
	partWhole = iota
	partLow
	partHigh
	partLowLow
	partLowHigh
)

// pband is one coded band of a packet plane: a band of Bands or one half
// of a split band. shx and shy are log2 of the image pixels per
// coefficient along x and y (the level, plus one along a split's
// direction); part is partWhole for an unsplit band, else the part of
// the split band it holds (partRange); src is the index of the band in
// Bands it comes from.
type pband struct {
	Band
	shx, shy, part, src int
}

// packetBands lists the coded bands of a levels-deep plane whose bands
// with mask bit i-1 set (i indexing Bands) are split, in coding order:
// LL, then per level from the coarsest HL, LH, HH, each split band as its
// low half and then its high half, a low half split again as its low
// quarter and then the quarter above it.
func packetBands(w, h, levels int, mask uint32) []pband {
	var out []pband
	for i, b := range Bands(w, h, levels) {
		pb := pband{Band: b, shx: b.Level, shy: b.Level, src: i}
		dir := 0
		if i > 0 && mask>>(i-1)&1 != 0 {
			dir = splitDir(b.Orient)
		}
		if dir == 0 {
			out = append(out, pb)
			continue
		}
		// Lay the parts out along y, then transpose them for dir 2.
		n := b.H
		if dir == 2 {
			n = b.W
		}
		type span struct{ at, n, sh, part int }
		parts := []span{{0, (n + 1) / 2, 1, partLow}, {(n + 1) / 2, n / 2, 1, partHigh}}
		if isDeep(mask, i) {
			nl := (n + 1) / 2
			parts = []span{{0, (nl + 1) / 2, 2, partLowLow}, {(nl + 1) / 2, nl / 2, 2, partLowHigh}, parts[1]}
		}
		for _, sp := range parts {
			c := pb
			c.part = sp.part
			if dir == 1 {
				c.Y0, c.H, c.shy = b.Y0+sp.at, sp.n, b.Level+sp.sh
			} else {
				c.X0, c.W, c.shx = b.X0+sp.at, sp.n, b.Level+sp.sh
			}
			out = append(out, c)
		}
	}
	return out
}

// splitLine applies (inv false) or undoes (inv true) a depth-deep 1-D
// dyadic split of line x: fwd1 on all of it, then (depth 2) on its low
// half; inv1 in the reverse order.
func splitLine(x []float64, depth int, inv bool, tmp []float64) {
	half := x[:(len(x)+1)/2]
	if inv {
		if depth > 1 {
			inv1(half, tmp)
		}
		inv1(x, tmp)
		return
	}
	fwd1(x, tmp)
	if depth > 1 {
		fwd1(half, tmp)
	}
}

// splitBand applies (inv false) or undoes (inv true) the depth-deep split
// of band b along dir in the plane x of width w.
func splitBand(x []float64, w int, b Band, dir, depth int, inv bool, tmp, col []float64) {
	switch dir {
	case 1:
		if b.H < 2 {
			return
		}
		for c := b.X0; c < b.X0+b.W; c++ {
			for y := range b.H {
				col[y] = x[(b.Y0+y)*w+c]
			}
			splitLine(col[:b.H], depth, inv, tmp)
			for y := range b.H {
				x[(b.Y0+y)*w+c] = col[y]
			}
		}
	case 2:
		if b.W < 2 {
			return
		}
		for y := b.Y0; y < b.Y0+b.H; y++ {
			splitLine(x[y*w+b.X0:y*w+b.X0+b.W], depth, inv, tmp)
		}
	}
}

// splitPlane splits (inv false) or unsplits every band of x with its mask
// bit set, twice where its deep bit is set too.
func splitPlane(x []float64, w, h, levels int, mask uint32, inv bool) {
	if mask == 0 {
		return
	}
	tmp := make([]float64, max(w, h))
	col := make([]float64, h)
	for i, b := range Bands(w, h, levels) {
		if i > 0 && mask>>(i-1)&1 != 0 {
			depth := 1
			if isDeep(mask, i) {
				depth = 2
			}
			splitBand(x, w, b, splitDir(b.Orient), depth, inv, tmp, col)
		}
	}
}

type packetKey struct {
	w, h, levels int
	mask         uint32
}

var packetGainCache sync.Map // packetKey -> []float64 (per pband)

// packetGains returns, for each band of packetBands(w, h, levels, mask),
// the L2 norm of its synthesis basis function under the plain CDF 9/7
// inverse: an unsplit band's bandGains value, and for a part of a split
// band that value times the ratio of the 1-D synthesis norms along the
// split's direction with and without the split (the 2-D basis is the
// product of an x and a y function, and the split changes only one of
// them). A high half's norm is the same after one split or two (the
// second one does not touch it), and is computed after one.
func packetGains(w, h, levels int, mask uint32) []float64 {
	k := packetKey{w, h, levels, mask}
	if g, ok := packetGainCache.Load(k); ok {
		return g.([]float64)
	}
	base := bandGains(w, h, levels)
	bands := Bands(w, h, levels)
	pbs := packetBands(w, h, levels, mask)
	gains := make([]float64, len(pbs))
	for i, pb := range pbs {
		gains[i] = base[pb.src]
		if pb.part == 0 || pb.W == 0 || pb.H == 0 {
			continue
		}
		b := bands[pb.src]
		n, start, length, at := h, b.Y0, b.H, pb.Y0-b.Y0+pb.H/2
		if splitDir(b.Orient) == 2 {
			n, start, length, at = w, b.X0, b.W, pb.X0-b.X0+pb.W/2
		}
		depth := 1
		if pb.part == partLowLow || pb.part == partLowHigh {
			depth = 2
		}
		whole := synthNorm(n, b.Level, start, length, start+length/2, 0)
		half := synthNorm(n, b.Level, start, length, start+at, depth)
		gains[i] = float64(base[pb.src] * half / whole)
	}
	packetGainCache.Store(k, gains)
	return gains
}

// synthNorm returns the L2 norm of a 1-D signal of n samples after an
// impulse at index at goes through the inverse of a depth-deep split of
// [start, start+length) (none for depth 0, splitLine) and the levels-deep
// 1-D inverse.
func synthNorm(n, levels, start, length, at, depth int) float64 {
	x := make([]float64, n)
	tmp := make([]float64, n)
	x[at] = 1
	if depth > 0 {
		splitLine(x[start:start+length], depth, true, tmp)
	}
	lens := make([]int, levels)
	m := n
	for l := range levels {
		lens[l] = m
		m = (m + 1) / 2
	}
	for l := levels - 1; l >= 0; l-- {
		inv1(x[:lens[l]], tmp)
	}
	var s float64
	for _, v := range x {
		s += float64(v * v)
	}
	return math.Sqrt(s)
}

// Proxy histograms: a weighted coefficient c falls in bin
// floor(t/histRes), t = 1024 + 256 log2|c| being its magnitude on the step
// index scale (StepSize(t) = |c|), from an exponent and a 4-bit mantissa
// table; bins below 0 are dropped (|c| < 1/16 costs about nothing at any
// step the codec uses).
const (
	histRes  = 16
	histBins = (1024 + 256*22) / histRes
)

var mantT = func() (t [16]int) {
	for i := range t {
		t[i] = int(math.Round(256 * math.Log2(1+(float64(i)+0.5)/16)))
	}
	return t
}()

// histBin returns the proxy bin of weighted coefficient v, or -1.
func histBin(v float64) int {
	b := math.Float64bits(v) &^ (1 << 63)
	e := int(b>>52) - 1023
	t := 1024 + 256*e + mantT[(b>>48)&15]
	if t < 0 || e < -1000 {
		return -1
	}
	return min(t/histRes, histBins-1)
}

// proxyTab[d + proxyOff] is log2(1 + 2^(d/256)) for d = bin centre minus
// step index, rounded to 2^-16 so that the table is the same on every
// platform (whatever its math.Log2 and math.Exp2 round to) and proxy's
// sums are exact: the split choice, hence the payload, is the same
// everywhere.
const proxyOff = 4096

var proxyTab = func() (t [proxyOff + histBins*histRes + 1]float64) {
	for i := range t {
		d := float64(i-proxyOff) / 256
		t[i] = math.Round(math.Log2(1+math.Exp2(d))*65536) / 65536
	}
	return t
}()

// packetHist holds, for each candidate band (Bands index i >= 1), the
// proxy histograms of its weighted coefficients unsplit [0], split [1]
// and (version 6) split twice [2].
type packetHist [][3][histBins]uint32

func bandHist(h *[histBins]uint32, wc []float64, w int, bs []pband) {
	for _, b := range bs {
		for y := b.Y0; y < b.Y0+b.H; y++ {
			for _, v := range wc[y*w+b.X0 : y*w+b.X0+b.W] {
				if k := histBin(v); k >= 0 {
					h[k]++
				}
			}
		}
	}
}

// proxy returns the rate proxy of histogram h at step index s.
func proxy(h *[histBins]uint32, s int) float64 {
	var sum float64
	for k, n := range h {
		if n != 0 {
			sum += float64(float64(n) * proxyTab[k*histRes+histRes/2-s+proxyOff])
		}
	}
	return sum
}

// candMask is the mask of every band that may be split.
func candMask(levels int) uint32 {
	var m uint32
	for i, b := range Bands(1<<levels, 1<<levels, levels) {
		if i > 0 && splitDir(b.Orient) != 0 {
			m |= 1 << (i - 1)
		}
	}
	return m
}

// splitWeighted returns the unweighted transform x with every candidate
// band split as mask says (candidates only: depth 1, or 2 with every deep
// bit) and weighted by its parts' gains. Only the candidate bands'
// rectangles are set: compose reads nothing else from it.
func (a *Analysis) splitWeighted(x []float64, mask uint32) []float64 {
	w := a.w
	ws := make([]float64, len(x))
	for i, b := range Bands(w, a.h, a.levels) {
		if i > 0 && mask>>(i-1)&1 != 0 {
			for y := b.Y0; y < b.Y0+b.H; y++ {
				copy(ws[y*w+b.X0:y*w+b.X0+b.W], x[y*w+b.X0:y*w+b.X0+b.W])
			}
		}
	}
	splitPlane(ws, w, a.h, a.levels, mask, false)
	gains := packetGains(w, a.h, a.levels, mask)
	for i, b := range packetBands(w, a.h, a.levels, mask) {
		if b.part == partWhole {
			continue
		}
		g := gains[i]
		for y := b.Y0; y < b.Y0+b.H; y++ {
			row := ws[y*w+b.X0 : y*w+b.X0+b.W]
			for k := range row {
				row[k] *= g
			}
		}
	}
	return ws
}

// preparePacket sets a.ws from the unweighted transform x (every
// candidate band split once, splitWeighted) and, if deep (version 6),
// a.wd (split twice).
func (a *Analysis) preparePacket(x []float64, deep bool) {
	all := candMask(a.levels)
	a.ws = a.splitWeighted(x, all)
	if deep {
		a.wd = a.splitWeighted(x, all|all<<deepShift)
	}
}

// histograms fills a.hist from a.wc, a.ws and a.wd.
func (a *Analysis) histograms() {
	all := candMask(a.levels)
	a.hist = make(packetHist, 3*a.levels+1)
	for k, split := range []struct {
		plane []float64
		mask  uint32
	}{{a.wc, 0}, {a.ws, all}, {a.wd, all | all<<deepShift}} {
		if split.plane == nil {
			continue
		}
		pbs := packetBands(a.w, a.h, a.levels, split.mask)
		for i := range a.hist {
			if i == 0 || all>>(i-1)&1 == 0 {
				continue
			}
			var parts []pband
			for _, pb := range pbs {
				if pb.src == i {
					parts = append(parts, pb)
				}
			}
			bandHist(&a.hist[i][k], split.plane, a.w, parts)
		}
	}
}

// chooseMask returns the bands to split at step index s: those whose
// rate proxy falls splitMargin when split; with deep (version 6, a.wd
// made), also the deep bits of those whose proxy falls deepMargin more
// when split twice.
func (a *Analysis) chooseMask(s int, deep bool) uint32 {
	all := candMask(a.levels)
	var m uint32
	for i := 1; i < len(a.hist); i++ {
		if all>>(i-1)&1 == 0 {
			continue
		}
		u, sp := proxy(&a.hist[i][0], s), proxy(&a.hist[i][1], s)
		if sp < u*(1-splitMargin) {
			m |= 1 << (i - 1)
			if deep && proxy(&a.hist[i][2], s) < sp*(1-deepMargin) {
				m |= 1 << (deepShift + i - 1)
			}
		}
	}
	return m
}

// compose returns the weighted plane of mask: wc with the split bands
// taken from ws, or from wd where split twice.
func (a *Analysis) compose(mask uint32) []float64 {
	if mask == 0 {
		return a.wc
	}
	if a.comp != nil && a.compMask == mask {
		return a.comp
	}
	if a.comp == nil {
		a.comp = make([]float64, len(a.wc))
	}
	copy(a.comp, a.wc)
	for i, b := range Bands(a.w, a.h, a.levels) {
		if i > 0 && mask>>(i-1)&1 != 0 {
			src := a.ws
			if isDeep(mask, i) {
				src = a.wd
			}
			for y := b.Y0; y < b.Y0+b.H; y++ {
				copy(a.comp[y*a.w+b.X0:y*a.w+b.X0+b.W], src[y*a.w+b.X0:y*a.w+b.X0+b.W])
			}
		}
	}
	a.compMask = mask
	return a.comp
}

// scalePacket divides every coefficient of x by its packet band's gain
// (packetGains).
func scalePacket(x []float64, w, h, levels int, mask uint32) {
	gains := packetGains(w, h, levels, mask)
	for i, b := range packetBands(w, h, levels, mask) {
		g := gains[i]
		for y := b.Y0; y < b.Y0+b.H; y++ {
			row := x[y*w+b.X0 : y*w+b.X0+b.W]
			for k := range row {
				row[k] /= g
			}
		}
	}
}
