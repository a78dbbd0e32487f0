package breaks

import (
	"context"
	"fmt"
	"image"

	"github.com/medqr/medqr/attacks/oracle"
	"github.com/medqr/medqr/cipherimg"
)

// PermutationCPA is the chosen-plaintext attack on permutation-only image
// ciphers (Li, Li, Chen, Bourbakis, "A general quantitative cryptanalysis
// of permutation-only multimedia ciphers against plaintext attacks",
// Signal Processing: Image Communication 23(3), 2008; Jolfaei, Wu,
// Muthukkumarasamy, "On the security of permutation-only image encryption
// schemes", IEEE TIFS 11(2), 2016). Chosen image k (k = 0..t-1, t =
// ceil(log_{2^d}(MN)), two images for 256x256 at 8 bits) holds at pixel j
// the k-th base-2^d digit of j; the cipher pixel at position i then spells
// the source index of position i, so the whole permutation comes out of t
// queries and the target is put back in place.
var PermutationCPA Attack = &attack{
	name:   "permutation-cpa",
	model:  ChosenPlaintext,
	source: "Li et al. 2008 (Signal Process. Image Commun. 23(3)); Jolfaei et al. 2016 (IEEE TIFS 11(2))",
	run:    breakPermutation,
}

func breakPermutation(ctx context.Context, o oracle.Oracle, target Target) (image.Image, string, error) {
	c, w, h, depth := target.Px, target.W, target.H, target.Depth
	src, err := recoverSources(ctx, o, w, h, depth, func(c []uint16) []uint16 { return c })
	if err != nil {
		return nil, "", err
	}
	if src == nil {
		return nil, "the chosen images did not spell a permutation: the scheme is not permutation-only", nil
	}
	return place(c, src, w, h, depth), fmt.Sprintf("permutation of %d positions from %d chosen images", w*h, digits(w*h, depth)), nil
}

// DiffusionStripCPA breaks one round of permutation followed by chained
// additive diffusion with a fixed key, c[i] = q[i] + k[i] + c[i-1]
// (mod 2^d), q the permuted plaintext (package cipherimg/logistic). The
// differences c[i] - c[i-1] equal q[i] + k[i]; the all-zero image gives
// k[i] (its q is zero whatever the permutation), which strips the diffusion
// off every cipher image and leaves a permutation-only cipher for
// PermutationCPA's digit images: 1 + ceil(log_{2^d}(MN)) chosen images.
// This is the classic break of one-round Fridrich-style ciphers (e.g.
// Solak, Cokal, Yildiz, Biyikoglu, IJBC 20(5), 2010, and Li et al. 2008).
var DiffusionStripCPA Attack = &attack{
	name:   "diffusion-strip-cpa",
	model:  ChosenPlaintext,
	source: "Solak et al. 2010 (IJBC 20(5)); Li et al. 2008: differential stripping of one-round additive diffusion, then the permutation-only attack",
	run:    breakDiffusionStrip,
}

func breakDiffusionStrip(ctx context.Context, o oracle.Oracle, target Target) (image.Image, string, error) {
	c, w, h, depth := target.Px, target.W, target.H, target.Depth
	mask := uint16(1<<depth - 1)
	zc, err := o.Encrypt(cipherimg.ToImage(make([]uint16, w*h), w, h, depth))
	if err != nil {
		return nil, "", err
	}
	z, _, _, _, err := cipherimg.Pixels(zc.Image)
	if err != nil {
		return nil, "", err
	}
	kz := diffs(z, mask)
	strip := func(c []uint16) []uint16 {
		d := diffs(c, mask)
		for i := range d {
			d[i] = (d[i] - kz[i]) & mask
		}
		return d
	}
	src, err := recoverSources(ctx, o, w, h, depth, strip)
	if err != nil {
		return nil, "", err
	}
	if src == nil {
		return nil, "after stripping the diffusion the digit images did not spell a permutation", nil
	}
	return place(strip(c), src, w, h, depth), fmt.Sprintf("keystream from the all-zero image, permutation of %d positions from %d digit images", w*h, digits(w*h, depth)), nil
}

// diffs returns c[i] - c[i-1] (mod 2^d) with c[-1] = 0.
func diffs(c []uint16, mask uint16) []uint16 {
	d := make([]uint16, len(c))
	var prev uint16
	for i, v := range c {
		d[i] = (v - prev) & mask
		prev = v
	}
	return d
}

// digits is ceil(log_{2^depth}(n)): the number of chosen images that give
// every position a distinct digit string.
func digits(n, depth int) int {
	t := 0
	for capacity := 1; capacity < n; capacity <<= depth {
		t++
	}
	return t
}

// recoverSources queries the digit images and returns src with
// strip(cipher)[i] = plain[src[i]], or nil when the answers are not a
// permutation.
func recoverSources(ctx context.Context, o oracle.Oracle, w, h, depth int, strip func([]uint16) []uint16) ([]int, error) {
	n := w * h
	mask := 1<<depth - 1
	src := make([]int, n)
	for k := range digits(n, depth) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		px := make([]uint16, n)
		for j := range px {
			px[j] = uint16(j >> (depth * k) & mask)
		}
		ci, err := o.Encrypt(cipherimg.ToImage(px, w, h, depth))
		if err != nil {
			return nil, err
		}
		c, _, _, _, err := cipherimg.Pixels(ci.Image)
		if err != nil {
			return nil, err
		}
		for i, v := range strip(c) {
			src[i] |= int(v) << (depth * k)
		}
	}
	seen := make([]bool, n)
	for _, s := range src {
		if s >= n || seen[s] {
			return nil, nil
		}
		seen[s] = true
	}
	return src, nil
}

// place puts q[i] back at plain position src[i].
func place(q []uint16, src []int, w, h, depth int) image.Image {
	p := make([]uint16, len(q))
	for i, s := range src {
		p[s] = q[i]
	}
	return cipherimg.ToImage(p, w, h, depth)
}
