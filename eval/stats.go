package eval

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"
)

// ---------------------------------------------------------------------------
// NPCR and UACI (Wu, Noonan and Agaian 2011)

// NPCRBytes returns the number of pixels change rate between two equally long
// sample slices, in percent: 100 * mean(a[i] != b[i]). It panics if the
// lengths differ or are zero (a programming error).
func NPCRBytes(a, b []byte) float64 {
	mustSameLen(len(a), len(b))
	diff := 0
	for i := range a {
		if a[i] != b[i] {
			diff++
		}
	}
	return 100 * float64(diff) / float64(len(a))
}

// UACIBytes returns the unified average changing intensity between two
// equally long 8-bit sample slices, in percent: 100 * mean(|a[i]-b[i]|) / 255.
func UACIBytes(a, b []byte) float64 {
	mustSameLen(len(a), len(b))
	var sum int64
	for i := range a {
		d := int64(a[i]) - int64(b[i])
		if d < 0 {
			d = -d
		}
		sum += d
	}
	return 100 * float64(sum) / (255 * float64(len(a)))
}

func mustSameLen(a, b int) {
	if a != b || a == 0 {
		panic(fmt.Sprintf("eval: sample lengths %d and %d differ or are zero", a, b))
	}
}

// NPCRUACI returns NPCR and UACI (percent) of two cipher images of the same
// size and depth, with F = 255 for 8-bit and 65535 for 16-bit images.
func NPCRUACI(c1, c2 image.Image) (npcr, uaci float64, err error) {
	p1, p2, err := pair(c1, c2)
	if err != nil {
		return math.NaN(), math.NaN(), fmt.Errorf("npcr/uaci: %w", err)
	}
	diff := 0
	var sum float64
	for i, v := range p1.pix {
		d := math.Abs(v - p2.pix[i])
		if d != 0 {
			diff++
		}
		sum += d
	}
	n := float64(len(p1.pix))
	return 100 * float64(diff) / n, 100 * sum / (p1.peak * n), nil
}

// NPCRCritical returns the NPCR critical value N*_alpha in percent for cipher
// images of `pixels` samples with largest value f (255 for 8-bit):
// (F - z(1-alpha) sqrt(F/MN)) / (F+1), Wu, Noonan and Agaian (2011), eq. 9.
// An NPCR below it rejects, at level alpha, the hypothesis that the two
// images are independent and uniformly random.
func NPCRCritical(pixels int, f float64, alpha float64) float64 {
	z := distuv.UnitNormal.Quantile(1 - alpha)
	return 100 * (f - z*math.Sqrt(f/float64(pixels))) / (f + 1)
}

// UACIMoments returns the mean and standard deviation (fractions, not
// percent) of UACI for two independent uniform images of `pixels` samples:
// mu = (F+2)/(3F+3), sigma^2 = (F+2)(F^2+2F+3) / (18 (F+1)^2 MN F).
func UACIMoments(pixels int, f float64) (mu, sigma float64) {
	mu = (f + 2) / (3*f + 3)
	sigma = math.Sqrt((f + 2) * (f*f + 2*f + 3) / (18 * (f + 1) * (f + 1) * float64(pixels) * f))
	return mu, sigma
}

// UACIInterval returns the two-sided acceptance interval [lo, hi] of UACI in
// percent at level alpha: mu -/+ z(1-alpha/2) sigma (Wu et al. 2011, eq. 12).
func UACIInterval(pixels int, f float64, alpha float64) (lo, hi float64) {
	mu, s := UACIMoments(pixels, f)
	z := distuv.UnitNormal.Quantile(1 - alpha/2)
	return 100 * (mu - z*s), 100 * (mu + z*s)
}

// ---------------------------------------------------------------------------
// Shannon entropy

// Histogram256 counts the byte values of pix.
func Histogram256(pix []byte) [256]int {
	var h [256]int
	for _, v := range pix {
		h[v]++
	}
	return h
}

// Entropy returns the Shannon entropy in bits of the empirical distribution
// given by hist: -sum p log2 p over the non-empty bins. An empty histogram
// has entropy 0.
func Entropy(hist []int) float64 {
	n := 0
	for _, c := range hist {
		n += c
	}
	if n == 0 {
		return 0
	}
	var h float64
	for _, c := range hist {
		if c > 0 {
			p := float64(c) / float64(n)
			h -= p * math.Log2(p)
		}
	}
	return h
}

// EntropyBytes returns the Shannon entropy of the byte values of pix.
func EntropyBytes(pix []byte) float64 {
	h := Histogram256(pix)
	return Entropy(h[:])
}

// EntropyNull returns the exact mean and standard deviation of the Shannon
// entropy (bits) of n samples drawn independently and uniformly from
// `levels` values: the histogram is multinomial, so with f(x) = -(x/n)
// log2(x/n), E[H] = K E f(X1) and Var H = K Var f(X1) + K(K-1) Cov(f(X1),
// f(X2)), summed over the binomial and trinomial laws (tails beyond 14
// standard deviations, below 1e-40 in mass, are left out). For a 256x256
// 8-bit image this gives 7.99719 +/- 0.00025 bits, not 8.
func EntropyNull(n, levels int) (mean, sd float64) {
	if n <= 0 || levels < 2 {
		panic("eval: EntropyNull needs n > 0 and levels >= 2")
	}
	N, K := float64(n), float64(levels)
	p := 1 / K
	f := func(x int) float64 {
		if x == 0 {
			return 0
		}
		q := float64(x) / N
		return -q * math.Log2(q)
	}
	sdX := math.Sqrt(N * p * (1 - p))
	lo := max(0, int(math.Floor(N*p-14*sdX-2)))
	hi := min(n, int(math.Ceil(N*p+14*sdX+2)))
	lgN, _ := math.Lgamma(N + 1)
	lg := func(x int) float64 { v, _ := math.Lgamma(float64(x) + 1); return v }
	// marginal: Binomial(n, p)
	var m1, mass float64
	pm := make([]float64, hi-lo+1)
	for x := lo; x <= hi; x++ {
		lp := lgN - lg(x) - lg(n-x) + float64(x)*math.Log(p) + float64(n-x)*math.Log1p(-p)
		pm[x-lo] = math.Exp(lp)
		mass += pm[x-lo]
	}
	for x := lo; x <= hi; x++ {
		pm[x-lo] /= mass
		m1 += pm[x-lo] * f(x)
	}
	var v1 float64
	for x := lo; x <= hi; x++ {
		d := f(x) - m1
		v1 += pm[x-lo] * d * d
	}
	// joint of two cells: trinomial(n; p, p, 1-2p)
	var cov, jmass float64
	if levels > 2 {
		// log-factorials of every count the double sum needs
		lga := make([]float64, hi-lo+1)
		for x := lo; x <= hi; x++ {
			lga[x-lo] = lg(x)
		}
		rlo := max(0, n-2*hi)
		lgr := make([]float64, max(0, n-2*lo-rlo)+1)
		for x := range lgr {
			lgr[x] = lg(rlo + x)
		}
		lp1, lp2 := math.Log(p), math.Log1p(-2*p)
		fs := make([]float64, hi-lo+1)
		for x := lo; x <= hi; x++ {
			fs[x-lo] = f(x) - m1
		}
		for a := lo; a <= hi; a++ {
			for b := lo; b <= hi && a+b <= n; b++ {
				lp := lgN - lga[a-lo] - lga[b-lo] - lgr[n-a-b-rlo] + float64(a+b)*lp1 + float64(n-a-b)*lp2
				w := math.Exp(lp)
				jmass += w
				cov += w * fs[a-lo] * fs[b-lo]
			}
		}
		cov /= jmass
	} else {
		// two levels: X2 = n - X1
		for x := lo; x <= hi; x++ {
			cov += pm[x-lo] * (f(x) - m1) * (f(n-x) - m1)
		}
	}
	mean = K * m1
	v := K*v1 + K*(K-1)*cov
	return mean, math.Sqrt(math.Max(v, 0))
}

// ---------------------------------------------------------------------------
// Local Shannon entropy (Wu, Zhou, Saveriades, Agaian, Noonan and Natarajan 2013)

// Local entropy block geometry of Wu et al. (2013).
const (
	LocalBlockSide = 44 // 44x44 = 1936 pixels per block
	LocalBlocksK   = 30 // blocks per measurement where the image has room
)

// LocalEntropy returns the mean Shannon entropy of k non-overlapping
// side x side blocks of the w x h 8-bit image pix (row-major). Blocks are
// cells of the grid of floor(w/side) x floor(h/side) tiles; k of them are
// drawn without replacement by rng (all of them, in order, when k equals the
// number of tiles). It returns an error if k is not in [1, tiles].
func LocalEntropy(pix []byte, w, h, side, k int, rng *rand.Rand) (float64, error) {
	if len(pix) != w*h {
		return math.NaN(), fmt.Errorf("local entropy: %d samples for %dx%d", len(pix), w, h)
	}
	tx, ty := w/side, h/side
	tiles := tx * ty
	if k < 1 || k > tiles {
		return math.NaN(), fmt.Errorf("local entropy: %w: %d blocks of %dx%d requested, %dx%d holds %d", ErrTooSmall, k, side, side, w, h, tiles)
	}
	var sum float64
	var hist [256]int
	for _, t := range pick(tiles, k, rng) {
		x0, y0 := (t%tx)*side, (t/tx)*side
		hist = [256]int{}
		for y := y0; y < y0+side; y++ {
			for _, v := range pix[y*w+x0 : y*w+x0+side] {
				hist[v]++
			}
		}
		sum += Entropy(hist[:])
	}
	return sum / float64(k), nil
}

// LocalBlocks returns the number of blocks used for a w x h image: the
// largest k <= LocalBlocksK that fits (25 at 256x256 and 224x224).
func LocalBlocks(w, h int) int {
	return min(LocalBlocksK, (w/LocalBlockSide)*(h/LocalBlockSide))
}

// LocalNull is the simulated null distribution of local entropy: the mean
// entropy of k blocks of m independent uniform bytes, sorted ascending.
type LocalNull struct {
	K, BlockPixels, Trials int
	Seed                   uint64
	Sorted                 []float64
}

// SimulateLocalNull draws trials local-entropy values of random images with
// a ChaCha8 generator seeded by seed. Same arguments, same values.
func SimulateLocalNull(k, blockPixels, trials int, seed uint64) *LocalNull {
	var s [32]byte
	for i := 0; i < 8; i++ {
		s[i] = byte(seed >> (8 * i))
	}
	copy(s[8:], "eval/local-entropy-null/v1")
	src := rand.NewChaCha8(s)
	vals := make([]float64, trials)
	var hist [256]int
	for t := range vals {
		var sum float64
		for b := 0; b < k; b++ {
			hist = [256]int{}
			i := 0
			for ; i+8 <= blockPixels; i += 8 {
				u := src.Uint64()
				for j := 0; j < 8; j++ {
					hist[byte(u>>(8*j))]++
				}
			}
			if i < blockPixels {
				u := src.Uint64()
				for ; i < blockPixels; i++ {
					hist[byte(u)]++
					u >>= 8
				}
			}
			sum += Entropy(hist[:])
		}
		vals[t] = sum / float64(k)
	}
	sort.Float64s(vals)
	return &LocalNull{K: k, BlockPixels: blockPixels, Trials: trials, Seed: seed, Sorted: vals}
}

// Interval returns the empirical alpha/2 and 1-alpha/2 quantiles.
func (n *LocalNull) Interval(alpha float64) (lo, hi float64) {
	return quantileSorted(n.Sorted, alpha/2), quantileSorted(n.Sorted, 1-alpha/2)
}

// PValue returns the two-sided Monte Carlo p-value of an observed local
// entropy: 2 min(#{null <= x}+1, #{null >= x}+1) / (trials+1), capped at 1.
func (n *LocalNull) PValue(x float64) float64 {
	le := sort.SearchFloat64s(n.Sorted, math.Nextafter(x, math.Inf(1)))
	ge := len(n.Sorted) - sort.SearchFloat64s(n.Sorted, x)
	p := 2 * float64(min(le, ge)+1) / float64(len(n.Sorted)+1)
	return math.Min(p, 1)
}

// Coverage returns the fraction of the null values inside [lo, hi].
func (n *LocalNull) Coverage(lo, hi float64) float64 {
	a := sort.SearchFloat64s(n.Sorted, lo)
	b := sort.SearchFloat64s(n.Sorted, math.Nextafter(hi, math.Inf(1)))
	return float64(b-a) / float64(len(n.Sorted))
}

// quantileSorted is the type-7 (linear interpolation) sample quantile.
func quantileSorted(s []float64, q float64) float64 {
	if len(s) == 0 {
		return math.NaN()
	}
	h := q * float64(len(s)-1)
	i := int(math.Floor(h))
	if i >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[i] + (h-float64(i))*(s[i+1]-s[i])
}

// WuLocalEntropyPublished is the k = 30, 44x44, alpha = 0.05 acceptance
// interval printed by Wu et al. (2013) and widely copied. Random images land
// in it far less often than 95 % of the time (see the report's coverage
// figure), so eval uses simulated critical values instead.
var WuLocalEntropyPublished = [2]float64{7.901901305, 7.903037329}

// ---------------------------------------------------------------------------
// Adjacent-pixel correlation

// Direction names a neighbour relation for correlation.
type Direction int

const (
	Horizontal Direction = iota // (x, y) and (x+1, y)
	Vertical                    // (x, y) and (x, y+1)
	Diagonal                    // (x, y) and (x+1, y+1)
)

func (d Direction) String() string {
	switch d {
	case Horizontal:
		return "horizontal"
	case Vertical:
		return "vertical"
	case Diagonal:
		return "diagonal"
	}
	return fmt.Sprintf("Direction(%d)", int(d))
}

// Correlation returns Pearson's correlation of all adjacent pairs in
// direction d of the w x h 8-bit image pix, and the number of pairs n
// (h(w-1) horizontally, (h-1)w vertically, (h-1)(w-1) diagonally). It is
// NaN when there are fewer than two pairs or one side is constant.
func Correlation(pix []byte, w, h int, d Direction) (r float64, n int) {
	dx, dy := 1, 0
	switch d {
	case Vertical:
		dx, dy = 0, 1
	case Diagonal:
		dx, dy = 1, 1
	}
	var sx, sy, sxx, syy, sxy float64
	for y := 0; y+dy < h; y++ {
		for x := 0; x+dx < w; x++ {
			a := float64(pix[y*w+x])
			b := float64(pix[(y+dy)*w+x+dx])
			sx += a
			sy += b
			sxx += a * a
			syy += b * b
			sxy += a * b
			n++
		}
	}
	if n < 2 {
		return math.NaN(), n
	}
	N := float64(n)
	cov := sxy - sx*sy/N
	vx := sxx - sx*sx/N
	vy := syy - sy*sy/N
	if vx <= 0 || vy <= 0 {
		return math.NaN(), n
	}
	return cov / math.Sqrt(vx*vy), n
}

// CorrelationBand returns the half-width z(1-alpha/2)/sqrt(n) of the
// acceptance band around 0 for the correlation of n independent pairs
// (1.96/sqrt(n) at alpha = 0.05).
func CorrelationBand(n int, alpha float64) float64 {
	return distuv.UnitNormal.Quantile(1-alpha/2) / math.Sqrt(float64(n))
}

// CorrelationPValue is the two-sided p-value of r for n independent pairs
// under the normal approximation r sqrt(n) ~ N(0, 1).
func CorrelationPValue(r float64, n int) float64 {
	z := math.Abs(r) * math.Sqrt(float64(n))
	return 2 * distuv.UnitNormal.Survival(z)
}

// ---------------------------------------------------------------------------
// Histogram chi-square

// ChiSquare returns the chi-square statistic of hist against the uniform
// distribution over its bins: sum (o - e)^2 / e with e = n / bins.
func ChiSquare(hist []int) float64 {
	n := 0
	for _, c := range hist {
		n += c
	}
	e := float64(n) / float64(len(hist))
	var s float64
	for _, c := range hist {
		d := float64(c) - e
		s += d * d / e
	}
	return s
}

// ChiSquareCritical returns the upper-alpha critical value of the
// chi-square distribution with dof degrees of freedom (293.25 and 310.46 for
// 255 dof at 0.05 and 0.01).
func ChiSquareCritical(dof int, alpha float64) float64 {
	return distuv.ChiSquared{K: float64(dof)}.Quantile(1 - alpha)
}

// ChiSquarePValue returns P(X >= x) for X chi-square with dof degrees of
// freedom.
func ChiSquarePValue(x float64, dof int) float64 {
	return distuv.ChiSquared{K: float64(dof)}.Survival(x)
}

// LocalEntropyBytes is LocalEntropy for a byte string: the mean entropy of
// k of its floor(len/m) consecutive m-byte chunks, drawn by rng (all, in
// order, when k equals the number of chunks).
func LocalEntropyBytes(b []byte, m, k int, rng *rand.Rand) (float64, error) {
	chunks := len(b) / m
	if k < 1 || k > chunks {
		return math.NaN(), fmt.Errorf("local entropy: %w: %d chunks of %d bytes requested, %d bytes hold %d", ErrTooSmall, k, m, len(b), chunks)
	}
	var sum float64
	for _, c := range pick(chunks, k, rng) {
		sum += EntropyBytes(b[c*m : (c+1)*m])
	}
	return sum / float64(k), nil
}

// pick returns k of the indices 0..n-1: all of them in order when k is n,
// else the first k of a shuffle by rng.
func pick(n, k int, rng *rand.Rand) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	if k < n {
		rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	return order[:k]
}
