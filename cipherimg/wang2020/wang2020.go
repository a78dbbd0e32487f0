// Package wang2020 reproduces, RESEARCH-ONLY, the image cipher of T. Wang
// and M.-H. Wang, "Hyperchaotic image encryption algorithm based on
// bit-level permutation and DNA encoding", Optics and Laser Technology
// 132:106355 (2020), as far as its published description goes: a 6-D
// hyperchaotic system drives a bit-level permutation, DNA encoding with
// key-chosen rules, DNA-domain diffusion and DNA decoding. The paper's full
// text was not available to us; every detail its abstract and the medqr
// paper's survey leave open is listed under "Choices".
//
// Algorithm, for an 8-bit W x H image with N = W H pixels:
//
//  1. Parameters from the 256-bit key by HKDF-SHA256 (label
//     "medqr.org/baselines/wang2020/v1/params"): six initial values
//     uniform in [-5, 5] and r in [-1.5, -0.1], k in [0.2, 2], h in
//     [0.2, 1] for the 6-D flow keystream.Hyper6 (RK4, step 0.005, 1,000
//     steps discarded). Each later step yields six 32-bit words
//     (keystream.ChaosUint32 of each state variable), used in order.
//  2. Bit-level permutation: the image is an H x 8W bit matrix (row y,
//     bit column 8x+j holds bit 7-j of pixel (x, y)). Its rows are
//     permuted by sorting H words, its 8W bit columns by sorting 8W words
//     (ties by index): B'[y][X] = B[rows[y]][cols[X]]. Bits move across
//     pixels and bit planes.
//  3. DNA encoding: each pixel of the permuted image is four 2-bit lanes
//     (most significant first), each encoded as a base A, C, G or T by one
//     of the eight complementary rules (rule e_i, one per pixel).
//  4. DNA-domain diffusion: a key byte k_i is encoded with the same rule;
//     the pixel's bases are combined with it by DNA XOR, addition or
//     subtraction (op_i), then XORed (DNA XOR) with the previous pixel's
//     diffused bases D[i-1] (D[-1] from a key byte d0): D[i] = op_i(E[i],
//     K[i]) XOR D[i-1].
//  5. DNA decoding: D[i] is decoded to bits by rule d_i.
//
// One word per pixel gives e_i (3 bits), d_i (3 bits), op_i (mod 3 of the
// next 8 bits) and k_i (bits 16..23). Decryption runs 5 to 2 backwards.
//
// Choices (ours): the 6-D system's equations (the paper's were not
// available; keystream.Hyper6 is a Lorenz-type 6-D flow, bounded in our
// runs, its hyperchaos unmeasured); the parameter ranges and the RK4 step;
// row-then-column bit permutation rather than one permutation of all 8N
// bits; the rule numbering (rule 1: A=00, C=01, G=10, T=11; the standard
// table of eight); arithmetic on bases as their rule-1 values (XOR bitwise,
// addition and subtraction mod 4); the key byte encoded with the pixel's
// rule; the diffusion chained on D[i-1]; no plaintext-dependent keys
// (none is named in the description we had); 16-bit images are refused.
//
// The whole cipher is a bit permutation followed by a chain of per-lane
// substitutions, which is what attacks/breaks exploits (Chen et al.,
// Information Sciences 2020, for the reduction of DNA coding to S-boxes).
package wang2020

import (
	"slices"

	"github.com/medqr/medqr/cipherimg"
	"github.com/medqr/medqr/keystream"
)

// Name is the scheme's registry name.
const Name = "wang2020"

const (
	step    = 0.005
	discard = 1000
)

// Scheme is the Wang and Wang cipher.
var Scheme = cipherimg.NewScheme(Name, cipherimg.SchemeInfo{
	Citation: "T. Wang, M.-H. Wang, Hyperchaotic image encryption algorithm based on bit-level permutation and DNA encoding, Opt. Laser Technol. 132:106355 (2020)",
	Summary:  "6-D hyperchaotic flow, bit-level row/column permutation, DNA encoding with per-pixel rules, DNA XOR/add/sub diffusion chained on the previous pixel, DNA decoding; one key for every image",
	Depths:   []int{8},
}, encrypt, decrypt)

// Rules maps a 2-bit code to a base (A=0, C=1, G=2, T=3) for each of the
// eight complementary DNA coding rules (A-T and C-G pairs map to
// complementary codes).
var Rules = [8][4]uint8{
	{0, 1, 2, 3}, // 1: A C G T
	{0, 2, 1, 3}, // 2: A G C T
	{1, 0, 3, 2}, // 3: C A T G
	{2, 0, 3, 1}, // 4: G A T C
	{1, 3, 0, 2}, // 5: C T A G
	{2, 3, 0, 1}, // 6: G T A C
	{3, 1, 2, 0}, // 7: T C G A
	{3, 2, 1, 0}, // 8: T G C A
}

// decode[r][base] is the inverse of Rules[r].
var decode = func() (d [8][4]uint8) {
	for r, m := range Rules {
		for code, base := range m {
			d[r][base] = uint8(code)
		}
	}
	return d
}()

// schedule is everything the key fixes for a W x H image.
type schedule struct {
	rows, cols []int32
	word       []uint32 // one per pixel
	d0         uint8
}

func newSchedule(k cipherimg.Keying, w, h int) schedule {
	r := cipherimg.DeriveParams(k.Key, nil, Name, "params")
	var s0 [6]float64
	for i := range s0 {
		s0[i] = r.Float(-5, 5)
	}
	f := keystream.NewHyper6(r.Float(-1.5, -0.1), r.Float(0.2, 2), r.Float(0.2, 1), step, s0)
	for range discard {
		f.Step()
	}
	var buf [6]uint32
	used := len(buf)
	next := func() uint32 {
		if used == len(buf) {
			for i, v := range f.Step() {
				buf[i] = keystream.ChaosUint32(v)
			}
			used = 0
		}
		used++
		return buf[used-1]
	}
	sc := schedule{rows: sortOrder(h, next), cols: sortOrder(8*w, next), word: make([]uint32, w*h)}
	for i := range sc.word {
		sc.word[i] = next()
	}
	sc.d0 = uint8(next())
	return sc
}

// sortOrder returns the indices 0..n-1 sorted by n words (ties by index).
func sortOrder(n int, next func() uint32) []int32 {
	words := make([]uint32, n)
	for i := range words {
		words[i] = next()
	}
	return cipherimg.SortOrder(words)
}

// pixel word fields
func encRule(u uint32) int { return int(u & 7) }
func decRule(u uint32) int { return int(u >> 3 & 7) }
func op(u uint32) int      { return int(u>>6&0xff) % 3 }
func keyByte(u uint32) int { return int(u >> 16 & 0xff) }

func combine(o int, e, k uint8) uint8 {
	switch o {
	case 0:
		return e ^ k
	case 1:
		return (e + k) & 3
	}
	return (e - k) & 3
}

func uncombine(o int, f, k uint8) uint8 {
	switch o {
	case 0:
		return f ^ k
	case 1:
		return (f - k) & 3
	}
	return (f + k) & 3
}

// permuteBits applies (or, with inverse, undoes) the row and column bit
// permutation to the 8-bit image px: B'[y][X] = B[rows[y]][cols[X]].
func permuteBits(px []uint16, w, h int, rows, cols []int32, inverse bool) {
	src := slices.Clone(px)
	clear(px)
	for y := 0; y < h; y++ {
		from, to := src[int(rows[y])*w:][:w], px[y*w:][:w]
		if inverse {
			from, to = src[y*w:][:w], px[int(rows[y])*w:][:w]
		}
		for X, c := range cols {
			a, b := int(c), X // bit column a of the source row goes to b
			if inverse {
				a, b = b, a
			}
			bit := from[a>>3] >> (7 - a&7) & 1
			to[b>>3] |= bit << (7 - b&7)
		}
	}
}

// chainStart is the diffusion chain's value before the first pixel: the
// four 2-bit bases of d0, most significant first.
func (sc *schedule) chainStart() (prev [4]uint8) {
	for l := range prev {
		prev[l] = sc.d0 >> (6 - 2*l) & 3
	}
	return prev
}

func encrypt(k *cipherimg.Keying, px []uint16, w, h, _ int) error {
	sc := newSchedule(*k, w, h)
	permuteBits(px, w, h, sc.rows, sc.cols, false)
	prev := sc.chainStart()
	for i, v := range px {
		u := sc.word[i]
		re, rd, o, kb := encRule(u), decRule(u), op(u), keyByte(u)
		var out uint16
		for l := range 4 {
			sh := 6 - 2*l
			e := Rules[re][v>>sh&3]
			kk := Rules[re][kb>>sh&3]
			d := combine(o, e, kk) ^ prev[l]
			prev[l] = d
			out |= uint16(decode[rd][d]) << sh
		}
		px[i] = out
	}
	return nil
}

// decrypt mirrors encrypt step for step in reverse (the DNA-domain
// diffusion undone, then the bit permutation), kept beside it so that each
// step can be checked against the one it undoes.
func decrypt(k *cipherimg.Keying, px []uint16, w, h, _ int) error {
	sc := newSchedule(*k, w, h)
	prev := sc.chainStart()
	for i, c := range px {
		u := sc.word[i]
		re, rd, o, kb := encRule(u), decRule(u), op(u), keyByte(u)
		var out uint16
		for l := range 4 {
			sh := 6 - 2*l
			d := Rules[rd][c>>sh&3]
			kk := Rules[re][kb>>sh&3]
			e := uncombine(o, d^prev[l], kk)
			prev[l] = d
			out |= uint16(decode[re][e]) << sh
		}
		px[i] = out
	}
	permuteBits(px, w, h, sc.rows, sc.cols, true)
	return nil
}
