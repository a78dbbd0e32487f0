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
// and an exp-Golomb escape. Significance probabilities are selected by the
// level class (finest, second, coarser), whether the band is HH, the
// magnitudes of the four causal neighbours in the band (left, up, up-left,
// up-right) and of the co-located coefficients in the parent band (one
// level coarser, same orientation) and, for LH and HH, in the HL band of the
// same level. Sign probabilities use the signs of the left and upper
// neighbours. All probabilities start at 1/2 and adapt (internal/entropy).
const (
	quantRound = 0.38
	reconBias  = 0.05

	nbCtx     = 6
	parCtx    = 3
	levelCls  = 3
	maxUnary  = 12
	maxGamma  = 22
	maxMag    = 1 << 20 // encoder clamp on |q|
	llZeroCtx = 3
)

type models struct {
	sig   [levelCls][2][nbCtx * parCtx]entropy.Prob
	sign  [4][9]entropy.Prob
	gt1   [levelCls][4]entropy.Prob
	unary [levelCls][maxUnary]entropy.Prob
	gam   [2][maxGamma + 1]entropy.Prob
	llZ   [llZeroCtx]entropy.Prob
	llS   entropy.Prob
}

// newModels returns the context models a payload of the given version
// starts from: every probability 1/2 (version 1), or the priors of
// priors_v2.go (version 2).
func newModels(version int) *models {
	m := new(models)
	ps := m.all()
	for i, p := range ps {
		if version >= 2 {
			p.InitP(priorsV2[i])
		} else {
			p.Init()
		}
	}
	return m
}

// all lists every probability of m in a fixed order: the order of the
// priors table.
func (m *models) all() []*entropy.Prob {
	var out []*entropy.Prob
	for a := range m.sig {
		for b := range m.sig[a] {
			for c := range m.sig[a][b] {
				out = append(out, &m.sig[a][b][c])
			}
		}
	}
	for a := range m.sign {
		for b := range m.sign[a] {
			out = append(out, &m.sign[a][b])
		}
	}
	for a := range m.gt1 {
		for b := range m.gt1[a] {
			out = append(out, &m.gt1[a][b])
		}
	}
	for a := range m.unary {
		for b := range m.unary[a] {
			out = append(out, &m.unary[a][b])
		}
	}
	for a := range m.gam {
		for b := range m.gam[a] {
			out = append(out, &m.gam[a][b])
		}
	}
	for a := range m.llZ {
		out = append(out, &m.llZ[a])
	}
	return append(out, &m.llS)
}

// numProbs is len(new(models).all()), the length of a priors table.
const numProbs = levelCls*2*nbCtx*parCtx + 4*9 + levelCls*4 + levelCls*maxUnary + 2*(maxGamma+1) + llZeroCtx + 1

func iabs(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}

func sgn3(v int32) int {
	switch {
	case v < 0:
		return 0
	case v == 0:
		return 1
	}
	return 2
}

// plane is the quantised coefficient plane with its band geometry.
type plane struct {
	q      []int32
	w      int
	bands  []Band
	levels int
	// parent[i] is the index in bands of band i's parent (-1 if none);
	// cousin[i] the HL band of the same level for LH and HH (-1 otherwise).
	parent, cousin []int
}

func newPlane(w, h, levels int) *plane {
	p := &plane{q: make([]int32, w*h), w: w, bands: Bands(w, h, levels), levels: levels}
	p.parent = make([]int, len(p.bands))
	p.cousin = make([]int, len(p.bands))
	for i, b := range p.bands {
		p.parent[i], p.cousin[i] = -1, -1
		for j, c := range p.bands {
			if b.Orient != 0 && c.Orient == b.Orient && c.Level == b.Level+1 {
				p.parent[i] = j
			}
			if (b.Orient == 2 || b.Orient == 3) && c.Orient == 1 && c.Level == b.Level {
				p.cousin[i] = j
			}
		}
	}
	return p
}

// at returns |q| at band-relative (x, y) of band j, clamped into the band.
func (p *plane) at(j, x, y int) int32 {
	b := p.bands[j]
	if b.W == 0 || b.H == 0 {
		return 0
	}
	x, y = min(x, b.W-1), min(y, b.H-1)
	return iabs(p.q[(b.Y0+y)*p.w+b.X0+x])
}

// ctx computes the significance, magnitude and sign contexts of the
// coefficient at band-relative (x, y) of band i.
func (p *plane) ctx(i, x, y int) (sig, mag, sign int) {
	b := p.bands[i]
	base := (b.Y0+y)*p.w + b.X0 + x
	var l, u, ul, ur int32
	if x > 0 {
		l = p.q[base-1]
	}
	if y > 0 {
		u = p.q[base-p.w]
		if x > 0 {
			ul = p.q[base-p.w-1]
		}
		if x+1 < b.W {
			ur = p.q[base-p.w+1]
		}
	}
	s := 2*(iabs(l)+iabs(u)) + iabs(ul) + iabs(ur)
	var nb int
	switch {
	case s == 0:
		nb = 0
	case s == 1:
		nb = 1
	case s == 2:
		nb = 2
	case s <= 4:
		nb = 3
	case s <= 8:
		nb = 4
	default:
		nb = 5
	}
	var par int32
	if j := p.parent[i]; j >= 0 {
		par += 2 * p.at(j, x/2, y/2)
	}
	if j := p.cousin[i]; j >= 0 {
		par += p.at(j, x, y)
	}
	pc := min(int(par), 2)
	mag = min(nb, 3)
	if par > 2 && mag < 3 {
		mag++
	}
	return nb*parCtx + pc, mag, sgn3(l)*3 + sgn3(u)
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

func encGamma(e *entropy.Encoder, ps *[maxGamma + 1]entropy.Prob, v uint32) {
	// exp-Golomb of v >= 0: k = floor(log2(v+1)) in adaptive unary, then
	// the k low bits of v+1.
	v1 := v + 1
	k := bits.Len32(v1) - 1
	for i := 0; i < k; i++ {
		e.Bit(&ps[i], 1)
	}
	if k < maxGamma {
		e.Bit(&ps[k], 0)
	}
	if k > 0 {
		e.Direct(v1, k)
	}
}

func decGamma(d *entropy.Decoder, ps *[maxGamma + 1]entropy.Prob) uint32 {
	k := 0
	for k < maxGamma && d.Bit(&ps[k]) == 1 {
		k++
	}
	if k == 0 {
		return 0
	}
	return (1<<k | d.Direct(k)) - 1
}

// encode codes p.q into e with the context models of the given payload
// version and returns them as they ended (the priors generator reads them).
func (p *plane) encode(e *entropy.Encoder, version int) *models {
	m := newModels(version)
	w := p.w
	ll := p.bands[0]
	for y := 0; y < ll.H; y++ {
		for x := 0; x < ll.W; x++ {
			pred, zc := p.llPred(x, y)
			r := p.q[y*w+x] - pred
			if r == 0 {
				e.Bit(&m.llZ[zc], 0)
				continue
			}
			e.Bit(&m.llZ[zc], 1)
			sb := 0
			if r < 0 {
				sb = 1
			}
			e.Bit(&m.llS, sb)
			encGamma(e, &m.gam[0], uint32(iabs(r)-1))
		}
	}
	for i := 1; i < len(p.bands); i++ {
		b := p.bands[i]
		lc, hh := levelClass(b.Level), hhIdx(b.Orient)
		for y := 0; y < b.H; y++ {
			for x := 0; x < b.W; x++ {
				v := p.q[(b.Y0+y)*w+b.X0+x]
				sc, mc, sgc := p.ctx(i, x, y)
				if v == 0 {
					e.Bit(&m.sig[lc][hh][sc], 0)
					continue
				}
				e.Bit(&m.sig[lc][hh][sc], 1)
				sb := 0
				if v < 0 {
					sb = 1
				}
				e.Bit(&m.sign[b.Orient][sgc], sb)
				a := iabs(v)
				if a == 1 {
					e.Bit(&m.gt1[lc][mc], 0)
					continue
				}
				e.Bit(&m.gt1[lc][mc], 1)
				// a >= 2: unary on a-2 up to maxUnary, then escape.
				k := int(a - 2)
				j := 0
				for ; j < maxUnary && j < k; j++ {
					e.Bit(&m.unary[lc][j], 1)
				}
				if j < maxUnary {
					e.Bit(&m.unary[lc][j], 0)
					continue
				}
				encGamma(e, &m.gam[1], uint32(k-maxUnary))
			}
		}
	}
	return m
}

func (p *plane) decode(d *entropy.Decoder, version int) {
	m := newModels(version)
	w := p.w
	ll := p.bands[0]
	for y := 0; y < ll.H; y++ {
		for x := 0; x < ll.W; x++ {
			pred, zc := p.llPred(x, y)
			var r int32
			if d.Bit(&m.llZ[zc]) == 1 {
				neg := d.Bit(&m.llS) == 1
				r = int32(min(decGamma(d, &m.gam[0])+1, maxMag))
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
		lc, hh := levelClass(b.Level), hhIdx(b.Orient)
		for y := 0; y < b.H; y++ {
			for x := 0; x < b.W; x++ {
				sc, mc, sgc := p.ctx(i, x, y)
				if d.Bit(&m.sig[lc][hh][sc]) == 0 {
					continue
				}
				neg := d.Bit(&m.sign[b.Orient][sgc]) == 1
				a := uint32(1)
				if d.Bit(&m.gt1[lc][mc]) == 1 {
					j := 0
					for j < maxUnary && d.Bit(&m.unary[lc][j]) == 1 {
						j++
					}
					a = 2 + uint32(j)
					if j == maxUnary {
						a += decGamma(d, &m.gam[1])
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
		a := math.Floor(math.Abs(v)*inv + quantRound)
		a = min(a, maxMag)
		if v < 0 {
			a = -a
		}
		p.q[i] = int32(a)
	}
	p.zeroIsolated(wc, inv)
	// The LL band is coded by DPCM on rounded values (no deadzone).
	ll := p.bands[0]
	for y := 0; y < ll.H; y++ {
		for x := 0; x < ll.W; x++ {
			i := y*p.w + x
			p.q[i] = int32(max(-maxMag, min(maxMag, math.Round(wc[i]*inv))))
		}
	}
}

// isolatedLimit is the largest |v|/step at which a lone +-1 in one of the
// two finest levels is zeroed (zeroIsolated); the deadzone alone zeroes
// below 1 - quantRound. Chosen on 30 validation images: 0.9 and 1.2 both
// gained 0.03-0.05 dB at the four QR budgets.
const isolatedLimit = 0.9

// zeroIsolated sets to zero each +-1 of the two finest levels whose
// weighted value is under isolatedLimit steps and whose eight neighbours
// in the band and parent coefficient are all zero: coding it costs a
// significance bit in a context where significance is rare, plus a sign
// and a magnitude bit, for little squared error. Bands are scanned in
// raster order, so the decision sees earlier zeroings. Encoder only: the
// payload format is unchanged.
func (p *plane) zeroIsolated(wc []float64, inv float64) {
	for i := 1; i < len(p.bands); i++ {
		b := p.bands[i]
		if b.Level > 2 {
			continue
		}
		for y := 0; y < b.H; y++ {
			for x := 0; x < b.W; x++ {
				k := (b.Y0+y)*p.w + b.X0 + x
				if iabs(p.q[k]) != 1 || math.Abs(wc[k])*inv >= isolatedLimit {
					continue
				}
				if j := p.parent[i]; j >= 0 && p.at(j, x/2, y/2) != 0 {
					continue
				}
				lone := true
				for dy := -1; dy <= 1 && lone; dy++ {
					for dx := -1; dx <= 1; dx++ {
						xx, yy := x+dx, y+dy
						if (dx == 0 && dy == 0) || xx < 0 || yy < 0 || xx >= b.W || yy >= b.H {
							continue
						}
						if p.q[(b.Y0+yy)*p.w+b.X0+xx] != 0 {
							lone = false
							break
						}
					}
				}
				if lone {
					p.q[k] = 0
				}
			}
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
