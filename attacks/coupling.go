package attacks

import (
	"fmt"
	"image"
	"math/rand/v2"
)

// PixelOracle encrypts a chosen w x h plaintext, given as row-major pixel
// values below 2^depth, and returns the cipher image the same way. Like
// Oracle, it decides whether the key and nonce repeat between calls.
type PixelOracle func(px []uint16) ([]uint16, error)

// GrayOracle adapts an 8-bit Oracle to a PixelOracle for w x h images.
func GrayOracle(enc Oracle, w, h int) PixelOracle {
	return func(px []uint16) ([]uint16, error) {
		p := image.NewGray(image.Rect(0, 0, w, h))
		for i, v := range px {
			p.Pix[i] = uint8(v)
		}
		c, err := enc(p)
		if err != nil {
			return nil, err
		}
		cg := cloneGray(c)
		if len(cg.Pix) != len(px) {
			return nil, fmt.Errorf("attacks: cipher image has %d pixels, want %d", len(cg.Pix), len(px))
		}
		out := make([]uint16, len(px))
		for i, v := range cg.Pix {
			out[i] = uint16(v)
		}
		return out, nil
	}
}

// Coupling is what the coupling-inversion attack learns about a cipher of
// the form "permute the pixels, then two additive coupling layers on a
// checkerboard of the permuted grid": cipherimg with diffusion off and its
// default one round of two layers. Writing A for the cells (x+y) even of
// the permuted grid and B for the others, the cipher is
//
//	A' = A + f0(B),  B' = B + f1(A')  (mod 2^depth)
//
// with f0, f1 unknown key-derived functions (small convolutional nets, so
// an input pixel reaches only cells within distance 2). The attack never
// learns f0 or f1: it learns the permutation, and the encryption oracle
// evaluates the functions for it when it decrypts.
type Coupling struct {
	W, H, Depth int
	// Perm[j] is the plain position encrypted into cipher position j, or -1
	// where the attack could not place one.
	Perm []int
	// Located is the number of cipher positions the attack placed; Complete
	// reports that it placed all of them and every consistency check of the
	// model passed (the spill compensation cancelled exactly).
	Located  int
	Complete bool
	// Queries is the number of chosen plaintexts spent on the permutation;
	// each Decrypt spends DecryptQueries more.
	Queries int

	enc  PixelOracle
	base []uint16 // E(all zero)
	mask uint16
}

// DecryptQueries is the number of adaptive chosen plaintexts one
// Coupling.Decrypt call encrypts.
const DecryptQueries = 2

// tagQueries is the number of differently tagged queries per batch in
// step 1: a cipher cell is matched to a plain position only if all of them
// agree, so a chance match needs two further coincidences of probability
// 2^-depth each.
const tagQueries = 3

// maxPasses bounds step 1's passes over the still unplaced positions; it
// ends early when the first pass places nothing (the cipher is outside the
// model) or maxStalls passes in a row place nothing (the last few
// positions can collide with a neighbour in a pass by bad luck).
const (
	maxPasses = 32
	maxStalls = 3
)

// isA reports whether cipher position j is in the checkerboard colour that
// the first coupling layer writes ((x+y) even, cipherimg's layer 0).
func isA(j, w int) bool { return (j/w+j%w)%2 == 0 }

// CouplingAttack recovers the permutation of a w x h cipher of depth 8 or
// 16 behind enc, for the model described at Coupling. rng shuffles the
// batches and draws the impulse values.
//
// Step 1 places the plain positions that land on A. An impulse of value v
// at plain position p changes cipher cell pi(p) by exactly v when pi(p) is
// in A (A' = A + f0(B) and no later layer writes A), and spills only into
// B. Impulses are batched, k = n/128 at a time (at most 2^depth - 1) with
// distinct values, so each changed A cell names its impulse by value; the
// batch is encrypted tagQueries times with independent values and a cell is
// placed only if every query names the same position. An A-landing impulse
// that a B-landing one in its batch disturbs (its f0 spill reaches cells
// within distance 2) is simply retried in the next pass over the unplaced
// positions, until all of A is placed. After each pass one query checks
// every new placement at once (see verify), which weeds out chance
// matches. A first pass that keeps none ends the attack: the cipher is
// outside the model.
//
// Step 2 places the rest, which land on B, all at once: it writes a
// base-2^depth digit of each position's index into those positions,
// encrypts, reads the spill f0(B) - f0(0) off every A cell, and encrypts
// again with the A-landing positions set to minus that spill. Now A' equals
// A' of the all-zero image, so f1 sees the same input and every B cell
// changes by exactly the digit of the position that landed there; there is
// nothing left to collide. Two queries per digit.
func CouplingAttack(enc PixelOracle, w, h, depth int, rng *rand.Rand) (*Coupling, error) {
	if depth != 8 && depth != 16 {
		return nil, fmt.Errorf("attacks: coupling attack: depth %d, want 8 or 16", depth)
	}
	n := w * h
	if w < 1 || h < 1 {
		return nil, fmt.Errorf("attacks: coupling attack: size %dx%d", w, h)
	}
	m := 1 << depth
	c := &Coupling{W: w, H: h, Depth: depth, Perm: make([]int, n), enc: enc, mask: uint16(m - 1)}
	for j := range c.Perm {
		c.Perm[j] = -1
	}
	query := func(px []uint16) ([]uint16, error) {
		out, err := enc(px)
		if err != nil {
			return nil, fmt.Errorf("attacks: coupling attack: query %d: %w", c.Queries+1, err)
		}
		if len(out) != n {
			return nil, fmt.Errorf("attacks: coupling attack: cipher has %d pixels, want %d", len(out), n)
		}
		c.Queries++
		return out, nil
	}
	var err error
	if c.base, err = query(make([]uint16, n)); err != nil {
		return nil, err
	}
	var cellsA, cellsB []int
	for j := range n {
		if isA(j, w) {
			cellsA = append(cellsA, j)
		} else {
			cellsB = append(cellsB, j)
		}
	}
	where := make([]int, n) // plain position -> cipher position, -1 unplaced
	for i := range where {
		where[i] = -1
	}

	// Step 1: impulses, batched and tagged, place the A-landing positions.
	k := min(max(n/128, 1), m-1)
	lookup := make([][]int32, tagQueries) // impulse value -> index in batch, -1 none
	for q := range lookup {
		lookup[q] = make([]int32, m)
		for v := range lookup[q] {
			lookup[q][v] = -1
		}
	}
	tags := make([][]uint16, tagQueries)
	px := make([]uint16, n)
	placedA, stalls := 0, 0
	for pass := 0; placedA < len(cellsA) && pass < maxPasses; pass++ {
		var todo []int
		for i, j := range where {
			if j < 0 {
				todo = append(todo, i)
			}
		}
		rng.Shuffle(len(todo), func(a, b int) { todo[a], todo[b] = todo[b], todo[a] })
		var newly []int // cells placed in this pass, not yet verified
		for start := 0; start < len(todo); start += k {
			batch := todo[start:min(start+k, len(todo))]
			diffs := make([][]uint16, tagQueries)
			for q := range tagQueries {
				tags[q] = distinctNonzero(rng, len(batch), m)
				clear(px)
				for b, i := range batch {
					px[i] = tags[q][b]
					lookup[q][tags[q][b]] = int32(b)
				}
				out, err := query(px)
				if err != nil {
					return nil, err
				}
				diffs[q] = out
			}
			claims := make(map[int]int, len(batch)) // batch index -> cell, -1 if claimed twice
			var order []int
			for _, j := range cellsA {
				if c.Perm[j] >= 0 {
					continue
				}
				b := int32(-1)
				for q := range tagQueries {
					v := (diffs[q][j] - c.base[j]) & c.mask
					bq := lookup[q][v]
					if bq < 0 || q > 0 && bq != b {
						b = -1
						break
					}
					b = bq
				}
				if b < 0 {
					continue
				}
				if _, dup := claims[int(b)]; dup {
					claims[int(b)] = -1
					continue
				}
				claims[int(b)] = j
				order = append(order, int(b))
			}
			for _, b := range order {
				if j := claims[b]; j >= 0 {
					c.Perm[j], where[batch[b]] = batch[b], j
					newly = append(newly, j)
				}
			}
			for q := range tagQueries {
				for _, v := range tags[q] {
					lookup[q][v] = -1
				}
			}
		}
		kept, err := c.verify(query, newly, where, cellsA, rng)
		if err != nil {
			return nil, err
		}
		placedA += kept
		if kept > 0 {
			stalls = 0
		} else if stalls++; placedA == 0 || stalls == maxStalls {
			break
		}
	}
	c.Located = placedA
	if placedA < len(cellsA) {
		return c, nil // the model does not fit: no full recovery
	}

	// Step 2: index digits with the spill on A compensated place the rest.
	var rest []int
	for i, j := range where {
		if j < 0 {
			rest = append(rest, i)
		}
	}
	if len(rest) != len(cellsB) {
		return c, nil
	}
	digits := 1
	for span := m; span < len(rest); span *= m {
		digits++
	}
	acc := make([]int, n)
	consistent := true
	for d := range digits {
		shift := uint(depth * d)
		clear(px)
		for r, i := range rest {
			px[i] = uint16(r>>shift) & c.mask
		}
		out, err := query(px)
		if err != nil {
			return nil, err
		}
		for _, j := range cellsA { // cancel the spill f0(B) - f0(0)
			px[c.Perm[j]] = (c.base[j] - out[j]) & c.mask
		}
		if out, err = query(px); err != nil {
			return nil, err
		}
		for _, j := range cellsA {
			if out[j] != c.base[j] {
				consistent = false
			}
		}
		for _, j := range cellsB {
			acc[j] |= int((out[j]-c.base[j])&c.mask) << shift
		}
	}
	used := make([]bool, len(rest))
	for _, j := range cellsB {
		if r := acc[j]; r < len(rest) && !used[r] {
			used[r] = true
			c.Perm[j] = rest[r]
			c.Located++
		}
	}
	c.Complete = consistent && c.Located == n
	return c, nil
}

// verify checks the cells placed in one pass of step 1 with one query that
// sets every newly placed plain position to a random nonzero value: if each
// lands where it was placed, on A, the A cells change by exactly those
// values and nothing else (A' = A + f0(B), B untouched). A chance match
// that placed a B-landing position shows up as a wrong value at its cell,
// and its spill as wrong values around its true cell. Placements at wrong
// cells are undone (true ones caught by a neighbour's spill are retried in
// the next pass) and the rest verified again, until one query is clean;
// it returns the number kept.
func (c *Coupling) verify(query func([]uint16) ([]uint16, error), newly, where, cellsA []int, rng *rand.Rand) (int, error) {
	n := len(c.Perm)
	want := make([]uint16, n)
	px := make([]uint16, n)
	for round := 0; len(newly) > 0; round++ {
		clear(px)
		copy(want, c.base)
		for _, j := range newly {
			v := uint16(1 + rng.IntN(int(c.mask)))
			px[c.Perm[j]] = v
			want[j] = (want[j] + v) & c.mask
		}
		out, err := query(px)
		if err != nil {
			return 0, err
		}
		bad := false
		for _, j := range cellsA {
			if out[j] != want[j] {
				bad = true
				break
			}
		}
		if !bad {
			return len(newly), nil
		}
		kept := newly[:0]
		for _, j := range newly {
			if out[j] == want[j] && round < maxVerify-1 {
				kept = append(kept, j)
				continue
			}
			where[c.Perm[j]], c.Perm[j] = -1, -1
		}
		newly = kept
	}
	return 0, nil
}

// maxVerify bounds the verification queries of one pass; after it every
// placement of the pass is undone.
const maxVerify = 8

// distinctNonzero draws k distinct values from [1, m) in random order.
func distinctNonzero(rng *rand.Rand, k, m int) []uint16 {
	if k > m-1 {
		panic("attacks: more tags than values")
	}
	out := make([]uint16, 0, k)
	seen := make(map[int]bool, k)
	for len(out) < k {
		v := 1 + rng.IntN(m-1)
		if !seen[v] {
			seen[v] = true
			out = append(out, uint16(v))
		}
	}
	return out
}

// Decrypt recovers the plaintext of a cipher image the attack never saw,
// encrypted under the same key and nonce as the queries, with
// DecryptQueries adaptive chosen plaintexts. With the permutation known the
// attacker can put any value in any cell of the permuted grid:
//
//  1. encrypt A = A'_c - f0(0) (f0(0) is A' of the all-zero image), B = 0:
//     its A' is A'_c, so its B' is f1(A'_c), and B = B'_c - f1(A'_c);
//  2. encrypt A = 0 and that B: its A' is f0(B), and A = A'_c - f0(B).
//
// Positions the attack could not place stay 0.
func (c *Coupling) Decrypt(cipher []uint16) ([]uint16, error) {
	n := c.W * c.H
	if len(cipher) != n {
		return nil, fmt.Errorf("attacks: coupling attack: cipher has %d pixels, want %d", len(cipher), n)
	}
	px := make([]uint16, n)
	plain := make([]uint16, n)
	for j, i := range c.Perm {
		if i >= 0 && isA(j, c.W) {
			px[i] = (cipher[j] - c.base[j]) & c.mask
		}
	}
	r1, err := c.enc(px)
	if err == nil && len(r1) != n {
		err = fmt.Errorf("cipher has %d pixels, want %d", len(r1), n)
	}
	if err != nil {
		return nil, fmt.Errorf("attacks: coupling attack: decryption query 1: %w", err)
	}
	clear(px)
	for j, i := range c.Perm {
		if i >= 0 && !isA(j, c.W) {
			px[i] = (cipher[j] - r1[j]) & c.mask
			plain[i] = px[i]
		}
	}
	r2, err := c.enc(px)
	if err == nil && len(r2) != n {
		err = fmt.Errorf("cipher has %d pixels, want %d", len(r2), n)
	}
	if err != nil {
		return nil, fmt.Errorf("attacks: coupling attack: decryption query 2: %w", err)
	}
	for j, i := range c.Perm {
		if i >= 0 && isA(j, c.W) {
			plain[i] = (cipher[j] - r2[j]) & c.mask
		}
	}
	return plain, nil
}
