//go:build !amd64 || purego

package detnn

func addProducts(d *Dense, c []float64, ldc int, a []float64, lda, rows, k0, k1 int) {
	addProductsGeneric(d, c, ldc, a, lda, rows, k0, k1)
}

func leakyReLU(v []float64, leak float64) { leakyReLUGeneric(v, leak) }

func saxpy(alpha float32, x, y []float32) { saxpyGeneric(alpha, x, y) }

func dotRows2Pairs(y, a []float64, lda int, x []float64) bool { return false }

func saxpyTaps(t *tapList, x, y []float32) { saxpyTapsGeneric(t, x, y) }

func saxpyTaps4(t *tapList4, x, y []float32, n, ldy int) { saxpyTaps4Generic(t, x, y, n, ldy) }

func leakyReLU32(v []float32, leak float32) { leakyReLU32Generic(v, leak) }
