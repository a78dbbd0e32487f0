// Package sgemm is the float32 matrix product under training's gorgonia
// ops (package train/internal/nnops): C = op(A) op(B) (+ C), op(X) = X or
// X transposed, all matrices row-major with leading dimensions.
//
// It is blocked in the manner of GotoBLAS/BLIS (Goto and van de Geijn
// 2008): B is packed into panels of kc x 16, A into slivers of 6 x kc, and
// a 6x16 micro-kernel accumulates one tile over kc. On amd64 processors
// with AVX2 and FMA the micro-kernel is Go assembly (no cgo); elsewhere it
// is portable Go. Work is split over the rows or columns of C, never over
// the inner dimension, so every element is summed in the same order
// whatever GOMAXPROCS is: results are deterministic on one machine.
// Results of the assembly and the portable kernel differ by float32
// rounding (FMA rounds once).
package sgemm

import (
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas/gonum"
)

const (
	mr = 6   // rows of the micro-kernel tile
	nr = 16  // columns of the micro-kernel tile
	kc = 256 // inner-dimension block (packed panels stay in L1/L2)
	mc = 120 // rows of A packed per block (multiple of mr)
	nc = 2048
)

// minParallel is the number of multiply-adds below which a product runs
// on one goroutine (the cost of starting a second exceeds the gain).
const minParallel = 1 << 18

// Gemm computes C = op(A) op(B) when acc is false and C += op(A) op(B)
// when it is true. op(A) is m x k (A is m x k with leading dimension lda,
// or k x m if ta), op(B) is k x n (B is k x n with ldb, or n x k if tb), C
// is m x n with ldc. It panics if a slice is too short (a programmer
// mistake).
func Gemm(ta, tb bool, m, n, k int, a []float32, lda int, b []float32, ldb int, acc bool, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	checkLen("a", a, ta, m, k, lda)
	checkLen("b", b, tb, k, n, ldb)
	checkLen("c", c, false, m, n, ldc)
	if k == 0 {
		if !acc {
			for i := 0; i < m; i++ {
				clear(c[i*ldc : i*ldc+n])
			}
		}
		return
	}
	if m == 1 && !ta {
		row(tb, n, k, a, b, ldb, acc, c)
		return
	}
	p := Workers(m * n * k)
	if p > 1 {
		// split the larger of m and n into p parts on tile boundaries
		if n >= m {
			parallel(split(n, nr, p), func(j0, j1 int) {
				var bs []float32
				if tb {
					bs = b[j0*ldb:]
				} else {
					bs = b[j0:]
				}
				serial(ta, tb, m, j1-j0, k, a, lda, bs, ldb, acc, c[j0:], ldc)
			})
		} else {
			parallel(split(m, mr, p), func(i0, i1 int) {
				var as []float32
				if ta {
					as = a[i0:]
				} else {
					as = a[i0*lda:]
				}
				serial(ta, tb, i1-i0, n, k, as, lda, b, ldb, acc, c[i0*ldc:], ldc)
			})
		}
		return
	}
	serial(ta, tb, m, n, k, a, lda, b, ldb, acc, c, ldc)
}

// Workers is the number of goroutines a task of work multiply-adds is
// split into: GOMAXPROCS for large tasks, 1 for small ones.
func Workers(work int) int {
	p := runtime.GOMAXPROCS(0)
	if p > 1 && work >= minParallel {
		if q := work / (minParallel / 2); q < p {
			p = q
		}
		return p
	}
	return 1
}

// parallel runs f(parts[i], parts[i+1]) for every consecutive pair of
// boundaries, each on its own goroutine, and waits for all of them.
func parallel(parts []int, f func(lo, hi int)) {
	var wg sync.WaitGroup
	for i := 0; i+1 < len(parts); i++ {
		wg.Go(func() { f(parts[i], parts[i+1]) })
	}
	wg.Wait()
}

// split cuts [0, n) into at most p parts whose inner boundaries are
// multiples of q.
func split(n, q, p int) []int {
	tiles := (n + q - 1) / q
	if p > tiles {
		p = tiles
	}
	out := []int{0}
	for i := 1; i < p; i++ {
		out = append(out, tiles*i/p*q)
	}
	return append(out, n)
}

func checkLen(name string, x []float32, t bool, r, c, ld int) {
	if t {
		r, c = c, r
	}
	if ld < c || len(x) < (r-1)*ld+c {
		panic("sgemm: matrix " + name + " too short for its shape and leading dimension")
	}
}

// buffers are the packing buffers of one goroutine, grown to what a
// product needs (at most mc x kc and kc x nc).
type buffers struct{ a, b []float32 }

var pool = sync.Pool{New: func() any { return new(buffers) }}

func grow(x []float32, n int) []float32 {
	if cap(x) < n {
		return make([]float32, n)
	}
	return x[:n]
}

func serial(ta, tb bool, m, n, k int, a []float32, lda int, b []float32, ldb int, acc bool, c []float32, ldc int) {
	buf := pool.Get().(*buffers)
	defer pool.Put(buf)
	kk := min(kc, k)
	buf.a = grow(buf.a, min(mc, (m+mr-1)/mr*mr)*kk)
	buf.b = grow(buf.b, kk*min(nc, (n+nr-1)/nr*nr))
	var tile [mr * nr]float32
	for j0 := 0; j0 < n; j0 += nc {
		nb := min(nc, n-j0)
		for p0 := 0; p0 < k; p0 += kc {
			kb := min(kc, k-p0)
			add := acc || p0 > 0
			packB(tb, b, ldb, p0, j0, kb, nb, buf.b)
			for i0 := 0; i0 < m; i0 += mc {
				mb := min(mc, m-i0)
				packA(ta, a, lda, i0, p0, mb, kb, buf.a)
				for jr := 0; jr < nb; jr += nr {
					bp := buf.b[jr*kb : jr*kb+nr*kb]
					nn := min(nr, nb-jr)
					for ir := 0; ir < mb; ir += mr {
						ap := buf.a[ir*kb : ir*kb+mr*kb]
						mm := min(mr, mb-ir)
						ci := c[(i0+ir)*ldc+j0+jr:]
						if mm == mr && nn == nr && fullTile(kb, ap, bp, ci, ldc, add) {
							continue
						}
						kernel(kb, ap, bp, &tile)
						store(&tile, mm, nn, add, ci, ldc)
					}
				}
			}
		}
	}
}

func store(tile *[mr * nr]float32, mm, nn int, add bool, c []float32, ldc int) {
	if nn == nr {
		for i := 0; i < mm; i++ {
			row := (*[nr]float32)(c[i*ldc : i*ldc+nr])
			t := (*[nr]float32)(tile[i*nr : i*nr+nr])
			if add {
				for j := range row {
					row[j] += t[j]
				}
			} else {
				*row = *t
			}
		}
		return
	}
	for i := 0; i < mm; i++ {
		row := c[i*ldc : i*ldc+nn]
		t := tile[i*nr : i*nr+nn]
		if add {
			for j, v := range t {
				row[j] += v
			}
		} else {
			copy(row, t)
		}
	}
}

// packA copies rows [i0, i0+mb) and inner indices [p0, p0+kb) of op(A)
// into slivers of mr rows: dst[s*mr*kb + p*mr + r] = op(A)[i0+s*mr+r][p0+p],
// zero past the last row.
func packA(ta bool, a []float32, lda, i0, p0, mb, kb int, dst []float32) {
	pack(ta, a, lda, i0, p0, mb, kb, mr, dst)
}

// packB copies inner indices [p0, p0+kb) and columns [j0, j0+nb) of op(B)
// into panels of nr columns: dst[s*kb + p*nr + c] = op(B)[p0+p][j0+s+c],
// zero past the last column.
func packB(tb bool, b []float32, ldb, p0, j0, kb, nb int, dst []float32) {
	pack(!tb, b, ldb, j0, p0, nb, kb, nr, dst)
}

// pack copies n lines (rows of op(A) or columns of op(B)) from line l0
// and inner indices [p0, p0+kb) into panels of w lines (w is mr or nr):
// dst[s*kb + p*w + c] = line l0+s+c at inner index p0+p, zero past the last
// line. contiguous says a line's values at one inner index p lie side by
// side in m (at m[(p0+p)*ld + l0 + s ...]: A transposed, B not); otherwise
// each line is a row of m (m[(l0+s+c)*ld + p0 ...]).
func pack(contiguous bool, m []float32, ld, l0, p0, n, kb, w int, dst []float32) {
	for s := 0; s < n; s += w {
		d := dst[s*kb : s*kb+w*kb]
		lines := min(w, n-s)
		if contiguous {
			for p := 0; p < kb; p++ {
				src := m[(p0+p)*ld+l0+s:]
				dd := d[p*w : p*w+w]
				if lines == nr && w == nr {
					*(*[nr]float32)(dd) = *(*[nr]float32)(src[:nr])
					continue
				}
				copy(dd, src[:lines])
				clear(dd[lines:])
			}
			continue
		}
		for c := 0; c < lines; c++ {
			src := m[(l0+s+c)*ld+p0 : (l0+s+c)*ld+p0+kb]
			for p, v := range src {
				d[p*w+c] = v
			}
		}
		for c := lines; c < w; c++ {
			for p := 0; p < kb; p++ {
				d[p*w+c] = 0
			}
		}
	}
}

// kernelGo is the portable micro-kernel: tile = ap^T bp over kb.
func kernelGo(kb int, ap, bp []float32, tile *[mr * nr]float32) {
	var acc [mr][nr]float32
	for p := 0; p < kb; p++ {
		bv := (*[nr]float32)(bp[p*nr : p*nr+nr])
		av := (*[mr]float32)(ap[p*mr : p*mr+mr])
		for i := 0; i < mr; i++ {
			ai := av[i]
			row := &acc[i]
			for j := 0; j < nr; j++ {
				row[j] += ai * bv[j]
			}
		}
	}
	for i := 0; i < mr; i++ {
		copy(tile[i*nr:i*nr+nr], acc[i][:])
	}
}

// row is the product of a single row (m = 1, A not transposed): a sum of
// scaled rows of B, or dot products with the rows of B when tb.
func row(tb bool, n, k int, a, b []float32, ldb int, acc bool, c []float32) {
	var impl gonum.Implementation
	c = c[:n]
	if tb {
		for j := range c {
			d := impl.Sdot(k, a, 1, b[j*ldb:], 1)
			if acc {
				c[j] += d
			} else {
				c[j] = d
			}
		}
		return
	}
	if !acc {
		clear(c)
	}
	for p := 0; p < k; p++ {
		impl.Saxpy(n, a[p], b[p*ldb:], 1, c, 1)
	}
}
