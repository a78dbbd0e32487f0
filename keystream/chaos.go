package keystream

import "encoding/binary"

// The chaotic generator: two Logistic-Tent maps (Zhou, Bao, Chen, "A new 1D
// chaotic system for image encryption", Signal Processing 97, 2014),
//
//	LT(r, x) = r x (1-x) + (4-r) x / 2        x <  1/2
//	LT(r, x) = r x (1-x) + (4-r) (1-x) / 2    x >= 1/2     (values in [0, 1])
//
// coupled into a 2-D map with a counter perturbation:
//
//	x' = (LT(r1, x) + k y)  mod 1
//	y' = (LT(r2, y) + k x' + n 2^-40) mod 1
//
// where n is the iteration counter mod 2^16. The perturbation makes the full
// state (x, y, n) aperiodic by construction and stops the float64 orbit from
// settling in a short cycle (finite-precision chaotic maps otherwise can). r1,
// r2 in [3.75, 4), k in [0.25, 0.75) and x0, y0 in (0, 1) come from the HKDF
// seed, and the first 1024 iterations are discarded. Each iteration emits two
// bytes taken from the middle of the 52-bit fractions of x' and y'.
//
// Determinism: only +, -, * and comparisons of float64 are used, which IEEE
// 754 rounds identically on every processor; each product is wrapped in an
// explicit float64 conversion, which the Go specification says prevents the
// compiler from fusing it with an addition into an FMA (as it otherwise may on
// arm64, ppc64le, s390x and riscv64). TestNoFMA checks the generated code
// for those architectures and TestChaosVector pins the output bytes.

const (
	chaosSeedSize = 5 * 8
	chaosWarmup   = 1024
	perturbScale  = 0x1p-40
)

type chaosStream struct {
	x, y, r1, r2, k float64
	n               uint64
	buf             [2]byte
	used            int // bytes of buf already consumed
}

// unit maps 64 random bits to a float64 in (0, 1), exactly.
func unit(u uint64) float64 { return float64(u>>11|1) * 0x1p-53 }

func newChaos(seed []byte) *chaosStream {
	u := func(i int) uint64 { return binary.BigEndian.Uint64(seed[8*i:]) }
	s := &chaosStream{
		x:  unit(u(0)),
		y:  unit(u(1)),
		r1: 3.75 + float64(0.25*unit(u(2))),
		r2: 3.75 + float64(0.25*unit(u(3))),
		k:  0.25 + float64(0.5*unit(u(4))),
	}
	for range chaosWarmup {
		s.step()
	}
	s.used = len(s.buf)
	return s
}

// lt is the Logistic-Tent map. Every product is rounded on its own.
func lt(r, x float64) float64 {
	logistic := float64(float64(r*x) * (1 - x))
	var tent float64
	if x < 0.5 {
		tent = float64(float64(4-r) * x)
	} else {
		tent = float64(float64(4-r) * (1 - x))
	}
	return logistic + float64(tent*0.5)
}

func wrap(v float64) float64 {
	for v >= 1 {
		v--
	}
	return v
}

func (s *chaosStream) step() {
	s.n++
	x := wrap(lt(s.r1, s.x) + float64(s.k*s.y))
	y := wrap(lt(s.r2, s.y) + float64(s.k*x) + float64(float64(s.n&0xffff)*perturbScale))
	s.x, s.y = x, y
	ux := uint64(float64(x * 0x1p52)) // exact: scaling by a power of two
	uy := uint64(float64(y * 0x1p52))
	s.buf[0] = byte(ux>>20) ^ byte(uy>>12)
	s.buf[1] = byte(ux>>28) ^ byte(uy>>36)
	s.used = 0
}

// XORKeyStream implements cipher.Stream.
func (s *chaosStream) XORKeyStream(dst, src []byte) {
	if len(dst) < len(src) {
		panic("keystream: output smaller than input")
	}
	for i := range src {
		if s.used == len(s.buf) {
			s.step()
		}
		dst[i] = src[i] ^ s.buf[s.used]
		s.used++
	}
}
