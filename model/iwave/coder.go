package iwave

import (
	"math"
	"math/bits"

	"github.com/medqr/medqr/internal/entropy"
)

// Quantisation and context modelling of the subband coefficients.
//
// Every coefficient c of band b is first multiplied by the band's synthesis
// gain g_b (the L2 norm of the band's synthesis basis function, computed
// numerically), so that a quantisation error e in the weighted domain costs
// about e^2 of pixel-domain squared error in every band: one uniform step
// then spends bits where they buy the most MSE. The weighted value v is
// quantised with a deadzone quantiser,
//
//	q = sign(v) * floor(|v|/step + quantRound),
//
// and reconstructed as sign(q) * (|q| + reconBias) * step.
//
// Coding order: the LL band (DPCM with the median edge detector of LOCO-I on
// the integer values), then each level from the coarsest to the finest, the
// HL, LH and HH bands in raster order. Each coefficient is binarised as a
// significance bit, a sign bit, a "|q| > 1" bit, unary bits up to maxUnary
// and an exp-Golomb escape. Sign probabilities use the signs of the left and
// upper neighbours. Significance probabilities are selected by the level
// class (finest, second, coarser), whether the band is HH, the magnitudes
// of the four causal neighbours in the band (left, up, up-left, up-right)
// and of the co-located coefficients in the parent band (one level coarser,
// same orientation) and, for LH and HH, in the HL band of the same level.
//
// Versions 1 and 2 (one layout): 6 neighbourhood x 3 parent significance
// contexts; the ">1" bit by 4 neighbourhood classes; the unary bits by
// level class only. Version 3: the empty neighbourhood is split by the two
// coefficients two steps left and up, the parent sum gets 4 classes (7 x 4
// contexts); the ">1" bit and the unary bits are selected by the
// neighbourhood plus parent magnitude (8 and 3 classes), so large
// magnitudes next to large neighbours cost fewer bits. Version 1 models
// start at 1/2, versions 2 and 3 from learned priors (priors_v2.go,
// priors_v3.go); all adapt (internal/entropy). Versions 4 and 5 code
// version 3's stream; in version 5 a split band's halves (packet.go) are
// coded as two bands of the band's level and orientation, low half
// first. Their contexts read the parent and cousin at the position that
// covers the same image area (regionOf): the parent band's half of the
// same kind if it is split too, else the whole band; the cousin of a
// high half is its low half, and an HL band read as a cousin is read in
// its low half. Version 6 codes version 5's stream with the same
// contexts, but every model adapts at rates 1/16 and 1/64 instead of 1/8
// and 1/32 (ratesOf) and starts from the priors of priors_v6.go, learned
// at those rates; a band split twice is coded as three bands, its low
// quarter, the quarter above it and its high half, whose parent is the
// parent's part holding the same lowest quarter of the band's frequency
// range (partRange) and the cousin of the upper two the part just below.
//
// The decoder only reads values; which value the encoder codes is its own
// choice. Encode picks each detail coefficient by rate and distortion
// (rdo.go), which any version's decoder reads unchanged.
const (
	quantRound = 0.38
	reconBias  = 0.05

	nbCtx     = 6
	parCtx    = 3
	nbCtx3    = 7
	parCtx3   = 4
	magCtx3   = 8
	unaryCls3 = 3
	levelCls  = 3
	maxUnary  = 12
	maxGamma  = 22
	maxMag    = 1 << 20 // encoder clamp on |q|
	llZeroCtx = 3
)

// layout is the context-model geometry of one payload version.
// Versions 1 and 2 share one; version 3 refines the magnitude contexts
// and the significance contexts (ctx3).
type layout struct {
	sigPerBand int // significance contexts per (level class, HH or not)
	gt1        int // ">1" contexts per level class
	unaryCls   int // unary context classes per level class
}

func layoutOf(version int) layout {
	if version >= 3 {
		return layout{sigPerBand: nbCtx3 * parCtx3, gt1: magCtx3, unaryCls: unaryCls3}
	}
	return layout{sigPerBand: nbCtx * parCtx, gt1: 4, unaryCls: 1}
}

// models holds every adaptive probability of a payload, flat, in the
// order of the priors tables: significance [level class][HH][context],
// sign [orientation][context], ">1" [level class][context], unary [level
// class][class][bit], exp-Golomb [LL or escape][bit], LL zero
// [context], LL sign.
type models struct {
	version                    int
	lay                        layout
	sig, sign, gt1, unary, llZ []entropy.Prob // views into probs
	gam                        [2][maxGamma + 1]entropy.Prob
	llS                        entropy.Prob
	probs                      []entropy.Prob
	// rates are the models' adaptation rates (ratesOf).
	rates entropy.Rates
}

// newModels returns the context models of a payload of the given version,
// every probability starting from priors (in the order of all()) or, for
// nil, at 1/2.
func newModels(version int, priors []uint16) *models {
	lay := layoutOf(version)
	m := &models{version: version, lay: lay, rates: ratesOf(version)}
	n := [...]int{levelCls * 2 * lay.sigPerBand, 4 * 9, levelCls * lay.gt1, levelCls * lay.unaryCls * maxUnary}
	m.probs = make([]entropy.Prob, n[0]+n[1]+n[2]+n[3]+llZeroCtx)
	rest := m.probs
	for i, dst := range []*[]entropy.Prob{&m.sig, &m.sign, &m.gt1, &m.unary} {
		*dst, rest = rest[:n[i]:n[i]], rest[n[i]:]
	}
	m.llZ = rest
	for i, p := range m.all() {
		if priors != nil {
			p.InitP(priors[i])
		} else {
			p.Init()
		}
	}
	return m
}

// priorsOf returns the priors a payload of the given version starts from:
// none (version 1), priors_v2.go, priors_v3.go (versions 3 to 5, whose
// coefficient streams are the same) or priors_v6.go.
func priorsOf(version int) []uint16 {
	switch version {
	case 2:
		return priorsV2[:]
	case 3, 4, 5:
		return priorsV3[:]
	case 6:
		return priorsV6[:]
	}
	return nil
}

// ratesOf returns the adaptation rates of a payload version's models:
// entropy.DefaultRates (1/8 and 1/32) up to version 5, 1/16 and 1/64 from
// version 6. The default rates were chosen when every model started at
// 1/2; starting from priors, the slower rates follow each image's
// statistics with less noise (16 validation images, coded at fixed steps
// without rate-distortion choices: 0.8 % fewer bytes with version 3's
// priors, 1.35 % with priors_v6.go; docs/codec.md, "What round 6
// changed").
func ratesOf(version int) entropy.Rates {
	if version >= 6 {
		return entropy.Rates{Fast: 4, Slow: 6}
	}
	return entropy.DefaultRates
}

// all lists every probability of m in the order of the priors tables.
func (m *models) all() []*entropy.Prob {
	out := make([]*entropy.Prob, 0, len(m.probs)+2*(maxGamma+1)+1)
	k := len(m.sig) + len(m.sign) + len(m.gt1) + len(m.unary)
	for i := range k {
		out = append(out, &m.probs[i])
	}
	for a := range m.gam {
		for b := range m.gam[a] {
			out = append(out, &m.gam[a][b])
		}
	}
	for i := range m.llZ {
		out = append(out, &m.llZ[i])
	}
	return append(out, &m.llS)
}

// numProbs, numProbs3 and numProbs6 are the lengths of the version-2, 3
// and 6 priors tables (len(newModels(v, nil).all())); version 6 has
// version 3's contexts.
const (
	numProbs  = levelCls*2*nbCtx*parCtx + 4*9 + levelCls*4 + levelCls*maxUnary + 2*(maxGamma+1) + llZeroCtx + 1
	numProbs3 = levelCls*2*nbCtx3*parCtx3 + 4*9 + levelCls*magCtx3 + levelCls*unaryCls3*maxUnary + 2*(maxGamma+1) + llZeroCtx + 1
	numProbs6 = numProbs3
)

// iabs is |v| (MinInt32 for MinInt32, as -v), without a data-dependent
// branch: neighbour magnitudes are unpredictable.
func iabs(v int32) int32 {
	m := v >> 31
	return (v ^ m) - m
}

// sgn3 is 0, 1 or 2 for v negative, zero or positive, written so the
// compiler selects without branching.
func sgn3(v int32) int {
	n := 1
	if v > 0 {
		n = 2
	}
	if v < 0 {
		n = 0
	}
	return n
}

// plane is the quantised coefficient plane with its band geometry.
type plane struct {
	q      []int32
	w      int
	bands  []Band
	levels int
	// mask names the split bands (packet.go; 0 before version 5).
	mask uint32
	// par[i] and cos[i] are where band i's contexts read its parent band
	// (one level coarser, same orientation) and its cousin (for LH and
	// HH the HL band of the same level; for the upper part of a split
	// band the part just below it: a high half's low half, or the
	// quarter above the low quarter of a low half split again).
	par, cos []region
	// rdo, when set, lets encode choose each detail coefficient's value
	// by rate and distortion (rdoChoose).
	rdo *rdo
}

func newPlane(w, h, levels int) *plane { return newPacketPlane(w, h, levels, 0) }

// newPacketPlane returns the plane of a levels-deep transform whose bands
// named by mask are split (packetBands).
func newPacketPlane(w, h, levels int, mask uint32) *plane {
	pbs := packetBands(w, h, levels, mask)
	p := &plane{q: make([]int32, w*h), w: w, levels: levels, mask: mask}
	p.bands = make([]Band, len(pbs))
	p.par = make([]region, len(pbs))
	p.cos = make([]region, len(pbs))
	// find returns the index in pbs of the part of band src of Bands
	// that holds quarter q of its frequency range (partRange): the band
	// itself if it is not split.
	find := func(src, q int) int {
		for k, c := range pbs {
			if lo, hi := partRange(c.part); c.src == src && lo <= q && q < hi {
				return k
			}
		}
		return -1
	}
	for i, b := range pbs {
		p.bands[i] = b.Band
		if b.Orient == 0 {
			continue
		}
		// Bands lists LL, then 3 bands per level from the coarsest:
		// band (level l, orient o) is at 1 + 3*(levels-l) + o-1.
		// The parent part is the one holding the lowest quarter this
		// part holds (for an unsplit band, or a split band's low half,
		// the parent's lowest part).
		lo, _ := partRange(b.part)
		if b.Level < levels {
			src := 1 + 3*(levels-b.Level-1) + b.Orient - 1
			p.par[i] = regionOf(w, b, pbs, find(src, lo))
		}
		switch {
		case lo > 0:
			p.cos[i] = regionOf(w, b, pbs, find(b.src, lo-1))
		case b.Orient == 2 || b.Orient == 3:
			p.cos[i] = regionOf(w, b, pbs, find(1+3*(levels-b.Level), 0))
		}
	}
	return p
}

// regionOf returns band j of pbs seen from band b's contexts: b's
// coordinate x maps to x*2^b.shx/2^c.shx in band j, clamped into it
// (likewise y).
func regionOf(w int, b pband, pbs []pband, j int) region {
	if j < 0 || pbs[j].W == 0 || pbs[j].H == 0 {
		return region{}
	}
	c := pbs[j]
	r := region{xs: make([]int32, b.W), ys: make([]int32, b.H), ok: true}
	for x := range r.xs {
		r.xs[x] = int32(c.X0 + min(scaleTo(x, b.shx, c.shx), c.W-1))
	}
	for y := range r.ys {
		r.ys[y] = int32((c.Y0 + min(scaleTo(y, b.shy, c.shy), c.H-1)) * w)
	}
	return r
}

// scaleTo maps coordinate v at 2^from pixels per sample to 2^to.
func scaleTo(v, from, to int) int {
	if from >= to {
		return v << (from - to)
	}
	return v >> (to - from)
}

// cx is the context of one detail coefficient: indices into the models'
// significance, sign, ">1" and unary (first bit) probabilities.
type cx struct{ sig, sign, gt1, unary int }

// bandCx is what the contexts of one detail band's coefficients share
// under one payload version: the band's place, the bases of its
// probabilities and where its parent and cousin bands lie. encode and
// decode compute it once per band (bandCtx) instead of per coefficient.
type bandCx struct {
	x0, y0, w             int
	sig, sign, gt1, unary int
	v3                    bool
	par, cos              region
}

// region is a band seen from a child's contexts: ok is false when there
// is no such band or it is empty (the context then counts 0); otherwise
// the child's (x, y) reads plane index xs[x] + ys[y].
type region struct {
	xs, ys []int32
	ok     bool
}

// at returns the plane index in r of the child band's (x, y).
func (r *region) at(x, y int) int { return int(r.xs[x] + r.ys[y]) }

// bandCtx returns the shared contexts of band i under m's payload version.
func (p *plane) bandCtx(m *models, i int) bandCx {
	b := &p.bands[i]
	lc, hh := levelClass(b.Level), hhIdx(b.Orient)
	return bandCx{
		x0: b.X0, y0: b.Y0, w: b.W,
		sig:   (lc*2 + hh) * m.lay.sigPerBand,
		sign:  b.Orient * 9,
		gt1:   lc * m.lay.gt1,
		unary: lc * m.lay.unaryCls * maxUnary,
		v3:    m.version >= 3,
		par:   p.par[i],
		cos:   p.cos[i],
	}
}

// near is what the contexts past significance of one coefficient need
// from its neighbourhood: the left and upper values and the two magnitude
// sums. Most coefficients are zero, so encode and decode derive the sign,
// ">1" and unary contexts from it (full) only for the others.
type near struct{ l, u, s, par int32 }

// ctx computes the significance context of the coefficient at
// band-relative (x, y) of the band bc describes, and its neighbourhood
// for full.
func (p *plane) ctx(bc *bandCx, x, y int) (int, near) {
	q, w := p.q, p.w
	base := (bc.y0+y)*w + bc.x0 + x
	var l, u, ul, ur int32
	if x > 0 {
		l = q[base-1]
	}
	if y > 0 {
		u = q[base-w]
		if x > 0 {
			ul = q[base-w-1]
		}
		if x+1 < bc.w {
			ur = q[base-w+1]
		}
	}
	s := 2*(iabs(l)+iabs(u)) + iabs(ul) + iabs(ur)
	var par int32
	if bc.par.ok {
		par += 2 * iabs(q[bc.par.at(x, y)])
	}
	if bc.cos.ok {
		par += iabs(q[bc.cos.at(x, y)])
	}
	var sc int
	if bc.v3 {
		var far int32
		if x > 1 {
			far += iabs(q[base-2])
		}
		if y > 1 {
			far += iabs(q[base-2*w])
		}
		// 0: nothing near, 1: only the far pair, then as versions 1-2.
		nb := nbBuckets.of(s) + 1
		if s == 0 && far == 0 {
			nb = 0
		}
		sc = nb*parCtx3 + parBuckets3.of(par)
	} else {
		sc = nbBuckets.of(s)*parCtx + min(int(par), 2)
	}
	return bc.sig + sc, near{l: l, u: u, s: s, par: par}
}

// full returns every context of a coefficient of the band bc describes
// whose significance context is sig and neighbourhood n (ctx).
func (bc *bandCx) full(sig int, n near) cx {
	var mc, uc int
	if bc.v3 {
		t := n.s + n.par
		mc, uc = magBuckets3.of(t), unaryBuckets3.of(t)
	} else {
		mc = min(nbBuckets.of(n.s), 3)
		if n.par > 2 && mc < 3 {
			mc++
		}
	}
	return cx{
		sig:   sig,
		sign:  bc.sign + sgn3(n.l)*3 + sgn3(n.u),
		gt1:   bc.gt1 + mc,
		unary: bc.unary + uc*maxUnary,
	}
}

// Context class edges: bucket(v, edges) is the number of edges below v.
var (
	nbEdges     = []int32{0, 1, 2, 4, 8}          // 0, 1, 2, 3-4, 5-8, >8
	parEdges3   = []int32{0, 2, 4}                // 0, 1-2, 3-4, >4
	magEdges3   = []int32{0, 2, 4, 7, 12, 20, 40} // 0, 1-2, 3-4, 5-7, 8-12, 13-20, 21-40, >40
	unaryEdges3 = []int32{6, 20}                  // <=6, 7-20, >20
)

// buckets is bucket for one set of edges with the answers for 0..63 in a
// table. Every edge is below 63 (newBuckets panics otherwise), so every
// value from 63 up has the table's last answer: all edges are below it.
type buckets struct {
	edges []int32
	tab   [64]uint8
}

func newBuckets(edges []int32) *buckets {
	b := &buckets{edges: edges}
	for _, e := range edges {
		if e >= int32(len(b.tab)-1) {
			panic("iwave: context class edge past the lookup table")
		}
	}
	for v := range b.tab {
		b.tab[v] = uint8(bucket(int32(v), edges))
	}
	return b
}

// of returns bucket(v, edges).
func (b *buckets) of(v int32) int {
	if v < 0 {
		return bucket(v, b.edges)
	}
	return int(b.tab[min(v, int32(len(b.tab)-1))])
}

var (
	nbBuckets     = newBuckets(nbEdges)
	parBuckets3   = newBuckets(parEdges3)
	magBuckets3   = newBuckets(magEdges3)
	unaryBuckets3 = newBuckets(unaryEdges3)
)

// bucket returns how many of the ascending edges are below v.
func bucket(v int32, edges []int32) int {
	n := 0
	for _, e := range edges {
		if v > e {
			n++
		}
	}
	return n
}

func levelClass(level int) int { return min(level-1, levelCls-1) }

func hhIdx(o int) int {
	if o == 3 {
		return 1
	}
	return 0
}

// med is the LOCO-I median edge detector on the causal neighbours.
func med(a, b, c int32) int32 {
	switch {
	case c >= max(a, b):
		return min(a, b)
	case c <= min(a, b):
		return max(a, b)
	}
	return a + b - c
}

func (p *plane) llPred(x, y int) (pred int32, zc int) {
	w := p.w
	var a, b, c int32
	switch {
	case x > 0 && y > 0:
		a, b, c = p.q[y*w+x-1], p.q[(y-1)*w+x], p.q[(y-1)*w+x-1]
		pred = med(a, b, c)
	case x > 0:
		pred = p.q[y*w+x-1]
	case y > 0:
		pred = p.q[(y-1)*w+x]
	}
	g := iabs(a-c) + iabs(b-c)
	switch {
	case g == 0:
		zc = 0
	case g <= 2:
		zc = 1
	default:
		zc = 2
	}
	return pred, zc
}

// --- encoder ---

func encGamma(e *entropy.Encoder, ps *[maxGamma + 1]entropy.Prob, v uint32, r entropy.Rates) {
	// exp-Golomb of v >= 0: k = floor(log2(v+1)) in adaptive unary, then
	// the k low bits of v+1.
	v1 := v + 1
	k := bits.Len32(v1) - 1
	for i := 0; i < k; i++ {
		e.BitAt(&ps[i], 1, r)
	}
	if k < maxGamma {
		e.BitAt(&ps[k], 0, r)
	}
	if k > 0 {
		e.Direct(v1, k)
	}
}

func decGamma(d *entropy.Decoder, ps *[maxGamma + 1]entropy.Prob, r entropy.Rates) uint32 {
	k := 0
	for k < maxGamma && d.BitAt(&ps[k], r) == 1 {
		k++
	}
	if k == 0 {
		return 0
	}
	return (1<<k | d.Direct(k)) - 1
}

// encode codes p.q into e with the context models m (newModels), which it
// leaves as they ended (the priors generator reads them). With p.rdo set it
// first chooses each detail coefficient's value (rdoChoose).
func (p *plane) encode(e *entropy.Encoder, m *models) {
	w := p.w
	ll := p.bands[0]
	for y := 0; y < ll.H; y++ {
		for x := 0; x < ll.W; x++ {
			pred, zc := p.llPred(x, y)
			r := p.q[y*w+x] - pred
			if r == 0 {
				e.BitAt(&m.llZ[zc], 0, m.rates)
				continue
			}
			e.BitAt(&m.llZ[zc], 1, m.rates)
			sb := 0
			if r < 0 {
				sb = 1
			}
			e.BitAt(&m.llS, sb, m.rates)
			encGamma(e, &m.gam[0], uint32(iabs(r)-1), m.rates)
		}
	}
	rdoOn := p.rdo != nil
	var wc []float64 // the rate-distortion choice's coefficients
	var inv, zeroBelow float64
	if rdoOn {
		wc, inv, zeroBelow = p.rdo.wc, p.rdo.inv, p.rdo.zeroBelow
	}
	for i := 1; i < len(p.bands); i++ {
		b := p.bands[i]
		bc := p.bandCtx(m, i)
		for y := 0; y < b.H; y++ {
			for x := 0; x < b.W; x++ {
				k := (b.Y0+y)*w + b.X0 + x
				sig, n := p.ctx(&bc, x, y)
				if rdoOn {
					// rdoChoose's first test, here without a call for
					// the many coefficients it sets to zero.
					if math.Abs(wc[k])*inv < zeroBelow {
						p.q[k] = 0
					} else {
						p.rdoChoose(k, m, &bc, sig, n)
					}
				}
				v := p.q[k]
				if v == 0 {
					e.BitAt(&m.sig[sig], 0, m.rates)
					continue
				}
				e.BitAt(&m.sig[sig], 1, m.rates)
				c := bc.full(sig, n)
				sb := 0
				if v < 0 {
					sb = 1
				}
				e.BitAt(&m.sign[c.sign], sb, m.rates)
				a := iabs(v)
				if a == 1 {
					e.BitAt(&m.gt1[c.gt1], 0, m.rates)
					continue
				}
				e.BitAt(&m.gt1[c.gt1], 1, m.rates)
				// a >= 2: unary on a-2 up to maxUnary, then escape.
				un := m.unary[c.unary : c.unary+maxUnary]
				k2 := int(a - 2)
				j := 0
				for ; j < maxUnary && j < k2; j++ {
					e.BitAt(&un[j], 1, m.rates)
				}
				if j < maxUnary {
					e.BitAt(&un[j], 0, m.rates)
					continue
				}
				encGamma(e, &m.gam[1], uint32(k2-maxUnary), m.rates)
			}
		}
	}
}

// decode reads p.q from d with the context models of the given version.
func (p *plane) decode(d *entropy.Decoder, version int) {
	m := newModels(version, priorsOf(version))
	w := p.w
	ll := p.bands[0]
	for y := 0; y < ll.H; y++ {
		for x := 0; x < ll.W; x++ {
			pred, zc := p.llPred(x, y)
			var r int32
			if d.BitAt(&m.llZ[zc], m.rates) == 1 {
				neg := d.BitAt(&m.llS, m.rates) == 1
				r = int32(min(decGamma(d, &m.gam[0], m.rates)+1, maxMag))
				if neg {
					r = -r
				}
			}
			v := int64(pred) + int64(r)
			v = max(-4*maxMag, min(4*maxMag, v))
			p.q[y*w+x] = int32(v)
		}
	}
	for i := 1; i < len(p.bands); i++ {
		b := p.bands[i]
		bc := p.bandCtx(m, i)
		for y := 0; y < b.H; y++ {
			for x := 0; x < b.W; x++ {
				sig, n := p.ctx(&bc, x, y)
				if d.BitAt(&m.sig[sig], m.rates) == 0 {
					continue
				}
				c := bc.full(sig, n)
				neg := d.BitAt(&m.sign[c.sign], m.rates) == 1
				a := uint32(1)
				if d.BitAt(&m.gt1[c.gt1], m.rates) == 1 {
					un := m.unary[c.unary : c.unary+maxUnary]
					j := 0
					for j < maxUnary && d.BitAt(&un[j], m.rates) == 1 {
						j++
					}
					a = 2 + uint32(j)
					if j == maxUnary {
						a += decGamma(d, &m.gam[1], m.rates)
					}
				}
				v := int32(min(a, maxMag))
				if neg {
					v = -v
				}
				p.q[(b.Y0+y)*w+b.X0+x] = v
			}
		}
	}
}

// quantise fills p.q from the weighted coefficients wc at step.
func (p *plane) quantise(wc []float64, step float64) {
	inv := 1 / step
	for i, v := range wc {
		p.q[i] = quantOne(v, inv)
	}
	p.quantiseLL(wc, inv)
}

// quantOne is the deadzone quantiser of one weighted coefficient, inv =
// 1/step. The product is rounded on its own (an explicit conversion), so
// no processor fuses it with the addition.
func quantOne(v, inv float64) int32 {
	a := math.Floor(float64(math.Abs(v)*inv) + quantRound)
	a = min(a, maxMag)
	if v < 0 {
		a = -a
	}
	return int32(a)
}

// quantiseLL fills the LL band of p.q, which is coded by DPCM on rounded
// values (no deadzone), inv = 1/step. With rate-distortion choices on,
// encode sets every other coefficient before any context reads it
// (rdoChoose), so encodeStep quantises only this band.
func (p *plane) quantiseLL(wc []float64, inv float64) {
	ll := p.bands[0]
	for y := 0; y < ll.H; y++ {
		for x := 0; x < ll.W; x++ {
			i := y*p.w + x
			p.q[i] = int32(max(-maxMag, min(maxMag, math.Round(wc[i]*inv))))
		}
	}
}

// dequantise returns the weighted coefficients of p.q at step.
func (p *plane) dequantise(step float64) []float64 {
	out := make([]float64, len(p.q))
	for i, v := range p.q {
		switch {
		case v > 0:
			out[i] = (float64(v) + reconBias) * step
		case v < 0:
			out[i] = (float64(v) - reconBias) * step
		}
	}
	ll := p.bands[0]
	for y := 0; y < ll.H; y++ {
		for x := 0; x < ll.W; x++ {
			i := y*p.w + x
			out[i] = float64(p.q[i]) * step
		}
	}
	return out
}
