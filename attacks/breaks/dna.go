package breaks

import (
	"context"
	"fmt"
	"image"
	"math/bits"
	"math/rand/v2"

	"github.com/medqr/medqr/attacks/oracle"
	"github.com/medqr/medqr/cipherimg"
)

// DNACPA is the chosen-plaintext attack on wang2020-style DNA ciphers: a
// bit-level permutation followed by DNA encoding, DNA-domain diffusion
// chained on the previous pixel, and DNA decoding, all fixed by the key.
//
// Reduction (after Chen, Zhang, Ye, Lin, "Cryptanalysis and improvement of
// DNA-based image encryption schemes", Information Sciences 2020, and the
// earlier breaks of DNA ciphers, e.g. Hermassi et al. 2014, Zhang 2015):
// DNA encoding, addition, subtraction and XOR of bases, and decoding act on
// each 2-bit lane of a pixel separately, so the stage after the bit
// permutation is, lane by lane, c[i] = S_i(b[i], c[i-1]) with S_i an
// unknown 4x4 substitution (a bijection in b for each c[i-1]), lanes
// never mixing. The attack:
//
//  1. Bit permutation, by first differences from the all-zero image's
//     cipher: a changed plain bit changes its lane from the pixel it went
//     to onwards, and nothing earlier, so the first differing pixel and
//     lane say where it went (up to the order of the two bits inside a
//     lane, which the attack fixes by its own labelling: the substitution
//     absorbs it). The four lanes are separate chains, so one image carries
//     several changes: a few single changes find a bit column for each
//     lane, then four rows go per image (one change per lane), then up to
//     eight bit columns per image, placed in distinct rows so that the
//     earliest change in each lane is known by its row. About
//     H/4 + 8W/3.6 images instead of H + 8W.
//  2. Substitutions, by random chosen images: each gives, for every lane,
//     one entry (b, c[i-1]) -> c[i]; the attack only needs the entries in
//     the row c[i-1] = the target's, and stops when every lane of the
//     target is determined (its entry seen, or the three others ruled out).
//  3. Undo the substitutions on the target and put the bits back.
//
// Cost: about H/4 + 8W/3.6 chosen images for the permutation (about 640
// at 256x256) and some hundreds for the substitutions (about 16 ln(4N));
// it stops at MaxQueries.
type DNACPA struct {
	// MaxQueries bounds step 2 (0: 4,000).
	MaxQueries int
}

func (DNACPA) Name() string { return "dna-sbox-cpa" }
func (DNACPA) Model() Model { return ChosenPlaintext }
func (DNACPA) Source() string {
	return "reduction of DNA coding to per-lane S-boxes (Chen et al., Information Sciences 2020; earlier DNA-cipher breaks) + first-difference bit-permutation recovery, adapted here"
}

func lane(v uint16, l int) uint8 { return uint8(v >> (6 - 2*l) & 3) }

func (a DNACPA) Break(ctx context.Context, o oracle.Oracle, target Target) (image.Image, string, error) {
	t, w, h, depth := target.Px, target.W, target.H, target.Depth
	if depth != 8 {
		return nil, "the DNA attack covers 8-bit images", nil
	}
	n := w * h
	enc := func(px []uint16) ([]uint16, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c, err := o.Encrypt(cipherimg.ToImage(px, w, h, 8))
		if err != nil {
			return nil, err
		}
		out, _, _, _, err := cipherimg.Pixels(c.Image)
		return out, err
	}
	zero, err := enc(make([]uint16, n))
	if err != nil {
		return nil, "", err
	}
	// firstDiff returns the first differing pixel and its single differing lane.
	firstDiff := func(c []uint16) (int, int, bool) {
		for i := range c {
			if d := c[i] ^ zero[i]; d != 0 {
				l := bits.LeadingZeros16(d) - 8
				return i, l / 2, true
			}
		}
		return 0, 0, false
	}
	// 1. the bit permutation. Lanes are independent chains, so one image
	// can carry several one-bit changes: the first difference in each lane
	// belongs to the earliest change that landed in it.
	queriesPerm := 1
	flips := func(bitsSet [][2]int) ([]uint16, error) { // (P row, bit column)
		px := make([]uint16, n)
		for _, f := range bitsSet {
			px[f[0]*w+f[1]/8] |= 0x80 >> (f[1] % 8)
		}
		queriesPerm++
		return enc(px)
	}
	// firstPerLane returns, per lane, the first differing pixel (-1: none).
	firstPerLane := func(c []uint16) [4]int {
		first := [4]int{-1, -1, -1, -1}
		for i := range c {
			d := c[i] ^ zero[i]
			for l := range 4 {
				if first[l] < 0 && lane(d, l) != 0 {
					first[l] = i
				}
			}
			if first[0] >= 0 && first[1] >= 0 && first[2] >= 0 && first[3] >= 0 {
				break
			}
		}
		return first
	}
	colPix, colLane, colBit := make([]int, 8*w), make([]int, 8*w), make([]int, 8*w)
	colKnown := make([]bool, 8*w)
	fill := make([]int, 4*w) // bits assigned per (pixel column, lane)
	learn := func(X, x, l int) bool {
		slot := 4*x + l
		if fill[slot] == 2 {
			return false
		}
		colPix[X], colLane[X], colBit[X], colKnown[X] = x, l, 1-fill[slot], true
		fill[slot]++
		return true
	}
	bad := "the answers are inconsistent with a row/column bit permutation followed by lane-wise chains"
	// 1a. single changes in plain row 0 until every lane has a known column
	rowTo := make([]int, h)
	var laneCol [4]int
	seen := 0
	for X := 0; X < 8*w && seen != 15; X++ {
		c, err := flips([][2]int{{0, X}})
		if err != nil {
			return nil, "", err
		}
		i, l, ok := firstDiff(c)
		if !ok || !learn(X, i%w, l) {
			return nil, bad, nil
		}
		rowTo[0] = i / w
		if seen&(1<<l) == 0 {
			laneCol[l] = X
			seen |= 1 << l
		}
	}
	if seen != 15 {
		return nil, bad, nil
	}
	// 1b. rows, four per image: one change per lane
	for y := 1; y < h; y += 4 {
		var set [][2]int
		for l := range 4 {
			if y+l < h {
				set = append(set, [2]int{y + l, laneCol[l]})
			}
		}
		c, err := flips(set)
		if err != nil {
			return nil, "", err
		}
		first := firstPerLane(c)
		for l, f := range set {
			i := first[l]
			if i < 0 || i%w != colPix[f[1]] {
				return nil, bad, nil
			}
			rowTo[f[0]] = i / w
		}
	}
	byRow := make([]int, h) // plain rows in the order of their permuted rows
	for y := range h {
		if rowTo[y] < 0 || rowTo[y] >= h {
			return nil, bad, nil
		}
		byRow[rowTo[y]] = y
	}
	// 1c. the other bit columns, up to 8 per image in distinct rows: the
	// earliest change of each lane is identified by its row
	m := min(8, h)
	var pending []int
	for X := range 8 * w {
		if !colKnown[X] {
			pending = append(pending, X)
		}
	}
	for len(pending) > 0 {
		k := min(m, len(pending))
		set := make([][2]int, k)
		for j := range k {
			set[j] = [2]int{byRow[j], pending[j]}
		}
		c, err := flips(set)
		if err != nil {
			return nil, "", err
		}
		for l, i := range firstPerLane(c) {
			if i < 0 {
				continue
			}
			j := i / w // the change in permuted row j is set[j]
			if j >= k || !learn(set[j][1], i%w, l) {
				return nil, bad, nil
			}
		}
		if !colKnown[pending[0]] {
			return nil, bad, nil // the earliest change always shows
		}
		rest := pending[:0]
		for _, X := range pending {
			if !colKnown[X] {
				rest = append(rest, X)
			}
		}
		pending = rest
	}
	// forward maps a plaintext to the permuted image in our bit labelling
	forward := func(p []uint16) []uint16 {
		b := make([]uint16, n)
		for y := range h {
			for X := range 8 * w {
				if p[y*w+X/8]>>(7-X%8)&1 == 1 {
					b[rowTo[y]*w+colPix[X]] |= 1 << (6 - 2*colLane[X] + colBit[X])
				}
			}
		}
		return b
	}
	// 2. substitution entries in the target's rows
	known := make([]int8, 4*n) // resolved b lane, or -1
	elim := make([]uint8, 4*n)
	for i := range known {
		known[i] = -1
	}
	open := 4 * n
	max := a.MaxQueries
	if max == 0 {
		max = 4000
	}
	rng := rand.New(rand.NewPCG(0x6d6564717221, uint64(n)))
	queries := 0
	for ; open > 0 && queries < max; queries++ {
		p := make([]uint16, n)
		for i := range p {
			p[i] = uint16(rng.UintN(256))
		}
		c, err := enc(p)
		if err != nil {
			return nil, "", err
		}
		b := forward(p)
		for i := range n {
			for l := range 4 {
				k := 4*i + l
				if known[k] >= 0 {
					continue
				}
				if i > 0 && lane(c[i-1], l) != lane(t[i-1], l) {
					continue
				}
				bl := lane(b[i], l)
				if lane(c[i], l) == lane(t[i], l) {
					known[k] = int8(bl)
				} else if elim[k] |= 1 << bl; bits.OnesCount8(elim[k]) == 3 {
					known[k] = int8(bits.TrailingZeros8(^elim[k] & 0xf))
				}
				if known[k] >= 0 {
					open--
				}
			}
		}
	}
	if open > 0 {
		return nil, fmt.Sprintf("%d of %d lanes undetermined after %d substitution queries", open, 4*n, queries), nil
	}
	// 3. put the bits back
	p := make([]uint16, n)
	for y := range h {
		for X := range 8 * w {
			k := 4*(rowTo[y]*w+colPix[X]) + colLane[X]
			if known[k]>>colBit[X]&1 == 1 {
				p[y*w+X/8] |= 0x80 >> (X % 8)
			}
		}
	}
	return cipherimg.ToImage(p, w, h, 8), fmt.Sprintf("bit permutation from %d images with one-bit changes, per-lane substitutions from %d random images", queriesPerm, queries), nil
}
