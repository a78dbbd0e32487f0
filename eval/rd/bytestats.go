package rd

import (
	"math"

	"github.com/medqr/medqr/eval"
)

// ChiSquareDOF is the degrees of freedom of the byte-histogram chi-square
// (256 bins against uniform).
const ChiSquareDOF = 255

// ByteStats pools the payload bytes of many encodings: the histogram of
// all their bytes, and the sums for Pearson's correlation of each byte with
// the next one in the same payload (pairs never straddle two payloads).
// Everything is an integer count or sum, so merging in any order gives the
// same statistics bit for bit; the fields are exported so that a shard's
// pooled statistics travel in its partial results (shard.go) and a merge
// adds them up exactly.
type ByteStats struct {
	Hist  [256]int `json:"hist"`  // byte value counts over all payloads
	Pairs int      `json:"pairs"` // consecutive pairs within payloads: sum of len(p)-1

	// Sums over the pairs (x = a byte, y = the next one).
	SX  int64 `json:"sx"`
	SY  int64 `json:"sy"`
	SXX int64 `json:"sxx"`
	SYY int64 `json:"syy"`
	SXY int64 `json:"sxy"`
}

// PooledStats is one summary row's ByteStats with whether any encoding
// that fit exposed its bytes (false: the row's source is SourceNone or
// SourceNoFit).
type PooledStats struct {
	Exposed bool      `json:"exposed"`
	Stats   ByteStats `json:"stats"`
}

// Add pools one payload.
func (s *ByteStats) Add(p []byte) {
	for i, v := range p {
		s.Hist[v]++
		if i == 0 {
			continue
		}
		x, y := int64(p[i-1]), int64(v)
		s.SX += x
		s.SY += y
		s.SXX += x * x
		s.SYY += y * y
		s.SXY += x * y
		s.Pairs++
	}
}

// Merge pools o into s.
func (s *ByteStats) Merge(o *ByteStats) {
	for i, c := range o.Hist {
		s.Hist[i] += c
	}
	s.Pairs += o.Pairs
	s.SX += o.SX
	s.SY += o.SY
	s.SXX += o.SXX
	s.SYY += o.SYY
	s.SXY += o.SXY
}

// N is the number of bytes pooled.
func (s *ByteStats) N() int {
	n := 0
	for _, c := range s.Hist {
		n += c
	}
	return n
}

// Entropy is the Shannon entropy, in bits per byte, of the pooled
// histogram (eval.Entropy): 8 at most, 0 for no bytes or a single value.
func (s *ByteStats) Entropy() float64 { return eval.Entropy(s.Hist[:]) }

// ChiSquare is the chi-square statistic of the pooled histogram against
// the uniform distribution over 256 values (eval.ChiSquare), NaN with no
// bytes. Under uniform bytes it follows chi-square with ChiSquareDOF degrees
// of freedom (5 % critical value 293.25).
func (s *ByteStats) ChiSquare() float64 {
	if s.N() == 0 {
		return math.NaN()
	}
	return eval.ChiSquare(s.Hist[:])
}

// Lag1 is Pearson's correlation between each payload byte and the next
// one in the same payload, over all pooled pairs: the same estimator as
// eval.Correlation on one row. NaN with fewer than two pairs or when either
// side of the pairs is constant.
func (s *ByteStats) Lag1() float64 {
	if s.Pairs < 2 {
		return math.NaN()
	}
	n := float64(s.Pairs)
	sx, sy := float64(s.SX), float64(s.SY)
	cov := float64(s.SXY) - sx*sy/n
	vx := float64(s.SXX) - sx*sx/n
	vy := float64(s.SYY) - sy*sy/n
	if vx <= 0 || vy <= 0 {
		return math.NaN()
	}
	return cov / math.Sqrt(vx*vy)
}

// fillByteStats sets r's byte-statistic fields from the pooled s.
func fillByteStats(r *Row, s *ByteStats) {
	nan := math.NaN()
	r.StatBytes, r.Lag1Pairs = s.N(), s.Pairs
	r.ByteEntropy, r.EntropyUniform, r.EntropyUniformSD = nan, nan, nan
	r.Lag1, r.Lag1Band, r.ChiSquare, r.ChiSquareP = nan, nan, nan, nan
	if r.StatBytes == 0 {
		return
	}
	r.ByteEntropy = s.Entropy()
	r.EntropyUniform, r.EntropyUniformSD = eval.EntropyNull(r.StatBytes, 256)
	r.ChiSquare = s.ChiSquare()
	r.ChiSquareP = eval.ChiSquarePValue(r.ChiSquare, ChiSquareDOF)
	r.Lag1 = s.Lag1()
	if s.Pairs > 0 {
		r.Lag1Band = eval.CorrelationBand(s.Pairs, 0.05)
	}
}
