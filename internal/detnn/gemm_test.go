package detnn

import (
	"crypto/sha256"
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"gonum.org/v1/gonum/blas"
	blasgonum "gonum.org/v1/gonum/blas/gonum"
)

var updateGemm = flag.Bool("update-gemm", false, "rewrite testdata/gemm.sha256 from gonum's amd64 assembly")

// TestDot4Order pins the summation order with sums that rounding makes
// order-dependent (a sequential sum gives other values).
func TestDot4Order(t *testing.T) {
	const big = 1e16 // big + 1 rounds back to big
	for _, c := range []struct {
		a    []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{big, 1, -big, 1}, 2},          // (big-big) + (1+1); sequential: 1
		{[]float64{big, 1, 1, -big}, 0},          // (big+1) + (1-big) = big - big
		{[]float64{big, 1, -big, 1, 1}, 2},       // the tail joins s0: big+1 = big
		{[]float64{1, big, 1, -big, 1, 1, 1}, 5}, // s0 = 4 (tail), s2 = 1, s1+s3 = 0; sequential: 3
		{[]float64{big, 0, 0, 0, -big, 0, 0, 0, 1}, 1},
	} {
		ones := make([]float64, len(c.a))
		for i := range ones {
			ones[i] = 1
		}
		if got := Dot4(c.a, ones); got != c.want {
			t.Errorf("Dot4(%v) = %v, want %v", c.a, got, c.want)
		}
	}
}

// TestDotRows2Order pins DotRows2's order the same way: with row
// (big, 1, -big) the lanes first give big+1 = big, then -big gives 0; the
// last of an odd number of rows adds -big into lane 0 first, giving 1.
func TestDotRows2Order(t *testing.T) {
	const big = 1e16
	x := []float64{1, 1, 1}
	for _, c := range []struct {
		rows int
		want []float64
	}{
		{1, []float64{1}},
		{2, []float64{0, 0}},
		{3, []float64{0, 0, 1}},
		{4, []float64{0, 0, 0, 0}},
		{5, []float64{0, 0, 0, 0, 1}},
		{7, []float64{0, 0, 0, 0, 0, 0, 1}},
	} {
		var a []float64
		for range c.rows {
			a = append(a, big, 1, -big)
		}
		y := make([]float64, c.rows)
		DotRows2(y, a, 3, x)
		for i := range y {
			if y[i] != c.want[i] {
				t.Errorf("%d rows: row %d = %v, want %v", c.rows, i, y[i], c.want[i])
			}
		}
	}
}

// gemmCase is one random layer with inputs, drawn from seed.
type gemmCase struct {
	rows, in, out, kb int
	w, a              []float64
}

// randomGemmCase draws a case whose values are the same on every build:
// each is a uniform integer scaled by a power of two (exact), then by one
// constant. (NormFloat64 is not: where the compiler fuses its
// multiply-adds, as with GOAMD64=v3, it draws other numbers.)
func randomGemmCase(rng *rand.Rand) gemmCase {
	c := gemmCase{rows: 1 + rng.IntN(140), in: 1 + rng.IntN(130), out: 1 + rng.IntN(40)}
	c.kb = c.in
	if rng.IntN(3) == 0 {
		c.kb = 1 + rng.IntN(c.in)
	}
	unit := func() float64 { return exactUnit(rng) }
	val := func() float64 {
		switch rng.IntN(10) {
		case 0:
			return 0
		case 1:
			return unit() * 1e12
		case 2:
			return unit() * 1e-9
		}
		return unit() * 3
	}
	c.w = make([]float64, c.in*c.out)
	for i := range c.w {
		c.w[i] = val()
	}
	c.a = make([]float64, c.rows*c.in)
	for i := range c.a {
		c.a[i] = val()
	}
	return c
}

// run computes the layer with AddProducts over blocks of kb inputs, then
// LeakyReLU, then DotRows2 of the result with the first weights row.
func (c gemmCase) run(add func(d *Dense, cc []float64, ldc int, a []float64, lda, rows, k0, k1 int)) ([]float64, []float64) {
	d := NewDense(c.w, c.out, c.in)
	ldc := d.Stride()
	h := make([]float64, c.rows*ldc)
	for k0 := 0; k0 < c.in; k0 += c.kb {
		add(d, h, ldc, c.a, c.in, c.rows, k0, min(k0+c.kb, c.in))
	}
	LeakyReLU(h, 0.1)
	y := make([]float64, c.rows)
	DotRows2(y, h, ldc, c.w[:min(c.out, c.in)])
	out := make([]float64, 0, c.rows*c.out)
	for r := 0; r < c.rows; r++ {
		out = append(out, h[r*ldc:r*ldc+c.out]...)
	}
	return out, y
}

func sameBits(a, b []float64) int {
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return i
		}
	}
	return -1
}

// TestAddProductsKernels: the SIMD kernel (where the processor has it)
// and the pure-Go one give the same bits.
func TestAddProductsKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 2))
	for n := 0; n < 300; n++ {
		c := randomGemmCase(rng)
		fast, fy := c.run((*Dense).AddProducts)
		slow, sy := c.run(addProductsGeneric)
		if i := sameBits(fast, slow); i >= 0 {
			t.Fatalf("case %d (%d rows, %d x %d, blocks of %d): output %d: kernel %v, pure Go %v", n, c.rows, c.out, c.in, c.kb, i, fast[i], slow[i])
		}
		if i := sameBits(fy, sy); i >= 0 {
			t.Fatalf("case %d: DotRows2 row %d differs", n, i)
		}
		// DotRows2's kernel against pure Go on the hidden layer.
		x := c.w[:min(c.out, c.in)]
		y1, y2 := make([]float64, c.rows), make([]float64, c.rows)
		DotRows2(y1, fast, c.out, x)
		dotRows2Generic(y2, fast, c.out, x)
		if i := sameBits(y1, y2); i >= 0 {
			t.Fatalf("case %d (%d rows, %d columns): DotRows2 row %d: kernel %v, pure Go %v", n, c.rows, len(x), i, y1[i], y2[i])
		}
	}
}

func TestLeakyReLU(t *testing.T) {
	in := []float64{-2, 2, math.Copysign(0, -1), 0, math.NaN(), math.Inf(-1), math.Inf(1), -1e-300, 5, -5, -0.5}
	want := []float64{-0.2, 2, math.Copysign(0, -1), 0, math.NaN(), math.Inf(-1), math.Inf(1), float64(-1e-300 * 0.1), 5, -0.5, -0.05}
	for n := 0; n <= len(in); n++ {
		v := append([]float64(nil), in[:n]...)
		LeakyReLU(v, 0.1)
		for i := range v {
			if math.Float64bits(v[i]) != math.Float64bits(want[i]) && !(math.IsNaN(v[i]) && math.IsNaN(want[i])) {
				t.Errorf("%d values: [%d] = %v, want %v", n, i, v[i], want[i])
			}
		}
	}
}

// gonumRun is gemmCase.run through gonum (Dgemm per block of kb inputs,
// the leaky ReLU, Dgemv): the reference the functions reproduce.
func (c gemmCase) gonumRun() ([]float64, []float64) {
	impl := blasgonum.Implementation{}
	h := make([]float64, c.rows*c.out)
	for k0 := 0; k0 < c.in; k0 += c.kb {
		k1 := min(k0+c.kb, c.in)
		// One Dgemm per block over the block's columns of a and w.
		as := make([]float64, c.rows*(k1-k0))
		for r := 0; r < c.rows; r++ {
			copy(as[r*(k1-k0):], c.a[r*c.in+k0:r*c.in+k1])
		}
		ws := make([]float64, c.out*(k1-k0))
		for o := 0; o < c.out; o++ {
			copy(ws[o*(k1-k0):], c.w[o*c.in+k0:o*c.in+k1])
		}
		impl.Dgemm(blas.NoTrans, blas.Trans, c.rows, c.out, k1-k0, 1, as, k1-k0, ws, k1-k0, 1, h, c.out)
	}
	for i, v := range h {
		if v < 0 {
			h[i] = v * 0.1
		}
	}
	y := make([]float64, c.rows)
	x := c.w[:min(c.out, c.in)]
	impl.Dgemv(blas.NoTrans, c.rows, len(x), 1, h, c.out, x, 1, 0, y, 1)
	return h, y
}

// gemmDigest hashes the outputs of 200 seeded random cases.
func gemmDigest(run func(gemmCase) ([]float64, []float64)) string {
	rng := rand.New(rand.NewPCG(16, 3))
	s := sha256.New()
	for n := 0; n < 200; n++ {
		h, y := run(randomGemmCase(rng))
		for _, v := range append(h, y...) {
			s.Write(binary.LittleEndian.AppendUint64(nil, math.Float64bits(v)))
		}
	}
	return fmt.Sprintf("%x", s.Sum(nil))
}

// TestGemmGolden: on every processor the functions give the bits gonum's
// amd64 assembly gave when testdata/gemm.sha256 was written (by
// go test -run TestGemmGolden -update-gemm on amd64); on amd64 they also
// equal gonum now.
func TestGemmGolden(t *testing.T) {
	got := gemmDigest(func(c gemmCase) ([]float64, []float64) { return c.run((*Dense).AddProducts) })
	asm := runtime.GOARCH == "amd64" && !gonumNoAsm()
	if asm {
		if ref := gemmDigest(gemmCase.gonumRun); ref != got {
			t.Fatalf("digest %s, gonum's %s", got, ref)
		}
	}
	if *updateGemm {
		if !asm {
			t.Fatal("-update-gemm needs amd64 with gonum's assembly")
		}
		if err := os.WriteFile("testdata/gemm.sha256", []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile("testdata/gemm.sha256")
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSpace(string(b)); got != want {
		t.Fatalf("digest %s, testdata/gemm.sha256 has %s", got, want)
	}
}

// gonumNoAsm reports whether gonum runs its pure-Go loops (which sum in
// another order): Ddot of a vector whose order matters tells.
func gonumNoAsm() bool {
	a := []float64{1e16, 1, -1e16, 1}
	return blasgonum.Implementation{}.Ddot(4, a, 1, []float64{1, 1, 1, 1}, 1) != 2
}

// BenchmarkAddProducts times the shipped lifting network's hidden layer
// (32 x 32) over a line of 128 samples: the kernel, pure Go, and gonum's
// Dgemm that the transform used before.
func BenchmarkAddProducts(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	w := make([]float64, 32*32)
	a := make([]float64, 128*32)
	for i := range w {
		w[i] = rng.NormFloat64()
	}
	for i := range a {
		a[i] = rng.NormFloat64()
	}
	d := NewDense(w, 32, 32)
	c := make([]float64, 128*d.Stride())
	for _, k := range []struct {
		name string
		add  func(d *Dense, c []float64, ldc int, a []float64, lda, rows, k0, k1 int)
	}{{"kernel", (*Dense).AddProducts}, {"purego", addProductsGeneric}, {"gonum-Dgemm", func(d *Dense, c []float64, ldc int, a []float64, lda, rows, k0, k1 int) {
		blasgonum.Implementation{}.Dgemm(blas.NoTrans, blas.Trans, rows, d.Out, k1-k0, 1, a, lda, w, d.In, 1, c, ldc)
	}}} {
		b.Run(k.name, func(b *testing.B) {
			for b.Loop() {
				clear(c)
				k.add(d, c, d.Stride(), a, 32, 128, 0, 32)
			}
		})
	}
}

// TestSaxpy: Saxpy gives gonum's Saxpy bits (its amd64 assembly rounds
// each product, as the pure-Go loop does), the kernel and pure Go agree,
// and alpha 0 leaves y alone even where x holds infinities.
func TestSaxpy(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 5))
	impl := blasgonum.Implementation{}
	for n := 0; n < 200; n++ {
		size := rng.IntN(100)
		alpha := float32(rng.NormFloat64())
		if n%10 == 0 {
			alpha = 0
		}
		x, y := make([]float32, size), make([]float32, size)
		for i := range x {
			x[i], y[i] = float32(rng.NormFloat64()*1e3), float32(rng.NormFloat64())
		}
		if size > 0 && alpha == 0 {
			x[0] = float32(math.Inf(1))
		}
		got, slow, ref := append([]float32(nil), y...), append([]float32(nil), y...), append([]float32(nil), y...)
		Saxpy(alpha, x, got)
		if alpha != 0 {
			saxpyGeneric(alpha, x, slow)
		}
		impl.Saxpy(size, alpha, x, 1, ref, 1)
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(slow[i]) {
				t.Fatalf("case %d: y[%d] kernel %v, pure Go %v", n, i, got[i], slow[i])
			}
			if !gonumNoAsm() && math.Float32bits(got[i]) != math.Float32bits(ref[i]) {
				t.Fatalf("case %d: y[%d] = %v, gonum %v", n, i, got[i], ref[i])
			}
		}
	}
}

// BenchmarkSaxpy times one tap of the post-filter's convolution on a
// 256x256 plane (66,306 values): Saxpy and gonum's.
func BenchmarkSaxpy(b *testing.B) {
	x, y := make([]float32, 258*257), make([]float32, 258*257)
	for i := range x {
		x[i] = float32(i%97) / 97
	}
	b.Run("detnn", func(b *testing.B) {
		for b.Loop() {
			Saxpy(0.5, x, y)
		}
	})
	b.Run("gonum", func(b *testing.B) {
		for b.Loop() {
			blasgonum.Implementation{}.Saxpy(len(x), 0.5, x, 1, y, 1)
		}
	})
}

// specialFloats are the values the kernel tests mix into random inputs:
// signed zeros, infinities, a NaN, a subnormal and a near-overflow value.
var specialFloats = []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1e-40, 3e38}

// randSpecial returns n normal draws times scale, each replaced by a
// specialFloats value with probability 1/every.
func randSpecial(rng *rand.Rand, n int, scale float64, every int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64() * scale)
		if rng.IntN(every) == 0 {
			v[i] = specialFloats[rng.IntN(len(specialFloats))]
		}
	}
	return v
}

// TestSaxpyTaps: SaxpyTaps gives the bits of one Saxpy per tap in turn, for
// lengths around the kernel's 64-value blocks, zero and repeated taps, more
// taps than one pass holds, and signed zeros, infinities and NaNs (any NaN
// for a NaN).
func TestSaxpyTaps(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 9))
	for n := 0; n < 300; n++ {
		size := rng.IntN(140)
		if n%7 == 0 {
			size = 1024 + rng.IntN(40)
		}
		taps := rng.IntN(20)
		alpha, off := make([]float32, taps), make([]int, taps)
		spread := rng.IntN(300)
		x := randSpecial(rng, size+spread, 1e3, 50)
		for k := range alpha {
			alpha[k], off[k] = float32(rng.NormFloat64()), rng.IntN(spread+1)
			if rng.IntN(4) == 0 {
				alpha[k] = 0
			}
		}
		y := randSpecial(rng, size, 1, 20)
		got, want := append([]float32(nil), y...), append([]float32(nil), y...)
		SaxpyTaps(alpha, off, x, got)
		for k, a := range alpha {
			Saxpy(a, x[off[k]:off[k]+size], want)
		}
		for i := range want {
			// Go leaves a NaN's payload and sign unspecified: pure Go
			// may order a commutative add's operands either way.
			bothNaN := got[i] != got[i] && want[i] != want[i]
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !bothNaN {
				t.Fatalf("case %d (%d values, %d taps): y[%d] = %v, Saxpy per tap %v", n, size, taps, i, got[i], want[i])
			}
		}
	}
}

// BenchmarkSaxpyTaps times one output plane's taps of the post-filter's
// hidden layer (16 input planes x 9 taps) over a block of 1,024 values:
// SaxpyTaps, one Saxpy per tap, and one gonum Saxpy per tap.
func BenchmarkSaxpyTaps(b *testing.B) {
	const pw, pn, n = 258, 258 * 258, 1024
	x, y := make([]float32, 16*pn), make([]float32, n)
	alpha, off := make([]float32, 16*9), make([]int, 16*9)
	for i := range x {
		x[i] = float32(i%97) / 97
	}
	for t := range alpha {
		c, k := t/9, t%9
		alpha[t], off[t] = float32(t%7+1)/8, c*pn+pw+1+(k/3-1)*pw+k%3-1
	}
	b.Run("detnn-taps", func(b *testing.B) {
		for b.Loop() {
			SaxpyTaps(alpha, off, x, y)
		}
	})
	b.Run("detnn-saxpy", func(b *testing.B) {
		for b.Loop() {
			for t, a := range alpha {
				Saxpy(a, x[off[t]:off[t]+n], y)
			}
		}
	})
	b.Run("gonum", func(b *testing.B) {
		for b.Loop() {
			for t, a := range alpha {
				blasgonum.Implementation{}.Saxpy(n, a, x[off[t]:], 1, y, 1)
			}
		}
	})
}

// TestSaxpyTapsPlanes: SaxpyTapsPlanes gives the bits of SaxpyTaps plane
// by plane (the pure-Go and kernel paths alike), for 0 to 9 planes (four
// at a time and the rest), lengths with every tail of the kernel's 8-value
// blocks, more taps than one pass holds, zero alphas in some planes of a
// tap, signed zeros, infinities and NaNs (any NaN for a NaN), and leaves
// the values between planes alone.
func TestSaxpyTapsPlanes(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 10))
	for c := 0; c < 300; c++ {
		planes := rng.IntN(10)
		n := 16*rng.IntN(4) + c%16
		if c%25 == 0 {
			n = 1024 + rng.IntN(40)
		}
		ldy := n + rng.IntN(3)
		taps := rng.IntN(20)
		if c%10 == 0 {
			taps = 140 + rng.IntN(20) // up to more than maxTaps4
		}
		zeros := []int{0, 2, 50}[c%3] // in 100: none, few, half
		spread := rng.IntN(300)
		x := randSpecial(rng, n+spread, 1e3, 50)
		alpha, off := make([]float32, planes*taps), make([]int, taps)
		for k := range off {
			off[k] = rng.IntN(spread + 1)
		}
		for k := range alpha {
			if rng.IntN(100) >= zeros {
				alpha[k] = float32(rng.NormFloat64())
			}
		}
		y := randSpecial(rng, planes*ldy, 1, 20)
		want := append([]float32(nil), y...)
		for p := 0; p < planes; p++ {
			SaxpyTaps(alpha[p*taps:(p+1)*taps], off, x, want[p*ldy:p*ldy+n])
		}
		for _, path := range []struct {
			name string
			run  func(y []float32)
		}{
			{"SaxpyTapsPlanes", func(y []float32) { SaxpyTapsPlanes(alpha, off, x, y, planes, n, ldy) }},
			{"pure Go", func(y []float32) {
				p := 0
				for ; p+4 <= planes; p += 4 {
					var tl tapList4
					for k := range off {
						tl.alpha[tl.n] = [4]float32{alpha[p*taps+k], alpha[(p+1)*taps+k], alpha[(p+2)*taps+k], alpha[(p+3)*taps+k]}
						tl.off[tl.n] = off[k]
						if tl.n++; tl.n == maxTaps4 || k == len(off)-1 {
							saxpyTaps4Generic(&tl, x, y[p*ldy:], n, ldy)
							tl.n = 0
						}
					}
				}
				for ; p < planes; p++ {
					SaxpyTaps(alpha[p*taps:(p+1)*taps], off, x, y[p*ldy:p*ldy+n])
				}
			}},
		} {
			if path.name == "pure Go" && zeros > 0 {
				continue // saxpyTaps4Generic adds zero products: only SaxpyTapsPlanes skips them
			}
			got := append([]float32(nil), y...)
			path.run(got)
			for i := range want {
				bothNaN := got[i] != got[i] && want[i] != want[i]
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !bothNaN {
					t.Fatalf("case %d, %s (%d planes x %d taps, %d values, stride %d): y[%d] (plane %d) = %v, SaxpyTaps per plane %v",
						c, path.name, planes, taps, n, ldy, i, i/max(ldy, 1), got[i], want[i])
				}
			}
		}
	}
}

// TestSaxpyTapsPlanesPanics: bad shapes and taps outside x panic.
func TestSaxpyTapsPlanesPanics(t *testing.T) {
	x, y := make([]float32, 20), make([]float32, 20)
	for _, c := range []struct {
		name           string
		alpha          []float32
		off            []int
		planes, n, ldy int
	}{
		{"alphas", make([]float32, 3), []int{0, 1}, 2, 4, 4},
		{"stride", make([]float32, 2), []int{0}, 2, 4, 3},
		{"short y", make([]float32, 2), []int{0}, 2, 11, 11},
		{"negative offset", make([]float32, 1), []int{-1}, 1, 4, 4},
		{"offset past x", make([]float32, 1), []int{17}, 1, 4, 4},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", c.name)
				}
			}()
			SaxpyTapsPlanes(c.alpha, c.off, x, y, c.planes, c.n, c.ldy)
		}()
	}
}

// TestTapListLayout: the field offsets the AVX kernels read.
func TestTapListLayout(t *testing.T) {
	var t1 tapList
	var t4 tapList4
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"tapList.alpha", unsafe.Offsetof(t1.alpha), 0},
		{"tapList.off", unsafe.Offsetof(t1.off), 64},
		{"tapList.n", unsafe.Offsetof(t1.n), 192},
		{"tapList4.alpha", unsafe.Offsetof(t4.alpha), 0},
		{"tapList4.off", unsafe.Offsetof(t4.off), 2304},
		{"tapList4.n", unsafe.Offsetof(t4.n), 3456},
	} {
		if c.got != c.want {
			t.Errorf("%s at %d, the kernel reads it at %d", c.name, c.got, c.want)
		}
	}
}

// BenchmarkSaxpyTapsPlanes times the post-filter's hidden layer (16 input
// planes x 9 taps into 16 output planes) over a block of 1,024 values:
// SaxpyTapsPlanes (four planes a pass over x) and SaxpyTaps plane by plane.
func BenchmarkSaxpyTapsPlanes(b *testing.B) {
	const pw, pn, n, planes = 258, 258 * 258, 1024, 16
	x, y := make([]float32, 16*pn), make([]float32, planes*pn)
	alpha, off := make([]float32, planes*16*9), make([]int, 16*9)
	for i := range x {
		x[i] = float32(i%97) / 97
	}
	for t := range off {
		c, k := t/9, t%9
		off[t] = c*pn + pw + 1 + (k/3-1)*pw + k%3 - 1
	}
	for i := range alpha {
		alpha[i] = float32(i%7+1) / 8
	}
	b.Run("planes", func(b *testing.B) {
		for b.Loop() {
			SaxpyTapsPlanes(alpha, off, x, y, planes, n, pn)
		}
	})
	b.Run("taps", func(b *testing.B) {
		for b.Loop() {
			for p := range planes {
				SaxpyTaps(alpha[p*len(off):(p+1)*len(off)], off, x, y[p*pn:p*pn+n])
			}
		}
	})
}

// TestLeakyReLU32: LeakyReLU32 (kernel and pure Go) gives the bits of the
// branch v < 0 ? v*leak : v for signed zeros, infinities, subnormals and
// random values of every magnitude, every tail of the kernel's 32-value
// steps, and slopes inside and outside (0, 1) (any NaN for a NaN).
func TestLeakyReLU32(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 11))
	vals := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()),
		math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, -2 * math.SmallestNonzeroFloat32, math.MaxFloat32, -math.MaxFloat32, -1e-38}
	for range 3000 {
		vals = append(vals, float32(exactUnit(rng)*math.Pow(10, float64(rng.IntN(60)-30))))
	}
	for _, leak := range []float32{0, 0.1, 0.5, 0.99, 1, 2, -0.5} {
		for _, n := range []int{0, 1, 31, 32, 33, 63, 100, len(vals)} {
			in := vals[len(vals)-n:]
			for _, path := range []struct {
				name string
				run  func(v []float32)
			}{{"LeakyReLU32", func(v []float32) { LeakyReLU32(v, leak) }}, {"pure Go", func(v []float32) {
				if leak > 0 && leak < 1 {
					leakyReLU32Generic(v, leak)
				} else {
					LeakyReLU32(v, leak)
				}
			}}} {
				got := append([]float32(nil), in...)
				path.run(got)
				for i, v := range in {
					want := v
					if v < 0 {
						want = v * leak
					}
					if math.Float32bits(got[i]) != math.Float32bits(want) && !(got[i] != got[i] && want != want) {
						t.Fatalf("%s, leak %v, %d values: value %d: %v -> %v, want %v", path.name, leak, n, i, v, got[i], want)
					}
				}
			}
		}
	}
}

// exactUnit is a float64 in [-1, 1): a uniform integer scaled by a power
// of two, so the same on every build.
func exactUnit(rng *rand.Rand) float64 { return float64(rng.Int64N(1<<53))/(1<<52) - 1 }

// BenchmarkLeakyReLU32 times the post-filter's leaky ReLU on one hidden
// plane of a 256x256 image (66,306 values): LeakyReLU32 and pure Go.
func BenchmarkLeakyReLU32(b *testing.B) {
	v := make([]float32, 258*257)
	for i := range v {
		v[i] = float32(i%97) - 48
	}
	b.Run("detnn", func(b *testing.B) {
		for b.Loop() {
			LeakyReLU32(v, 0.1)
		}
	})
	b.Run("purego", func(b *testing.B) {
		for b.Loop() {
			leakyReLU32Generic(v, 0.1)
		}
	})
}
