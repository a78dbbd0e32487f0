// Package yang2023 reproduces, RESEARCH-ONLY, the medical-image cipher of
// N. Yang, S. Zhang, M. Bai, S. Li, "Medical image encryption based on
// Josephus traversing and hyperchaotic Lorenz system", Journal of Shanghai
// Jiaotong University (Science) 29(1):91-108 (2024; online 2023),
// doi:10.1007/s12204-022-2555-x, as far as its published description goes.
// The paper's full text was not available to us: the steps below follow
// its abstract and the medqr paper's survey entry, and every detail they
// leave open is listed under "Choices".
//
// Algorithm, for an 8-bit W x H image P with N = W H pixels:
//
//  1. Plaintext hash: h = SHA-512(P's pixel bytes in row-major order).
//     h travels with the cipher image (the header's aux field, in the
//     clear): decryption needs it.
//  2. Initial values: from the 256-bit key by HKDF-SHA256 (label
//     "medqr.org/baselines/yang2023/v1/params") x0, y0, z0, w0 uniform in
//     [-10, 10] and r uniform in [-1.52, -0.06]; each initial value is
//     perturbed by u_j in (0, 1), the j-th 16-byte quarter of h folded to
//     64 bits (first half XOR second half) and mapped by cipherimg.Unit.
//  3. Keystream: the hyperchaotic Lorenz system (keystream.HyperLorenz,
//     a = 10, b = 8/3, c = 28, r) integrated by RK4 with step 0.005;
//     1,000 steps are discarded; the next step gives the Josephus start s
//     and step k, the Arnold parameters p, q, n and the diffusion seeds
//     c0, d0; the N steps after that give K1[i] = byte(x) XOR byte(z) and
//     K2[i] = byte(y) XOR byte(w) (keystream.ChaosByte).
//  4. Josephus traversal scrambling: the N positions stand in a circle;
//     counting starts at position s and every k-th remaining position is
//     taken out; the t-th position taken out, J[t], gives Q1[t] = P[J[t]].
//  5. Arnold cat map: n iterations of the cat map with parameters p, q on
//     Q1 (package cipherimg/arnold, generalised to W x H), giving Q2.
//  6. Forward XOR diffusion: C1[i] = Q2[i] XOR K1[i] XOR C1[i-1], C1[-1] =
//     c0; reverse XOR diffusion: C[i] = C1[i] XOR K2[i] XOR C[i+1], C[N] =
//     d0.
//
// Decryption undoes 6, 5 and 4 with the keystream regenerated from the key
// and the h carried in the header.
//
// Choices (the paper's text was not available; these are ours):
//   - the hash covers the pixel bytes only (not the size); h is carried in
//     the clear, and decryption does not re-check it against the result
//     (nothing in the abstract says it does);
//   - the initial-value ranges, the perturbation (64 bits of the hash per
//     state variable, added), RK4 with step 0.005 and 1,000 discarded
//     steps;
//   - the Josephus circle over all N pixels (not rows and columns), and the
//     count k = 1 + (32 chaotic bits mod N), start s = 32 bits mod N;
//   - Arnold parameters p, q = 1 + (bits mod 4095), n = 1 + (bits mod 8);
//   - the byte extraction from the flow's state and the XOR of two state
//     variables per keystream byte;
//   - 16-bit images are refused (the paper works on 8-bit images).
//
// With all the diffusion done by XOR, the whole cipher is affine over
// GF(2) for a fixed key and hash; attacks/breaks uses that in a chosen-
// ciphertext attack (see docs/baselines.md).
package yang2023

import (
	"crypto/sha512"
	"encoding/binary"
	"fmt"

	"github.com/medqr/medqr/cipherimg"
	"github.com/medqr/medqr/cipherimg/arnold"
	"github.com/medqr/medqr/keystream"
)

// Name is the scheme's registry name.
const Name = "yang2023"

// HashSize is the size of the plaintext hash carried in the header.
const HashSize = sha512.Size

const (
	step    = 0.005
	discard = 1000
)

// Scheme is the Yang et al. cipher.
var Scheme = cipherimg.NewScheme(Name, cipherimg.SchemeInfo{
	Citation: "N. Yang, S. Zhang, M. Bai, S. Li, Medical image encryption based on Josephus traversing and hyperchaotic Lorenz system, J. Shanghai Jiaotong Univ. (Sci.) 29(1):91-108",
	Summary:  "hyperchaotic Lorenz keystream, Josephus scrambling, Arnold map, forward and reverse XOR diffusion; initial values perturbed by SHA-512 of the plaintext (carried in the header)",
	Depths:   []int{8},
	AuxSize:  HashSize,
}, encrypt, decrypt)

// schedule is everything derived from (key, hash) for an image of n pixels.
type schedule struct {
	s, k    int
	p, q, n int
	c0, d0  byte
	k1, k2  []byte
}

func newSchedule(k cipherimg.Keying, n int) schedule {
	r := cipherimg.DeriveParams(k.Key, nil, Name, "params")
	var s0 [4]float64
	for j := range s0 {
		s0[j] = r.Float(-10, 10)
	}
	rr := r.Float(-1.52, -0.06)
	for j := range s0 {
		q := k.Aux[16*j : 16*j+16]
		u := binary.BigEndian.Uint64(q[:8]) ^ binary.BigEndian.Uint64(q[8:])
		s0[j] += cipherimg.Unit(u)
	}
	l := keystream.NewHyperLorenz(rr, step, s0)
	for range discard {
		l.Step()
	}
	v := l.Step()
	u := func(i int) int { return int(keystream.ChaosUint32(v[i])) }
	sc := schedule{
		s: u(0) % n, k: 1 + u(1)%n,
		p: 1 + u(2)%4095, q: 1 + u(3)%4095, n: 1 + (u(0)>>16)%8,
		c0: byte(u(1) >> 16), d0: byte(u(2) >> 16),
		k1: make([]byte, n), k2: make([]byte, n),
	}
	for i := range n {
		v := l.Step()
		sc.k1[i] = keystream.ChaosByte(v[0]) ^ keystream.ChaosByte(v[2])
		sc.k2[i] = keystream.ChaosByte(v[1]) ^ keystream.ChaosByte(v[3])
	}
	return sc
}

// Josephus returns the elimination order of n people in a circle, counting
// from index s (0-based) and taking out every k-th (k >= 1). It runs in
// O(n log n) with a Fenwick tree over the people still in the circle.
func Josephus(n, s, k int) []int32 {
	tree := make([]int32, n+1)
	for i := 1; i <= n; i++ {
		tree[i]++
		if j := i + i&-i; j <= n {
			tree[j] += tree[i]
		}
	}
	top := 1
	for top*2 <= n {
		top *= 2
	}
	out := make([]int32, n)
	pos := s % max(n, 1)
	for m := n; m > 0; m-- {
		r := (pos + k - 1) % m // rank among the remaining, 0-based
		// find the (r+1)-th remaining person
		idx, rem := 0, int32(r+1)
		for b := top; b > 0; b >>= 1 {
			if next := idx + b; next <= n && tree[next] < rem {
				idx = next
				rem -= tree[next]
			}
		}
		out[n-m] = int32(idx)
		for i := idx + 1; i <= n; i += i & -i {
			tree[i]--
		}
		if m > 1 {
			pos = r % (m - 1)
		}
	}
	return out
}

// Hash returns the SHA-512 of the 8-bit pixels, the scheme's aux data.
func Hash(px []uint16) []byte {
	b := make([]byte, len(px))
	for i, v := range px {
		b[i] = byte(v)
	}
	h := sha512.Sum512(b)
	return h[:]
}

func encrypt(k *cipherimg.Keying, px []uint16, w, h, _ int) error {
	k.Aux = Hash(px)
	n := len(px)
	sc := newSchedule(*k, n)
	q := make([]uint16, n)
	for t, j := range Josephus(n, sc.s, sc.k) {
		q[t] = px[j]
	}
	arnold.Forward(q, w, h, sc.p, sc.q, sc.n)
	prev := uint16(sc.c0)
	for i := range q {
		prev = q[i] ^ uint16(sc.k1[i]) ^ prev
		q[i] = prev
	}
	prev = uint16(sc.d0)
	for i := n - 1; i >= 0; i-- {
		prev = q[i] ^ uint16(sc.k2[i]) ^ prev
		px[i] = prev
	}
	return nil
}

func decrypt(k *cipherimg.Keying, px []uint16, w, h, _ int) error {
	if len(k.Aux) != HashSize {
		return fmt.Errorf("plaintext hash is %d bytes, want %d", len(k.Aux), HashSize)
	}
	n := len(px)
	sc := newSchedule(*k, n)
	q := make([]uint16, n)
	next := uint16(sc.d0)
	for i := n - 1; i >= 0; i-- {
		q[i] = px[i] ^ uint16(sc.k2[i]) ^ next
		next = px[i]
	}
	prev := uint16(sc.c0)
	for i := range q {
		c := q[i]
		q[i] = c ^ uint16(sc.k1[i]) ^ prev
		prev = c
	}
	arnold.Inverse(q, w, h, sc.p, sc.q, sc.n)
	for t, j := range Josephus(n, sc.s, sc.k) {
		px[j] = q[t]
	}
	return nil
}
