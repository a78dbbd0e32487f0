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

// Scheme is one round of logistic-map permutation and diffusion.
var Scheme = cipherimg.NewScheme(Name, cipherimg.SchemeInfo{
	Citation: "J. Fridrich, Symmetric ciphers based on two-dimensional chaotic maps, Int. J. Bifurcation and Chaos 8(6):1259-1284 (1998), one round, logistic map",
	Summary:  "logistic-map permutation then chained additive diffusion, one round (textbook control), one key for every image",
	Depths:   []int{8, 16},
}, encrypt, decrypt)

// schedule derives from the key the permutation order and the diffusion
// keystream of n pixels of depth bits, c[-1] and the mask of depth bits.
func schedule(k *cipherimg.Keying, n, depth int) (ord []int32, ks []uint16, c0, mask uint16) {
	r := cipherimg.DeriveParams(k.Key, nil, Name, "params")
	r1, x1, r2, x2 := r.Float(3.99, 3.9999), r.Unit(), r.Float(3.99, 3.9999), r.Unit()
	c0 = uint16(r.Int(0, 1<<depth-1))
	mask = uint16(1<<depth - 1)
	return order(r1, x1, n), keystreamOf(r2, x2, n, mask), c0, mask
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

func encrypt(k *cipherimg.Keying, px []uint16, _, _, depth int) error {
	ord, ks, prev, mask := schedule(k, len(px), depth)
	q := make([]uint16, len(px))
	for i, j := range ord {
		q[i] = px[j]
	}
	for i := range q {
		prev = (q[i] + ks[i] + prev) & mask
		px[i] = prev
	}
	return nil
}

func decrypt(k *cipherimg.Keying, px []uint16, _, _, depth int) error {
	ord, ks, prev, mask := schedule(k, len(px), depth)
	q := make([]uint16, len(px))
	for i, c := range px {
		q[i] = (c - ks[i] - prev) & mask
		prev = c
	}
	for i, j := range ord {
		px[j] = q[i]
	}
	return nil
}
