// Package detnn is the deterministic arithmetic, key derivation and weights
// container shared by medqr's learned baseline ciphers (cipherimg/deepkeygen,
// cipherimg/sae, cipherimg/lstm), and the dense layers of the iwave codec's
// learned lifting steps and the float32 convolution taps and leaky ReLU of
// its post-filter (model/iwave; gemm.go: Saxpy, SaxpyTaps, SaxpyTapsPlanes,
// LeakyReLU32). Its contract: every function returns the same bits on
// every processor Go supports (a NaN may come out as another NaN).
//
// A learned cipher turns network outputs into keystream bytes, and the iwave
// transform's output decides every decoded pixel, so one ulp of difference
// between two machines would make a cipher image undecryptable, or a QR code
// decode differently, elsewhere. The rules, checked by TestNoFMA and pinned by test vectors:
//
//   - only IEEE 754 +, -, *, / and comparisons of float64, which every
//     processor rounds identically;
//   - every product is wrapped in an explicit float64 conversion, which the Go
//     specification says prevents the compiler from fusing it with an
//     addition into a fused multiply-add (it otherwise may on arm64, ppc64le,
//     s390x and riscv64);
//   - no package math transcendental (math.Exp has assembly versions whose
//     last bit may differ by architecture): Exp, Sigmoid and Tanh below use a
//     fixed polynomial after an exact range reduction;
//   - sums run in one fixed order (no parallel reductions).
//
// Weights are stored as float32 and widened exactly to float64.
package detnn

import "math"

const (
	ln2Hi  = 6.93147180369123816490e-01 // high bits of ln 2 (exact product with small ints)
	ln2Lo  = 1.90821492927058770002e-10 // ln 2 - ln2Hi
	invLn2 = 1.44269504088896338700e+00
	expMax = 700.0
)

// Exp is e^x, computed with only +, -, * and / of float64: x = k ln 2 + r
// with |r| <= ln2/2, e^r from its Taylor polynomial of degree 14 (relative
// error below 1e-16), then scaled by 2^k exactly. x is clamped to
// [-700, 700]; NaN gives NaN.
func Exp(x float64) float64 {
	if x != x {
		return x
	}
	if x > expMax {
		x = expMax
	} else if x < -expMax {
		x = -expMax
	}
	kf := float64(x * invLn2)
	var k int
	if kf >= 0 {
		k = int(kf + 0.5)
	} else {
		k = -int(-kf + 0.5)
	}
	fk := float64(k)
	r := x - float64(fk*ln2Hi)
	r = r - float64(fk*ln2Lo)
	// Horner from the highest term: 1 + r(1 + r/2(1 + r/3(...))), with
	// the reciprocals 1/n as constants.
	p := 1.0
	for n := 14; n >= 1; n-- {
		p = 1 + float64(float64(r*recip[n])*p)
	}
	return math.Ldexp(p, k)
}

// recip[n] is 1/n rounded to float64.
var recip = [15]float64{0, 1, 1.0 / 2, 1.0 / 3, 1.0 / 4, 1.0 / 5, 1.0 / 6, 1.0 / 7, 1.0 / 8, 1.0 / 9, 1.0 / 10, 1.0 / 11, 1.0 / 12, 1.0 / 13, 1.0 / 14}

// Sigmoid is 1/(1+e^-x) with Exp.
func Sigmoid(x float64) float64 { return 1 / (1 + Exp(-x)) }

// Tanh is tanh(x) = 1 - 2/(e^2x + 1) with Exp.
func Tanh(x float64) float64 {
	if x > 20 {
		return 1
	}
	if x < -20 {
		return -1
	}
	e := Exp(float64(2 * x))
	return 1 - 2/(e+1)
}

// Dot is the sum of a[i]*b[i] in index order, each product rounded on its
// own. It panics if the lengths differ.
func Dot(a, b []float64) float64 {
	if len(a) != len(b) {
		panic("detnn: Dot of slices of different lengths")
	}
	s := 0.0
	for i, v := range a {
		s += float64(v * b[i])
	}
	return s
}

// MulAdd returns a*b + c with the product rounded on its own.
func MulAdd(a, b, c float64) float64 { return float64(a*b) + c }

// Logistic is the logistic map's next value, mu x (1-x), with each product
// rounded on its own.
func Logistic(mu, x float64) float64 { return float64(float64(mu*x) * (1 - x)) }

// Frac32 returns the first 32 bits below the binary point of |v|,
// floor(frac(|v|) * 2^32), exactly: the low-order bits of a network output
// that keystream bytes are cut from.
func Frac32(v float64) uint32 {
	v = math.Abs(v)
	f := v - math.Floor(v)
	return uint32(math.Floor(f * 0x1p32))
}

// Unit maps 64 random bits to a float64 in (0, 1), exactly.
func Unit(u uint64) float64 { return float64(u>>11|1) * 0x1p-53 }

// Range maps 64 random bits into [lo, hi).
func Range(u uint64, lo, hi float64) float64 {
	return lo + float64(float64(float64(u>>11)*0x1p-53)*(hi-lo))
}
