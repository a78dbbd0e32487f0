//go:build amd64 && !purego

package detnn

// useAVX: the processor and the operating system support AVX (256-bit
// float64 lanes). Without it the pure-Go kernels run.
var useAVX = hasAVX()

// hasAVX reports CPUID.1:ECX.AVX and OSXSAVE with XCR0 enabling the SSE and
// AVX state.
func hasAVX() bool

// addProductsAVX is AddProducts for k0 = 0 over groups of 8 outputs: for
// each row r < rows and column o < 8*groups,
// c[r*ldc+o] += Dot4(a[r*lda : r*lda+k], wt column o), wt having row stride
// ldw. Each lane of a register sums one output in Dot4's order.
//
//go:noescape
func addProductsAVX(c *float64, ldc int, a *float64, lda int, wt *float64, ldw, rows, k, groups int)

// addProducts4AVX is addProductsAVX for rows a multiple of 4, four rows
// at a time (each lane's sums in the same order).
//
//go:noescape
func addProducts4AVX(c *float64, ldc int, a *float64, lda int, wt *float64, ldw, rows, k, groups int)

// dotRows2AVX is DotRows2 for an even number n of columns: y[r] = 0 +
// (lane 0 + lane 1), the lanes summing the products of even and odd
// columns in one 128-bit register per row, four rows at a time.
//
//go:noescape
func dotRows2AVX(y, a *float64, lda int, x *float64, m, n int)

// dotRows2Pairs is DotRows2 by the kernel when it applies (AVX, an even
// number of columns) and reports whether it did.
func dotRows2Pairs(y, a []float64, lda int, x []float64) bool {
	if !useAVX || len(x)%2 != 0 || len(x) == 0 {
		return false
	}
	dotRows2AVX(&y[0], &a[0], lda, &x[0], len(y), len(x))
	return true
}

// leakyReLUAVX is LeakyReLU on the first 4*(n/4) values.
//
//go:noescape
func leakyReLUAVX(v *float64, n int, leak float64)

// saxpyAVX is Saxpy on the first 8*(n/8) values.
//
//go:noescape
func saxpyAVX(alpha float32, x, y *float32, n int)

func saxpy(alpha float32, x, y []float32) {
	n := 0
	if useAVX {
		n = len(x) &^ 7
		if n > 0 {
			saxpyAVX(alpha, &x[0], &y[0], n)
		}
	}
	saxpyGeneric(alpha, x[n:], y[n:len(x)])
}

func addProducts(d *Dense, c []float64, ldc int, a []float64, lda, rows, k0, k1 int) {
	if !useAVX {
		addProductsGeneric(d, c, ldc, a, lda, rows, k0, k1)
		return
	}
	st := d.Stride()
	rows4 := rows &^ 3
	if rows4 > 0 {
		addProducts4AVX(&c[0], ldc, &a[k0], lda, &d.wt[k0*st], st, rows4, k1-k0, st/8)
	}
	if rows > rows4 {
		addProductsAVX(&c[rows4*ldc], ldc, &a[rows4*lda+k0], lda, &d.wt[k0*st], st, rows-rows4, k1-k0, st/8)
	}
}

func leakyReLU(v []float64, leak float64) {
	n := len(v) &^ 3
	if useAVX && n > 0 {
		leakyReLUAVX(&v[0], n, leak)
	}
	leakyReLUGeneric(v[n:], leak)
	if !useAVX {
		leakyReLUGeneric(v[:n], leak)
	}
}

// saxpyTapsAVX is one pass of SaxpyTaps (t.n > 0) on the first 64*(n/64)
// values of y.
//
//go:noescape
func saxpyTapsAVX(t *tapList, x, y *float32, n int)

func saxpyTaps(t *tapList, x, y []float32) {
	n := 0
	if useAVX {
		n = len(y) &^ 63
		if n > 0 {
			saxpyTapsAVX(t, &x[0], &y[0], n)
		}
	}
	saxpyTapsGeneric(t, x[n:], y[n:])
}

// saxpyTaps4AVX is one pass of the four-plane kernel (t.n > 0) on the
// first 16*(n/16) values of each plane, plane q of y at q*ldy.
//
//go:noescape
func saxpyTaps4AVX(t *tapList4, x, y *float32, n, ldy int)

func saxpyTaps4(t *tapList4, x, y []float32, n, ldy int) {
	done := 0
	if useAVX {
		done = n &^ 15
		if done > 0 {
			saxpyTaps4AVX(t, &x[0], &y[0], done, ldy)
		}
	}
	if done < n {
		saxpyTaps4Generic(t, x[done:], y[done:], n-done, ldy)
	}
}

// leakyReLU32AVX is LeakyReLU32 for 0 < leak < 1 on the first 32*(n/32)
// values: VMAXPS of v and v*leak (v the first operand: where both are
// zero or one is NaN it returns v*leak, the same bits but for a NaN's).
//
//go:noescape
func leakyReLU32AVX(v *float32, n int, leak float32)

func leakyReLU32(v []float32, leak float32) {
	n := 0
	if useAVX {
		n = len(v) &^ 31
		if n > 0 {
			leakyReLU32AVX(&v[0], n, leak)
		}
	}
	leakyReLU32Generic(v[n:], leak)
}
