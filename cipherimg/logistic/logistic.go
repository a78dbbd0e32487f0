// Package logistic is the textbook permutation-then-diffusion control of
// medqr's literature baselines, RESEARCH-ONLY, in the style of J. Fridrich,
// "Symmetric ciphers based on two-dimensional chaotic maps", Int. J.
// Bifurcation and Chaos 8(6), 1998: one round of a chaotic permutation
// followed by one pass of chained additive diffusion, both driven by the
// logistic map x' = r x (1 - x), with one key for every image. A chosen-
// plaintext attack breaks it (the all-zero image reveals the diffusion
// keystream; ceil(log_256(MN)) more images reveal the permutation): see
// attacks/breaks.
//
// Algorithm, for N = W x H pixels of depth d (8 or 16 bits):
//
//  1. Parameters from the 256-bit key by HKDF-SHA256 (label
//     "medqr.org/baselines/logistic/v1/params"): r1, r2 uniform in
//     [3.99, 3.9999], x1, x2 uniform in (0, 1), c0 uniform in [0, 2^d).
//  2. Permutation: iterate the map from (r1, x1), discard 1,000 values,
//     keep the next N values v[0..N); order = the indices sorted by v
//     (ties, which float64 makes practically impossible, by index); the
//     permuted image is q[i] = p[order[i]].
//  3. Diffusion: iterate the map from (r2, x2), discard 1,000 values; the
//     keystream k[i] is the low d bits of the state's bits of weight
//     2^-9..2^-40 (keystream.ChaosUint32); c[i] = (q[i] + k[i] + c[i-1])
//     mod 2^d with c[-1] = c0.
//
// Decryption: q[i] = c[i] - k[i] - c[i-1] (mod 2^d), then p[order[i]] = q[i].
//
// Choices: the parameter ranges, the 1,000 discarded iterations, sorting
// the orbit as the permutation (Fridrich used a discretised 2-D map; the
// sort is the common 1-D variant) and the bit extraction are ours. Every
// product of the map is rounded on its own (package keystream), so
// decryption is bit-exact on every processor.
package logistic

import (
	"math"

	"github.com/medqr/medqr/cipherimg"
	"github.com/medqr/medqr/keystream"
)

// Name is the scheme's registry name.
const Name = "logistic"

// discard is the number of initial iterations thrown away.
const discard = 1000

func init() { cipherimg.Register(Scheme{}) }

// Scheme is one round of logistic-map permutation and diffusion.
type Scheme struct{}

func (Scheme) Name() string { return Name }

func (Scheme) Info() cipherimg.SchemeInfo {
	return cipherimg.SchemeInfo{
		Citation: "J. Fridrich, Symmetric ciphers based on two-dimensional chaotic maps, Int. J. Bifurcation and Chaos 8(6):1259-1284 (1998), one round, logistic map",
		Summary:  "logistic-map permutation then chained additive diffusion, one round (textbook control), one key for every image",
		Depths:   []int{8, 16},
	}
}

type params struct {
	r1, x1, r2, x2 float64
	c0             uint16
}

func deriveParams(k cipherimg.Keying, depth int) params {
	r := cipherimg.DeriveParams(k.Key, nil, Name, "params")
	p := params{r1: r.Float(3.99, 3.9999), x1: r.Unit(), r2: r.Float(3.99, 3.9999), x2: r.Unit()}
	p.c0 = uint16(r.Int(0, 1<<depth-1))
	return p
}

// order returns the permutation of n positions from the orbit of (r, x).
func order(r, x float64, n int) []int32 {
	m := keystream.Logistic{R: r, X: x}
	for range discard {
		m.Next()
	}
	keys := make([]uint64, n)
	for i := range keys {
		keys[i] = math.Float64bits(m.Next()) // x > 0: bits sort as values
	}
	return cipherimg.SortOrder(keys)
}

func keystreamOf(r, x float64, n int, mask uint16) []uint16 {
	m := keystream.Logistic{R: r, X: x}
	for range discard {
		m.Next()
	}
	ks := make([]uint16, n)
	for i := range ks {
		ks[i] = uint16(keystream.ChaosUint32(m.Next())) & mask
	}
	return ks
}

func check(px []uint16, w, h, depth int) error {
	return cipherimg.CheckPixels(Scheme{}.Info(), px, w, h, depth)
}

func (Scheme) Encrypt(k *cipherimg.Keying, px []uint16, w, h, depth int) error {
	if err := check(px, w, h, depth); err != nil {
		return err
	}
	mask := uint16(1<<depth - 1)
	p := deriveParams(*k, depth)
	ord := order(p.r1, p.x1, len(px))
	ks := keystreamOf(p.r2, p.x2, len(px), mask)
	q := make([]uint16, len(px))
	for i, j := range ord {
		q[i] = px[j]
	}
	prev := p.c0
	for i := range q {
		prev = (q[i] + ks[i] + prev) & mask
		px[i] = prev
	}
	return nil
}

func (Scheme) Decrypt(k cipherimg.Keying, px []uint16, w, h, depth int) error {
	if err := check(px, w, h, depth); err != nil {
		return err
	}
	mask := uint16(1<<depth - 1)
	p := deriveParams(k, depth)
	ord := order(p.r1, p.x1, len(px))
	ks := keystreamOf(p.r2, p.x2, len(px), mask)
	q := make([]uint16, len(px))
	prev := p.c0
	for i, c := range px {
		q[i] = (c - ks[i] - prev) & mask
		prev = c
	}
	for i, j := range ord {
		px[j] = q[i]
	}
	return nil
}
