package sgemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/medqr/medqr/internal/cputime"
)

func randSlice(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.Float64()*2 - 1)
	}
	return x
}

// naive is the reference product in float64.
func naive(ta, tb bool, m, n, k int, a []float32, lda int, b []float32, ldb int, acc bool, c []float32, ldc int) []float64 {
	out := make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			if acc {
				s = float64(c[i*ldc+j])
			}
			for p := 0; p < k; p++ {
				av := a[i*lda+p]
				if ta {
					av = a[p*lda+i]
				}
				bv := b[p*ldb+j]
				if tb {
					bv = b[j*ldb+p]
				}
				s += float64(av) * float64(bv)
			}
			out[i*n+j] = s
		}
	}
	return out
}

func TestGemm(t *testing.T) {
	sizes := [][3]int{{1, 1, 1}, {1, 17, 3}, {5, 1, 9}, {6, 16, 1}, {7, 17, 2}, {12, 32, 300}, {13, 33, 257},
		{121, 50, 20}, {130, 2100, 5}, {48, 300, 64}, {3, 4100, 9}, {300, 20, 100}, {1, 300, 50}}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, procs := range []int{1, 2} {
		old := runtime.GOMAXPROCS(procs)
		for _, sz := range sizes {
			m, n, k := sz[0], sz[1], sz[2]
			for _, ta := range []bool{false, true} {
				for _, tb := range []bool{false, true} {
					for _, acc := range []bool{false, true} {
						name := fmt.Sprintf("p%d/%dx%dx%d/ta=%v/tb=%v/acc=%v", procs, m, n, k, ta, tb, acc)
						t.Run(name, func(t *testing.T) {
							lda, ldb, ldc := k+1, n+2, n+3
							if ta {
								lda = m + 1
							}
							if tb {
								ldb = k + 2
							}
							a := randSlice(rng, max(m, k)*lda)
							b := randSlice(rng, max(n, k)*ldb)
							c := randSlice(rng, m*ldc)
							want := naive(ta, tb, m, n, k, a, lda, b, ldb, acc, c, ldc)
							pad := c[m*ldc-ldc+n:] // past the last row: must stay untouched
							keep := append([]float32(nil), pad...)
							Gemm(ta, tb, m, n, k, a, lda, b, ldb, acc, c, ldc)
							for i := 0; i < m; i++ {
								for j := 0; j < n; j++ {
									got := float64(c[i*ldc+j])
									if d := math.Abs(got - want[i*n+j]); d > 1e-5*float64(k+1) {
										t.Fatalf("c[%d][%d] = %v, want %v", i, j, got, want[i*n+j])
									}
								}
							}
							for i := range pad {
								if pad[i] != keep[i] {
									t.Fatalf("wrote past the last column")
								}
							}
						})
					}
				}
			}
		}
		runtime.GOMAXPROCS(old)
	}
}

// TestDeterministic checks that the split over goroutines does not change
// any result bit.
func TestDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	m, n, k := 64, 1000, 700
	a, b := randSlice(rng, m*k), randSlice(rng, k*n)
	c1, c2 := make([]float32, m*n), make([]float32, m*n)
	old := runtime.GOMAXPROCS(1)
	Gemm(false, false, m, n, k, a, k, b, n, false, c1, n)
	runtime.GOMAXPROCS(4)
	Gemm(false, false, m, n, k, a, k, b, n, false, c2, n)
	runtime.GOMAXPROCS(old)
	for i := range c1 {
		if c1[i] != c2[i] {
			t.Fatalf("c[%d]: %v with one goroutine, %v with four", i, c1[i], c2[i])
		}
	}
}

// TestKernels checks the portable micro-kernel against the selected one.
func TestKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, kb := range []int{1, 2, 7, kc} {
		ap, bp := randSlice(rng, mr*kb), randSlice(rng, nr*kb)
		var t1, t2 [mr * nr]float32
		kernel(kb, ap, bp, &t1)
		kernelGo(kb, ap, bp, &t2)
		for i := range t1 {
			if d := math.Abs(float64(t1[i] - t2[i])); d > 1e-5*float64(kb) {
				t.Fatalf("kb %d: tile[%d] = %v (selected kernel), %v (portable)", kb, i, t1[i], t2[i])
			}
		}
	}
	t.Logf("assembly kernel in use: %v", hasFMA)
}

func TestShortPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for a short matrix")
		}
	}()
	Gemm(false, false, 2, 2, 2, make([]float32, 3), 2, make([]float32, 4), 2, false, make([]float32, 4), 2)
}

// The shapes of the autoencoder's largest convolution (dec3 at batch 8 of
// 64x64 crops: 64 x 2048 output, 288 inner) and of the post-filter's
// middle layer (16 x 8192, 144 inner), beside gonum's Sgemm, the product
// gorgonia uses by default.
var benchShapes = [][3]int{{64, 2048, 288}, {16, 8192, 144}, {288, 2048, 64}}

func BenchmarkGemm(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, s := range benchShapes {
		m, n, k := s[0], s[1], s[2]
		a, bb, c := randSlice(rng, m*k), randSlice(rng, k*n), make([]float32, m*n)
		flops := 2 * float64(m*n*k)
		report := func(b *testing.B, cpu time.Duration) {
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			if d := cputime.Now() - cpu; d > 0 {
				b.ReportMetric(flops*float64(b.N)/d.Seconds()/1e9, "GFLOP/cpu-s")
			}
		}
		b.Run(fmt.Sprintf("medqr/%dx%dx%d", m, n, k), func(b *testing.B) {
			cpu := cputime.Now()
			for b.Loop() {
				Gemm(false, false, m, n, k, a, k, bb, n, false, c, n)
			}
			report(b, cpu)
		})
		b.Run(fmt.Sprintf("gonum/%dx%dx%d", m, n, k), func(b *testing.B) {
			var impl gonum.Implementation
			cpu := cputime.Now()
			for b.Loop() {
				impl.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, bb, n, 0, c, n)
			}
			report(b, cpu)
		})
	}
}
