package keystream

import "math"

// Chaotic systems shared by the literature baselines (package cipherimg's
// sub-packages). They are deterministic on every processor: only +, -, *
// and / of float64 are used, and every product is wrapped in an explicit
// float64 conversion so the compiler cannot fuse it into a multiply-add
// (TestNoFMA checks the generated code). They are research tools with no
// security claim.

// Logistic is the logistic map x' = R x (1 - x), chaotic for R near 4
// (R in [3.57, 4]) on x in (0, 1).
type Logistic struct {
	R, X float64
}

// Next advances the map and returns the new x.
func (l *Logistic) Next() float64 {
	l.X = float64(float64(l.R*l.X) * (1 - l.X))
	return l.X
}

// HyperLorenz is the 4-D hyperchaotic Lorenz system of Wang and Wang
// (Acta Physica Sinica 56(9), 2007), integrated with classical fourth-order
// Runge-Kutta at step H:
//
//	dx/dt = a (y - x) + w
//	dy/dt = c x - y - x z
//	dz/dt = x y - b z
//	dw/dt = -y z + r w
//
// with a = 10, b = 8/3, c = 28 and hyperchaos for r in [-1.52, -0.06].
type HyperLorenz struct {
	A, B, C, R float64
	H          float64
	S          [4]float64 // x, y, z, w
}

// NewHyperLorenz returns the system with the standard a, b, c, the given r,
// step h and initial state.
func NewHyperLorenz(r, h float64, s0 [4]float64) *HyperLorenz {
	return &HyperLorenz{A: 10, B: 8.0 / 3, C: 28, R: r, H: h, S: s0}
}

func (l *HyperLorenz) deriv(s [4]float64) (d [4]float64) {
	x, y, z, w := s[0], s[1], s[2], s[3]
	d[0] = float64(l.A*(y-x)) + w
	d[1] = float64(l.C*x) - y - float64(x*z)
	d[2] = float64(x*y) - float64(l.B*z)
	d[3] = -float64(y*z) + float64(l.R*w)
	return d
}

// Step advances the state by one Runge-Kutta step and returns it.
func (l *HyperLorenz) Step() [4]float64 {
	l.S = rk4(l.S, l.H, l)
	return l.S
}

// Hyper6 is the 6-D Lorenz-type system medqr uses for the wang2020
// baseline (the paper's own equations were not available to us; see
// package cipherimg/wang2020): the hyperchaotic Lorenz system above with
// two linear feedback states,
//
//	dx1/dt = a (x2 - x1) + x4 + x6
//	dx2/dt = c x1 - x2 - x1 x3 + x5
//	dx3/dt = x1 x2 - b x3
//	dx4/dt = -x2 x3 + r x4
//	dx5/dt = -k x2
//	dx6/dt = -h x1
//
// a = 10, b = 8/3, c = 28; r, k and h come from the key. Its orbits stay
// bounded (|x| < 300) in our runs; its Lyapunov spectrum was not measured.
type Hyper6 struct {
	A, B, C, R, K, Hf float64
	H                 float64 // integration step
	S                 [6]float64
}

// NewHyper6 returns the system with the standard a, b, c.
func NewHyper6(r, k, hf, h float64, s0 [6]float64) *Hyper6 {
	return &Hyper6{A: 10, B: 8.0 / 3, C: 28, R: r, K: k, Hf: hf, H: h, S: s0}
}

func (s6 *Hyper6) deriv(s [6]float64) (d [6]float64) {
	x1, x2, x3, x4, x5, x6 := s[0], s[1], s[2], s[3], s[4], s[5]
	d[0] = float64(s6.A*(x2-x1)) + x4 + x6
	d[1] = float64(s6.C*x1) - x2 - float64(x1*x3) + x5
	d[2] = float64(x1*x2) - float64(s6.B*x3)
	d[3] = -float64(x2*x3) + float64(s6.R*x4)
	d[4] = -float64(s6.K * x2)
	d[5] = -float64(s6.Hf * x1)
	return d
}

// Step advances the state by one Runge-Kutta step and returns it.
func (s6 *Hyper6) Step() [6]float64 {
	s6.S = rk4(s6.S, s6.H, s6)
	return s6.S
}

// flow is a system of ordinary differential equations.
type flow[S [4]float64 | [6]float64] interface{ deriv(S) S }

// rk4 is one classical Runge-Kutta step, every product rounded on its own.
func rk4[S [4]float64 | [6]float64, F flow[S]](s S, h float64, sys F) S {
	f := sys.deriv
	var t S
	k1 := f(s)
	for i := range len(s) {
		t[i] = s[i] + float64(float64(h*0.5)*k1[i])
	}
	k2 := f(t)
	for i := range len(s) {
		t[i] = s[i] + float64(float64(h*0.5)*k2[i])
	}
	k3 := f(t)
	for i := range len(s) {
		t[i] = s[i] + float64(h*k3[i])
	}
	k4 := f(t)
	for i := range len(s) {
		sum := k1[i] + float64(2*k2[i]) + float64(2*k3[i]) + k4[i]
		s[i] += float64(float64(h/6) * sum)
	}
	return s
}

// ChaosByte extracts 8 bits of a chaotic state variable: the bits of
// weight 2^-33..2^-40 of |v|, i.e. the low byte of floor(|v| * 2^40). The
// scaling is exact (a power of two), and every one of those bits is a
// mantissa bit while |v| < 2^12. It panics on |v| >= 2^23 or NaN (a
// diverged orbit is a bug).
func ChaosByte(v float64) byte { return byte(chaosBits(v)) }

// ChaosUint32 extracts 32 bits of a chaotic state variable: the bits of
// weight 2^-9..2^-40 of |v|, as ChaosByte does.
func ChaosUint32(v float64) uint32 { return uint32(chaosBits(v)) }

func chaosBits(v float64) uint64 {
	a := math.Abs(v)
	if !(a < 0x1p23) {
		panic("keystream: chaotic state diverged")
	}
	return uint64(float64(a * 0x1p40))
}
