package iwave

import (
	"math"
	"math/bits"

	"github.com/medqr/medqr/internal/entropy"
)

// Rate-distortion optimised quantisation (encoder only).
//
// The deadzone quantiser rounds every coefficient the same way wherever it
// is. The encoder instead chooses, coefficient by coefficient in coding
// order, the value among 0, floor(|v|/step) and floor(|v|/step)+1 (same
// sign) that minimises
//
//	J = (|v|/step - r(a))^2 + lambda * bits(a)
//
// where r(a) is the decoder's reconstruction of magnitude a (0, or
// a + reconBias) and bits(a) what coding a costs with the context models
// exactly as they stand at that point (significance, sign, ">1", unary
// bits). Coefficients whose contexts make a value expensive (a lone +-1
// where significance is rare) drop to zero; cheap ones round up. The
// decision ignores the effect on later contexts, which is why the best
// lambda (measured) is under the high-rate value 2 ln 2 / 12 = 0.116.
// Rate control then picks a finer step for the same budget. The payload
// format is unchanged: the decoder reads values, whatever chose them.
//
// rdoLambda was chosen on 10 validation images at the four QR budgets
// (docs/codec.md): 0.03 +0.04-0.05 dB, 0.045-0.07 +0.07-0.11 dB, 0.1
// +0.02-0.07 dB, 0.2 -0.2-0.5 dB against the deadzone quantiser with
// isolated-coefficient zeroing that it replaces. It holds at the steps of
// one 256x256 X-ray in one QR code (step index 1900 and coarser); at finer
// steps (several codes, larger images) the lambda rises linearly to
// rdoLambdaFine at rdoFineStep and below (rdoLambdaAt): there the
// post-filter, trained on the coarser steps' output, adds little, and the
// higher lambda gained 0.03-0.08 dB on real DICOMs at 512-1024 px without
// moving the validation images (docs/codec.md).
const (
	rdoLambda       = 0.06
	rdoLambdaFine   = 0.10
	rdoCoarseStep   = 1900
	rdoFineStep     = 1600
	rdoLambdaSpread = rdoLambdaFine - rdoLambda
)

// rdoLambdaAt returns the lambda of step index s.
func rdoLambdaAt(s int) float64 {
	f := min(1, max(0, float64(rdoCoarseStep-s)/(rdoCoarseStep-rdoFineStep)))
	return rdoLambda + float64(f*rdoLambdaSpread)
}

// rdo is the encoder's view of the unquantised coefficients.
type rdo struct {
	wc        []float64 // gain-weighted coefficients
	inv       float64   // 1/step
	lambda    float64
	zeroBelow float64 // |v|/step under which zero always wins (rdoFor)
}

// newRDO returns the rate-distortion choices of step index s.
func newRDO(wc []float64, s int) *rdo { return rdoFor(wc, 1/StepSize(s), rdoLambdaAt(s)) }

// rdoFor returns the rate-distortion choices at 1/step inv with lambda.
// Its zeroBelow is the |v|/step under which zero always wins: coding
// magnitude 1 instead adds (1+reconBias-a)^2 - a^2 of distortion and can
// save at most the dearest bit of costBits (the significance bit of 0) of
// rate. Below it rdoChoose skips the cost lookups.
func rdoFor(wc []float64, inv, lambda float64) *rdo {
	zero := (float64((1+reconBias)*(1+reconBias)) - float64(lambda*costBits[0])) / (2 * (1 + reconBias))
	return &rdo{wc: wc, inv: inv, lambda: lambda, zeroBelow: zero}
}

// costBits[p >> costShift] is -log2 of probability p/2^15, rounded to
// 2^-16 bits so the table is exact on every platform.
const costShift = 3

var costBits = func() (t [1 << (15 - costShift)]float64) {
	for i := range t {
		p := (float64(i) + 0.5) / float64(len(t))
		t[i] = math.Round(-math.Log2(p)*65536) / 65536
	}
	return t
}()

// bitCost returns the bits of coding bit with p as it stands.
func bitCost(p *entropy.Prob, bit int) float64 {
	p0 := uint32(p.P0())
	if bit == 1 {
		p0 = 1<<15 - p0
	}
	return costBits[min(p0>>costShift, uint32(len(costBits)-1))]
}

// magBits returns the bits of magnitude a >= 1 after the significance and
// sign bits: the ">1" bit, the unary bits and, past maxUnary, about what
// the exp-Golomb escape costs.
func magBits(m *models, c cx, a int32) float64 {
	if a == 1 {
		return bitCost(&m.gt1[c.gt1], 0)
	}
	bits := bitCost(&m.gt1[c.gt1], 1)
	k := int(a - 2)
	j := 0
	for ; j < maxUnary && j < k; j++ {
		bits += bitCost(&m.unary[c.unary+j], 1)
	}
	if j < maxUnary {
		return bits + bitCost(&m.unary[c.unary+j], 0)
	}
	return bits + escapeBits(k-maxUnary)
}

// magBitsPair returns magBits(m, c, a) and magBits(m, c, a+1) for a >= 1,
// summing the bits the two share once: the same additions in the same
// order as two magBits calls, hence the same values (TestMagBitsPair).
func magBitsPair(m *models, c cx, a int32) (float64, float64) {
	if a == 1 {
		return bitCost(&m.gt1[c.gt1], 0), magBits(m, c, 2)
	}
	bits := bitCost(&m.gt1[c.gt1], 1)
	un := m.unary[c.unary : c.unary+maxUnary]
	k := int(a - 2)
	j := 0
	for ; j < maxUnary && j < k; j++ {
		bits += bitCost(&un[j], 1)
	}
	if j == maxUnary {
		return bits + escapeBits(k-maxUnary), bits + escapeBits(k+1-maxUnary)
	}
	ba := bits + bitCost(&un[j], 0)
	bits += bitCost(&un[j], 1)
	if j++; j < maxUnary {
		return ba, bits + bitCost(&un[j], 0)
	}
	return ba, bits + escapeBits(k+1-maxUnary)
}

// escapeBits is 2*floor(log2(n+1)) + 1 for n >= 0, about what the
// exp-Golomb escape of n costs, counted with bits.Len (the same values as
// through math.Log2: TestEscapeBits).
func escapeBits(n int) float64 {
	return float64(2*(bits.Len(uint(n+1))-1) + 1)
}

// rdoChoose sets p.q[k], a detail coefficient of the band bc describes
// with significance context sig and neighbourhood n (plane.ctx), to the
// value of least rate-distortion cost under the models m. Products are
// wrapped in float64() so no platform fuses them into FMAs and the choice,
// hence the payload, is the same everywhere.
func (p *plane) rdoChoose(k int, m *models, bc *bandCx, sig int, n near) {
	v := p.rdo.wc[k]
	av := math.Abs(v) * p.rdo.inv
	if av < p.rdo.zeroBelow {
		p.q[k] = 0
		return
	}
	af := math.Floor(av)
	if af >= maxMag-1 {
		p.q[k] = quantOne(v, p.rdo.inv) // the deadzone quantiser's value
		return
	}
	c := bc.full(sig, n)
	sb := 0
	if v < 0 {
		sb = 1
	}
	best := int32(0)
	bestJ := float64(av*av) + float64(p.rdo.lambda*bitCost(&m.sig[c.sig], 0))
	sigBits := bitCost(&m.sig[c.sig], 1) + bitCost(&m.sign[c.sign], sb)
	// The candidates 1 (af = 0), or af and af+1, in that order.
	lo := max(int32(af), 1)
	mb := [2]float64{}
	if lo == int32(af) {
		mb[0], mb[1] = magBitsPair(m, c, lo)
	} else {
		mb[0] = magBits(m, c, lo)
	}
	for a := lo; a <= int32(af)+1; a++ {
		d := av - (float64(a) + reconBias)
		j := float64(d*d) + float64(p.rdo.lambda*(sigBits+mb[a-lo]))
		if j < bestJ {
			best, bestJ = a, j
		}
	}
	if v < 0 {
		best = -best
	}
	p.q[k] = best
}
