package iwave

import (
	"crypto/sha256"
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/medqr/medqr/internal/detnn"
)

// Learned lifting. After each 1-D CDF 9/7 pass of a level (the rows, then
// the columns), one more predict step adds a learned function of the
// low-pass half to the high-pass half:
//
//	d(i, c) += g(s neighbourhood of (i, c))
//
// Like every lifting step it is an additive coupling: the inverse
// subtracts the same g of the same low-pass samples, which the step did not
// change, so the transform stays invertible up to float rounding whatever
// g is (TestLearnedLiftInverse).
//
// g is a small MLP on LiftFeatures values: the 6 x 3 low-pass samples
// around the odd sample (6 along the transform axis, s[i-2..i+3], on the
// line and its two neighbours across), minus the mean of s[i] and s[i+1].
// It has no biases and uses leaky ReLUs, so g(a f) = a g(f) for a > 0: it
// is invariant to the image's brightness offset (features are
// differences) and scales with its contrast, and one network serves every
// decomposition level. Three networks: LiftRow predicts the row pass's
// high half from its low half; LiftColLow predicts LH from LL and
// LiftColHigh HH from HL in the column pass. Samples outside the low
// half's rectangle are clamped to its edge.
//
// The networks are trained with gorgonia (package train/iwave) to minimise
// a rate proxy, the mean of log(1 + |d + g|/Delta) with Delta the
// quantiser step the coefficient will see.
const (
	LiftFeatures = liftAlong * liftCross
	liftAlong    = 6
	liftCross    = 3
	LiftRow      = 0
	LiftColLow   = 1
	LiftColHigh  = 2
	liftNets     = 3
)

// LiftConfig is the learned lifting architecture, stored in its weights
// file.
type LiftConfig struct {
	// Hidden is the width of the two hidden layers.
	Hidden int `json:"hidden"`
	// Leak is the leaky ReLU slope for negative inputs.
	Leak float64 `json:"leak"`
}

// Validate checks the architecture.
func (c LiftConfig) Validate() error {
	if c.Hidden < 1 || c.Hidden > 128 {
		return fmt.Errorf("lifting hidden width %d out of range 1..128", c.Hidden)
	}
	if c.Leak < 0 || c.Leak >= 1 || math.IsNaN(c.Leak) {
		return fmt.Errorf("lifting leak %v out of range [0, 1)", c.Leak)
	}
	return nil
}

// LiftTensorNames lists the tensors of the lifting weights file in order:
// for each network n (row, collow, colhigh) n.w1 (hidden x 18), n.w2
// (hidden x hidden), n.w3 (hidden).
func LiftTensorNames() []string {
	var out []string
	for _, n := range []string{"row", "collow", "colhigh"} {
		out = append(out, n+".w1", n+".w2", n+".w3")
	}
	return out
}

func (c LiftConfig) dims(i int) []int {
	switch i % 3 {
	case 0:
		return []int{c.Hidden, LiftFeatures}
	case 1:
		return []int{c.Hidden, c.Hidden}
	}
	return []int{c.Hidden}
}

// ZeroTensors returns all-zero tensors for the architecture, keyed by
// LiftTensorNames: the untrained steps, which predict nothing (g = 0), so
// the transform is plain CDF 9/7.
func (c LiftConfig) ZeroTensors() map[string][]float32 {
	m := map[string][]float32{}
	for _, s := range c.specs() {
		m[s.name] = make([]float32, prod(s.dims))
	}
	return m
}

// Lift holds the three learned predict networks.
type Lift struct {
	Config LiftConfig
	// W[n] holds network n's w1, w2, w3 (row-major, out x in).
	W [liftNets][3][]float64
	// dense[n] holds w1 and w2 for the transform's batched kernels.
	dense [liftNets][2]*detnn.Dense
	sum   [32]byte
}

// NewLift builds a Lift from tensors keyed by LiftTensorNames (used by
// training to evaluate networks it has not yet written to a file).
func NewLift(cfg LiftConfig, tensors map[string][]float32) (*Lift, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	l := &Lift{Config: cfg}
	for i, name := range LiftTensorNames() {
		t := tensors[name]
		if len(t) != prod(cfg.dims(i)) {
			return nil, fmt.Errorf("iwave: lifting tensor %q has %d values, want %d", name, len(t), prod(cfg.dims(i)))
		}
		w := make([]float64, len(t))
		for j, v := range t {
			w[j] = float64(v)
		}
		l.W[i/3][i%3] = w
	}
	for n := range l.dense {
		l.dense[n][0] = detnn.NewDense(l.W[n][0], cfg.Hidden, LiftFeatures)
		l.dense[n][1] = detnn.NewDense(l.W[n][1], cfg.Hidden, cfg.Hidden)
	}
	return l, nil
}

// Eval returns network n's output for the features f.
func (l *Lift) Eval(n int, f *[LiftFeatures]float64) float64 {
	h := l.Config.Hidden
	var buf [2 * 128]float64
	h1, h2 := buf[:h], buf[h:2*h]
	w := &l.W[n]
	leakyLayer(h1, w[0], f[:], l.Config.Leak)
	leakyLayer(h2, w[1], h1, l.Config.Leak)
	var out float64
	for k, v := range h2 {
		out += w[2][k] * v
	}
	return out
}

// leakyLayer sets out[o] to the leaky ReLU (slope leak) of row o of w (a
// len(out) x len(in) matrix, row-major) times in, each sum taken in input
// order.
func leakyLayer(out, w, in []float64, leak float64) {
	for o := range out {
		r := w[o*len(in) : (o+1)*len(in)]
		var s float64
		for k, v := range in {
			s += r[k] * v
		}
		if s < 0 {
			s *= leak
		}
		out[o] = s
	}
}

// LiftGeom locates one learned predict step in the plane: the low-pass
// sample at along-axis index a and cross-axis index c is
// x[Base + a*SA + c*SC] (0 <= a < NA, C0 <= c < C1), the high-pass sample
// it predicts at along index i is x[DBase + i*SA + c*SC] (0 <= i < ND).
type LiftGeom struct {
	Base, DBase, SA, SC, NA, ND, C0, C1 int
}

// Features fills f for the high-pass sample (i, c).
func (g LiftGeom) Features(x []float64, i, c int, f *[LiftFeatures]float64) {
	at := func(a, cc int) float64 {
		a = min(max(a, 0), g.NA-1)
		cc = min(max(cc, g.C0), g.C1-1)
		return x[g.Base+a*g.SA+cc*g.SC]
	}
	ref := (at(i, c) + at(i+1, c)) / 2
	k := 0
	for dc := -liftCross / 2; dc <= liftCross/2; dc++ {
		for da := 1 - liftAlong/2; da <= liftAlong/2; da++ {
			f[k] = at(i+da, c+dc) - ref
			k++
		}
	}
}

// lineFeatures is Features for every high-pass sample of line c, into
// f[i*LiftFeatures:]: the same values, read without clamping where the
// neighbourhood lies inside the low-pass rectangle. The three lines the
// interior reads are first copied into lines (at least 3*NA values), so
// that a column step reads each strided sample once instead of six times.
func (g LiftGeom) lineFeatures(x []float64, c int, f, lines []float64) {
	na := g.NA
	lines = lines[:liftCross*na]
	for k := range liftCross {
		b := g.Base + min(max(c+k-liftCross/2, g.C0), g.C1-1)*g.SC
		l := lines[k*na : (k+1)*na]
		if g.SA == 1 {
			copy(l, x[b:b+na])
			continue
		}
		for a := range l {
			l[a] = x[b+a*g.SA]
		}
	}
	mid := lines[(liftCross/2)*na : (liftCross/2+1)*na]
	lo, hi := liftAlong/2-1, g.NA-liftAlong/2 // interior: lo <= i < hi
	for i := 0; i < g.ND; i++ {
		out := (*[LiftFeatures]float64)(f[i*LiftFeatures:])
		if i < lo || i >= hi {
			g.Features(x, i, c, out)
			continue
		}
		ref := (mid[i] + mid[i+1]) / 2
		for k := range liftCross {
			v := (*[liftAlong]float64)(lines[k*na+i-lo:])
			o := (*[liftAlong]float64)(out[k*liftAlong:])
			for j := range liftAlong {
				o[j] = v[j] - ref
			}
		}
	}
}

// Index returns the plane index of high-pass sample (i, c).
func (g LiftGeom) Index(i, c int) int { return g.DBase + i*g.SA + g.SC*c }

// LevelGeoms returns the geometry of the row step and of the two column
// steps (LiftRow, LiftColLow, LiftColHigh) for a level whose region is
// cw x ch in a plane of width w. A step with nothing to predict has ND or
// C1-C0 zero.
func LevelGeoms(w, cw, ch int) [liftNets]LiftGeom {
	ns, nsy := (cw+1)/2, (ch+1)/2
	var g [liftNets]LiftGeom
	if cw >= 2 {
		g[LiftRow] = LiftGeom{Base: 0, DBase: ns, SA: 1, SC: w, NA: ns, ND: cw - ns, C0: 0, C1: ch}
	}
	if ch >= 2 {
		g[LiftColLow] = LiftGeom{Base: 0, DBase: nsy * w, SA: w, SC: 1, NA: nsy, ND: ch - nsy, C0: 0, C1: ns}
		g[LiftColHigh] = LiftGeom{Base: 0, DBase: nsy * w, SA: w, SC: 1, NA: nsy, ND: ch - nsy, C0: ns, C1: cw}
		if cw < 2 {
			g[LiftColLow].C1 = cw
			g[LiftColHigh] = LiftGeom{}
		}
	}
	return g
}

// apply adds (sign +1) or subtracts (sign -1) network n's prediction to
// every high-pass sample of g. All predictions read only low-pass samples,
// which the step does not change, so the order of the updates is free: the
// lines are spread over up to GOMAXPROCS goroutines, one per liftPerWorker
// predictions, and each line's samples go through the network as one
// matrix product (gonum's Dgemm).
func (l *Lift) apply(n int, g LiftGeom, x []float64, sign float64) {
	if g.ND == 0 || g.C1 <= g.C0 || g.NA == 0 {
		return
	}
	lines := g.C1 - g.C0
	workers := min(runtime.GOMAXPROCS(0), lines, 1+lines*g.ND/liftPerWorker)
	var wg sync.WaitGroup
	next := make(chan int, lines)
	for c := g.C0; c < g.C1; c++ {
		next <- c
	}
	close(next)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := getLiftBatch(l.Config.Hidden, g.ND)
			defer liftBatches.Put(b)
			if len(b.lines) < liftCross*g.NA {
				b.lines = make([]float64, liftCross*g.NA)
			}
			for c := range next {
				g.lineFeatures(x, c, b.f, b.lines)
				out := l.evalBatch(n, b, g.ND)
				for i := 0; i < g.ND; i++ {
					x[g.Index(i, c)] += float64(sign * out[i])
				}
			}
		}()
	}
	wg.Wait()
}

// liftPerWorker is how many predictions each goroutine of apply takes on
// at least, beyond the first (1 + lines*ND/liftPerWorker): a step of a
// 256x256 image (at most 256 x 128 predictions) runs on one goroutine,
// where on two cores a second one saved little time but cost about 4-8 %
// more CPU per encrypt (scheduling and idle spinning); the finest steps of
// the multi-code sizes (512x512 and up) still run on two or more.
const liftPerWorker = 1 << 16

// liftBatch is scratch space for evalBatch: features (rows x
// LiftFeatures), the two hidden layers (rows x stride) and the outputs.
type liftBatch struct {
	f, h1, h2, out []float64
	// lines holds lineFeatures' copies of three low-pass lines.
	lines  []float64
	stride int
}

func newLiftBatch(hidden, rows int) *liftBatch {
	st := (hidden + 7) &^ 7 // detnn.Dense.Stride of a hidden-wide layer
	return &liftBatch{
		f:      make([]float64, rows*LiftFeatures),
		h1:     make([]float64, rows*st),
		h2:     make([]float64, rows*st),
		out:    make([]float64, rows),
		lines:  make([]float64, liftCross*(rows+1)),
		stride: st,
	}
}

// liftBatches keeps scratch batches between steps and transforms (a
// transform runs 15 steps on up to GOMAXPROCS goroutines each).
var liftBatches sync.Pool

// getLiftBatch returns a batch for rows samples of a hidden-wide network.
func getLiftBatch(hidden, rows int) *liftBatch {
	if b, ok := liftBatches.Get().(*liftBatch); ok && b.stride == (hidden+7)&^7 && len(b.out) >= rows {
		return b
	}
	return newLiftBatch(hidden, rows)
}

// gemmBlock is gonum's Dgemm block size: on its parallel path (at least
// four 64 x 64 blocks of outputs) it sums each output over blocks of 64
// inputs and adds the block sums.
const gemmBlock = 64

// evalBatch is Eval on the first rows feature vectors of b.f; it returns
// b.out[:rows]. It computes the same sums as Eval in a different order, so
// results agree to rounding (TestEvalBatchMatchesEval). The order is that
// of the first implementation, gonum's Dgemm, Dgemm and Dgemv on amd64
// (TestEvalBatchMatchesGonum), which package detnn reproduces bit for bit
// on every processor: payloads decode to the same pixels everywhere.
func (l *Lift) evalBatch(n int, b *liftBatch, rows int) []float64 {
	h := l.Config.Hidden
	d1, d2 := l.dense[n][0], l.dense[n][1]
	st := b.stride
	// h1 = leaky(f W1^T), h2 = leaky(h1 W2^T), out = h2 w3.
	h1, h2 := b.h1[:rows*st], b.h2[:rows*st]
	clear(h1)
	d1.AddProducts(h1, st, b.f, LiftFeatures, rows, 0, LiftFeatures)
	detnn.LeakyReLU(h1, l.Config.Leak)
	clear(h2)
	kb := h
	if blocks(rows)*blocks(h) >= 4 {
		kb = gemmBlock
	}
	for k0 := 0; k0 < h; k0 += kb {
		d2.AddProducts(h2, st, h1, st, rows, k0, min(k0+kb, h))
	}
	detnn.LeakyReLU(h2, l.Config.Leak)
	detnn.DotRows2(b.out[:rows], h2, st, l.W[n][2])
	return b.out[:rows]
}

func blocks(n int) int { return (n + gemmBlock - 1) / gemmBlock }

// Lifting weights file: the container of wfile.go with magic
// "MEDQRIL\x00", the JSON LiftConfig and the 9 tensors of LiftTensorNames.
const (
	liftMagic = "MEDQRIL\x00"
	// LiftWeightsVersion is the lifting weights file format version.
	LiftWeightsVersion = 1
)

func (c LiftConfig) specs() []tensorSpec {
	var out []tensorSpec
	for i, n := range LiftTensorNames() {
		out = append(out, tensorSpec{n, c.dims(i)})
	}
	return out
}

// EncodeLift serialises learned lifting networks.
func EncodeLift(cfg LiftConfig, tensors map[string][]float32) ([]byte, error) {
	if _, err := NewLift(cfg, tensors); err != nil {
		return nil, err
	}
	return encodeWeightsFile(liftMagic, LiftWeightsVersion, cfg, cfg.specs(), tensors)
}

// DecodeLift parses and checks a lifting weights file.
func DecodeLift(b []byte) (*Lift, error) {
	var cfg LiftConfig
	tensors, err := decodeWeightsFile(b, liftMagic, LiftWeightsVersion, "lifting ", &cfg)
	if err != nil {
		return nil, err
	}
	l, err := NewLift(cfg, tensors)
	if err != nil {
		return nil, weightsErr("%v", err)
	}
	l.sum = sha256.Sum256(b)
	return l, nil
}
