package detnn

import "fmt"

// Dense layers with a fixed summation order, fast and bit-exact everywhere.
//
// medqr's iwave codec (model/iwave) runs small bias-free MLPs inside its
// wavelet transform, and the transform's float64 output decides every
// decoded pixel: a QR code printed today must decode to the same pixels on
// any later build, on every processor. Its first implementation used
// gonum's Dgemm and Dgemv, whose amd64 assembly sums each dot product in a
// SIMD order of its own; the functions below compute exactly those sums,
// in that order, on every architecture (pure Go with every product rounded
// on its own, as the package rules say), and on amd64 with AVX compute
// several outputs at once in the lanes of one register, each lane summing
// its own output in the same order with no fused multiply-add.

// Dot4 returns the sum of a[i]*b[i] in the order of a four-way unrolled
// two-lane SIMD loop (gonum's DotUnitary on amd64): four partial sums
// s0..s3 start at +0; product i of the first 4*(n/4) joins s(i%4), in
// index order; the remaining n%4 products join s0; the result is
// (s0+s2) + (s1+s3). It panics if the lengths differ.
func Dot4(a, b []float64) float64 {
	if len(a) != len(b) {
		panic("detnn: Dot4 of slices of different lengths")
	}
	var s0, s1, s2, s3 float64
	n := len(a) &^ 3
	for i := 0; i < n; i += 4 {
		s0 += float64(a[i] * b[i])
		s1 += float64(a[i+1] * b[i+1])
		s2 += float64(a[i+2] * b[i+2])
		s3 += float64(a[i+3] * b[i+3])
	}
	for i := n; i < len(a); i++ {
		s0 += float64(a[i] * b[i])
	}
	return (s0 + s2) + (s1 + s3)
}

// Dense is the weight matrix of a bias-free dense layer, Out x In,
// row-major, with its transpose padded to a multiple of 8 columns for the
// SIMD kernel.
type Dense struct {
	In, Out int
	w       []float64 // Out x In
	wt      []float64 // In x Stride(), zero beyond column Out
}

// NewDense copies w (out x in, row-major) into a Dense. It panics if the
// sizes disagree.
func NewDense(w []float64, out, in int) *Dense {
	if out < 1 || in < 1 || len(w) != out*in {
		panic(fmt.Sprintf("detnn: NewDense of %d weights as %d x %d", len(w), out, in))
	}
	d := &Dense{In: in, Out: out, w: append([]float64(nil), w...)}
	st := d.Stride()
	d.wt = make([]float64, in*st)
	for o := 0; o < out; o++ {
		for k := 0; k < in; k++ {
			d.wt[k*st+o] = w[o*in+k]
		}
	}
	return d
}

// Stride is the smallest row stride of an output matrix for AddProducts:
// Out rounded up to a multiple of 8. The kernel may write the columns
// between Out and Stride (with sums of zero products added to them).
func (d *Dense) Stride() int { return (d.Out + 7) &^ 7 }

// AddProducts adds to c (rows x Out, row stride ldc >= Stride()) the
// products of the inputs a (rows of at least k1 values, row stride lda)
// with the weights, over inputs k0 <= k < k1 only:
//
//	c[r*ldc+o] += Dot4(a[r*lda+k0 : r*lda+k1], w[o][k0:k1])
//
// Called once over [0, In) on a zeroed c it is gonum's
// Dgemm(NoTrans, Trans, rows, Out, In, 1, a, lda, w, In, 0, c, ldc); called
// on consecutive blocks of 64 inputs it is Dgemm's parallel path, which
// splits the sums that way. It panics if a slice is too short.
func (d *Dense) AddProducts(c []float64, ldc int, a []float64, lda, rows, k0, k1 int) {
	if rows == 0 || k0 == k1 {
		return
	}
	if k0 < 0 || k1 < k0 || k1 > d.In || ldc < d.Stride() || lda < k1 || len(a) < (rows-1)*lda+k1 || len(c) < rows*ldc {
		panic(fmt.Sprintf("detnn: AddProducts of %d x [%d, %d) inputs (stride %d, %d values) into %d values (stride %d) for a %d x %d layer",
			rows, k0, k1, lda, len(a), len(c), ldc, d.Out, d.In))
	}
	addProducts(d, c, ldc, a, lda, rows, k0, k1)
}

// addProductsGeneric is AddProducts in pure Go.
func addProductsGeneric(d *Dense, c []float64, ldc int, a []float64, lda, rows, k0, k1 int) {
	for r := 0; r < rows; r++ {
		in := a[r*lda+k0 : r*lda+k1]
		out := c[r*ldc : r*ldc+d.Out]
		for o := range out {
			out[o] += Dot4(in, d.w[o*d.In+k0:o*d.In+k1])
		}
	}
}

// LeakyReLU replaces every negative v[i] by v[i]*leak (NaN and -0 stay).
func LeakyReLU(v []float64, leak float64) { leakyReLU(v, leak) }

func leakyReLUGeneric(v []float64, leak float64) {
	for i, x := range v {
		if x < 0 {
			v[i] = float64(x * leak)
		}
	}
}

// LeakyReLU32 replaces every negative v[i] by float32(v[i]*leak); a NaN
// may come out as another NaN. For 0 < leak < 1 it is max(v[i],
// v[i]*leak), without a branch: the product is below v[i] exactly when
// v[i] < 0 (and the same bits when it rounds back to v[i]), and for +-0
// and +-Inf both give v[i] (on amd64 with AVX, 32 values a step).
func LeakyReLU32(v []float32, leak float32) {
	if !(leak > 0 && leak < 1) {
		for i, x := range v {
			if x < 0 {
				v[i] = float32(x * leak)
			}
		}
		return
	}
	leakyReLU32(v, leak)
}

// leakyReLU32Generic is LeakyReLU32 in pure Go for 0 < leak < 1.
func leakyReLU32Generic(v []float32, leak float32) {
	for i, x := range v {
		v[i] = max(x, float32(x*leak))
	}
}

// DotRows2 sets y[r] for r < len(y) to 0 plus the sum of a[r*lda+j]*x[j]
// over j < len(x), in the order of gonum's GemvN on amd64 (two lanes, rows
// in blocks of four, two, then one): the products of even j join lane 0
// and those of odd j lane 1, in index order, except the last one when
// len(x) is odd; the lanes are added; that last product is added after
// them, or, for the last of an odd number of rows, joins lane 0 before
// them. With y zeroed first this is Dgemv(NoTrans, len(y), len(x), 1, a,
// lda, x, 1, 0, y, 1). It panics if a is too short.
func DotRows2(y, a []float64, lda int, x []float64) {
	m, n := len(y), len(x)
	if m == 0 {
		return
	}
	if lda < n || len(a) < (m-1)*lda+n {
		panic(fmt.Sprintf("detnn: DotRows2 of %d x %d (stride %d) from %d values", m, n, lda, len(a)))
	}
	if !dotRows2Pairs(y, a, lda, x) {
		dotRows2Generic(y, a, lda, x)
	}
}

// dotRows2Generic is DotRows2 in pure Go.
func dotRows2Generic(y, a []float64, lda int, x []float64) {
	m, n := len(y), len(x)
	pairs := n &^ 1
	for r := 0; r < m; r++ {
		row := a[r*lda : r*lda+n]
		var l0, l1 float64
		for j := 0; j < pairs; j += 2 {
			l0 += float64(row[j] * x[j])
			l1 += float64(row[j+1] * x[j+1])
		}
		var s float64
		switch {
		case n == pairs:
			s = l0 + l1
		case r == m-1 && m%2 == 1:
			l0 += float64(row[n-1] * x[n-1])
			s = l0 + l1
		default:
			s = (l0 + l1) + float64(row[n-1]*x[n-1])
		}
		y[r] = 0 + s
	}
}

// Saxpy adds alpha*x[i] to y[i] for every i, each product rounded to
// float32 before the addition (BLAS Saxpy with unit increments, as gonum's
// amd64 assembly computes it). It does nothing when alpha is 0, as BLAS
// does. It panics if the lengths differ.
func Saxpy(alpha float32, x, y []float32) {
	if len(x) != len(y) {
		panic("detnn: Saxpy of slices of different lengths")
	}
	if alpha == 0 || len(x) == 0 {
		return
	}
	saxpy(alpha, x, y)
}

func saxpyGeneric(alpha float32, x, y []float32) {
	for i, v := range x {
		y[i] += float32(alpha * v)
	}
}

// SaxpyTaps adds, for every i < len(y) and for each tap t in order,
// alpha[t]*x[off[t]+i] to y[i], each product rounded to float32 before its
// addition: the bits of one Saxpy(alpha[t], x[off[t]:off[t]+len(y)], y)
// per tap in turn (taps with alpha 0 are skipped, as Saxpy does), with y
// read and written once (a NaN result may carry another NaN's bits). It panics if alpha and off differ in length, an
// offset is negative or a tap reads past x.
func SaxpyTaps(alpha []float32, off []int, x, y []float32) {
	if len(alpha) != len(off) {
		panic("detnn: SaxpyTaps with as many alphas as offsets")
	}
	var t tapList
	for k, v := range alpha {
		if off[k] < 0 || off[k]+len(y) > len(x) {
			panic("detnn: SaxpyTaps tap outside x")
		}
		if v == 0 {
			continue
		}
		if t.n == maxTaps {
			saxpyTaps(&t, x, y)
			t.n = 0
		}
		t.alpha[t.n], t.off[t.n] = v, off[k]
		t.n++
	}
	if t.n > 0 && len(y) > 0 {
		saxpyTaps(&t, x, y)
	}
}

// maxTaps is how many taps one pass of SaxpyTaps applies (more run as
// further passes over y, which keeps each value's order of sums).
const maxTaps = 16

// tapList is one pass of SaxpyTaps: n taps (alpha, offset into x); the
// AVX kernel reads it by these offsets (alpha at 0, off at 64, n at 192).
type tapList struct {
	alpha [maxTaps]float32
	off   [maxTaps]int
	n     int
}

// SaxpyTapsPlanes is SaxpyTaps for several output planes that share the
// taps' offsets into x: for each plane p < planes, with m = len(off),
//
//	SaxpyTaps(alpha[p*m:(p+1)*m], off, x, y[p*ldy:p*ldy+n])
//
// with the same bits. Four planes at a time, each tap reads x once for all
// four; a tap whose alpha is 0 in one of the four is applied to them
// plane by plane between the others (skipping the zeros), so each value
// still receives its plane's nonzero taps in order. It panics if alpha
// does not hold planes*len(off) values, ldy < n, y is too short, an
// offset is negative or a tap reads past x.
func SaxpyTapsPlanes(alpha []float32, off []int, x, y []float32, planes, n, ldy int) {
	m := len(off)
	if planes < 0 || n < 0 || len(alpha) != planes*m || ldy < n || (planes > 0 && len(y) < (planes-1)*ldy+n) {
		panic(fmt.Sprintf("detnn: SaxpyTapsPlanes of %d planes x %d taps (%d alphas) of %d values (stride %d) into %d values",
			planes, m, len(alpha), n, ldy, len(y)))
	}
	for _, o := range off {
		if o < 0 || o+n > len(x) {
			panic("detnn: SaxpyTapsPlanes tap outside x")
		}
	}
	if n == 0 {
		return
	}
	p := 0
	for ; p+4 <= planes; p += 4 {
		saxpyTapsQuad(alpha[p*m:(p+4)*m], off, x, y[p*ldy:(p+3)*ldy+n], n, ldy)
	}
	for ; p < planes; p++ {
		SaxpyTaps(alpha[p*m:(p+1)*m], off, x, y[p*ldy:p*ldy+n])
	}
}

// saxpyTapsQuad is SaxpyTapsPlanes for four planes: runs of taps nonzero
// in all four go to the four-plane kernel, in passes of at most
// maxTaps4, and any other tap to Saxpy plane by plane.
func saxpyTapsQuad(alpha []float32, off []int, x, y []float32, n, ldy int) {
	m := len(off)
	var t tapList4
	for k, o := range off {
		a := [4]float32{alpha[k], alpha[m+k], alpha[2*m+k], alpha[3*m+k]}
		if a[0] == 0 || a[1] == 0 || a[2] == 0 || a[3] == 0 {
			if t.n > 0 {
				saxpyTaps4(&t, x, y, n, ldy)
				t.n = 0
			}
			for q, v := range a {
				if v != 0 {
					saxpy(v, x[o:o+n], y[q*ldy:q*ldy+n])
				}
			}
			continue
		}
		if t.n == maxTaps4 {
			saxpyTaps4(&t, x, y, n, ldy)
			t.n = 0
		}
		t.alpha[t.n], t.off[t.n] = a, o
		t.n++
	}
	if t.n > 0 {
		saxpyTaps4(&t, x, y, n, ldy)
	}
}

// maxTaps4 is how many taps one pass of the four-plane kernel applies.
const maxTaps4 = 144

// tapList4 is one pass of the four-plane kernel: n taps, each with the
// four planes' alphas and an offset into x; the AVX kernel reads it by
// these offsets (alpha at 0, off at 2304, n at 3456; TestTapListLayout).
type tapList4 struct {
	alpha [maxTaps4][4]float32
	off   [maxTaps4]int
	n     int
}

// saxpyTaps4Generic is one pass of the four-plane kernel in pure Go: plane
// q of y (at q*ldy) gets, for each tap k in order, alpha[k][q]*x[off[k]+i]
// added to value i, each product rounded first.
func saxpyTaps4Generic(t *tapList4, x, y []float32, n, ldy int) {
	y0, y1, y2, y3 := y[:n], y[ldy:ldy+n], y[2*ldy:2*ldy+n], y[3*ldy:3*ldy+n]
	for i := range y0 {
		v0, v1, v2, v3 := y0[i], y1[i], y2[i], y3[i]
		for k, a := range t.alpha[:t.n] {
			xv := x[t.off[k]+i]
			v0 += float32(a[0] * xv)
			v1 += float32(a[1] * xv)
			v2 += float32(a[2] * xv)
			v3 += float32(a[3] * xv)
		}
		y0[i], y1[i], y2[i], y3[i] = v0, v1, v2, v3
	}
}

func saxpyTapsGeneric(t *tapList, x, y []float32) {
	for i := range y {
		v := y[i]
		for k, a := range t.alpha[:t.n] {
			v += float32(a * x[t.off[k]+i])
		}
		y[i] = v
	}
}
