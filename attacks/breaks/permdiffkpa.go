package breaks

import (
	"context"
	"fmt"
	"image"

	"github.com/medqr/medqr/attacks/oracle"
)

// PermDiffusionKPA is a known-plaintext attack, designed here for the sae
// baseline, on one round of a key-only permutation followed by chained
// additive diffusion, c_i = q_i + k_i + c_{i-1} (mod 2^d), q_i = p_{pi(i)}
// (cipherimg/sae; the same structure as cipherimg/logistic). It needs no
// chosen plaintext, only m known pairs (p^j, c^j) of the target's size:
//
//  1. d^j_i = c^j_i - c^j_{i-1} = p^j_{pi(i)} + k_i (c_{-1} = 0 folds the
//     initial value into k_0);
//  2. for j >= 1, e^j_i = d^j_i - d^0_i = p^j_{pi(i)} - p^0_{pi(i)}: the
//     keystream cancels, leaving a difference that travels with its source
//     pixel. Position i's signature (e^1_i, ..., e^{m-1}_i) must equal
//     source s's signature (p^1_s - p^0_s, ...): where that signature is
//     unique among the sources, pi(i) = s;
//  3. k_i = d^0_i - p^0_{pi(i)}, and any cipher image under the key
//     decrypts: q = d - k, p_{pi(i)} = q_i.
//
// With plaintexts that behave like independent uniform bytes, N positions
// need about m - 1 >= 2 log_256 N difference images for the N^2/2 pairs of
// signatures not to collide: m = 5 known pairs for 256x256. Natural images
// (smooth regions, equal pixels in every known image) leave some sources
// with shared signatures; sources that share a signature are assigned in
// order, which is right wherever the target's pixels also agree there, so
// the note reports the share of positions whose source was unique, and Run
// verifies the candidate through the oracle before anything is claimed.
var PermDiffusionKPA Attack = &attack{
	name:   "perm-diffusion-kpa",
	model:  KnownPlaintext,
	source: "designed for medqr (sae): keystream cancellation by differencing known pairs, then source matching by difference signatures",
	run:    breakPermDiffusion,
}

// maxKnownPDK bounds how many known pairs the attack asks for.
const maxKnownPDK = 16

func breakPermDiffusion(ctx context.Context, o oracle.Oracle, target Target) (image.Image, string, error) {
	c, w, h, depth := target.Px, target.W, target.H, target.Depth
	n := len(c)
	mask := uint16(1<<depth - 1)
	var ps, ds [][]uint16
	for i := 0; i < maxKnownPDK; i++ {
		if err := ctx.Err(); err != nil {
			return nil, "", err
		}
		p, cc, ok, err := knownPair(o, i, target)
		if err != nil {
			return nil, "", err
		}
		if !ok {
			break
		}
		ps, ds = append(ps, p), append(ds, diffs(cc, mask))
	}
	if len(ps) < 2 {
		return nil, fmt.Sprintf("%d known pair(s): the attack needs at least 2 (about 1 + 2 log_256 N for uniform-looking images)", len(ps)), nil
	}
	m := len(ps)
	// Signatures as strings of the m-1 differences (2 bytes each).
	sig := func(get func(j int) uint16) string {
		b := make([]byte, 0, 2*(m-1))
		for j := 1; j < m; j++ {
			v := get(j)
			b = append(b, byte(v), byte(v>>8))
		}
		return string(b)
	}
	sources := make(map[string][]int, n)
	for s := 0; s < n; s++ {
		k := sig(func(j int) uint16 { return (ps[j][s] - ps[0][s]) & mask })
		sources[k] = append(sources[k], s)
	}
	shared := make(map[string]int, len(sources))
	for k, v := range sources {
		shared[k] = len(v)
	}
	src := make([]int, n)
	unique := 0
	for i := 0; i < n; i++ {
		k := sig(func(j int) uint16 { return (ds[j][i] - ds[0][i]) & mask })
		cand := sources[k]
		if len(cand) == 0 {
			return nil, fmt.Sprintf("cipher position %d matches no source signature: the scheme is not one round of key-only permutation and additive diffusion", i), nil
		}
		if shared[k] == 1 {
			unique++
		}
		src[i] = cand[0]
		sources[k] = cand[1:]
	}
	d := diffs(c, mask)
	q := make([]uint16, n)
	for i := range q {
		ki := (ds[0][i] - ps[0][src[i]]) & mask
		q[i] = (d[i] - ki) & mask
	}
	return place(q, src, w, h, depth), fmt.Sprintf("%d known pairs; %d of %d sources (%.2f %%) matched by a unique difference signature",
		m, unique, n, 100*float64(unique)/float64(n)), nil
}
