package breaks

import (
	"context"
	"image"

	"github.com/medqr/medqr/attacks/oracle"
	"github.com/medqr/medqr/cipherimg"
)

// KeystreamReuse is the generic known-plaintext attack on a cipher that
// combines the pixels with a keystream fixed by the key alone (the same
// for every image): from one known pair (p1, c1) of the target's size it
// takes the keystream k = c1 XOR p1 and decrypts the target as c XOR k; it
// also tries the additive combination, k = c1 - p1 and p = c - k (mod
// 2^depth). One known pair decrypts every other cipher image. Run verifies
// the candidate through the oracle, so a scheme that permutes, diffuses or
// uses a fresh nonce per image leaves the attack with no claim.
//
// It suits any scheme whose whole encryption is "pixel XOR (or +) a
// key-only keystream image": register it for such a scheme with
//
//	breaks.Register("myscheme", breaks.KeystreamReuse)
//
// Known pairs and oracle queries used: one known pair, plus up to two
// chosen plaintexts (the XOR and additive candidates) for the check inside
// Break and one more in Run's verification. Without a candidate that
// re-encrypts to the target it returns none.
var KeystreamReuse Attack = &attack{
	name:   "keystream-reuse-kpa",
	model:  KnownPlaintext,
	source: "two-time pad; keystream reuse across images (e.g. Li et al. 2008 on fixed-key image ciphers)",
	run:    breakKeystreamReuse,
}

func breakKeystreamReuse(_ context.Context, o oracle.Oracle, target Target) (image.Image, string, error) {
	c, w, h, depth := target.Px, target.W, target.H, target.Depth
	p1, k1, ok, err := knownPair(o, 0, target)
	if err != nil {
		return nil, "", err
	}
	if !ok {
		return nil, "no known pair available", nil
	}
	mask := uint16(1<<depth - 1)
	xor := make([]uint16, len(c))
	add := make([]uint16, len(c))
	for i := range c {
		xor[i] = c[i] ^ k1[i] ^ p1[i]
		add[i] = (c[i] - (k1[i] - p1[i])) & mask
	}
	for _, cand := range []struct {
		px   []uint16
		note string
	}{
		{xor, "XOR keystream from one known pair decrypts the target"},
		{add, "additive keystream from one known pair decrypts the target"},
	} {
		img := cipherimg.ToImage(cand.px, w, h, depth)
		ok, err := Verify(o, img, target.Cipher)
		if err != nil {
			return nil, "", err
		}
		if ok {
			return img, cand.note, nil
		}
	}
	return nil, "neither the XOR nor the additive keystream of the known pair re-encrypts the candidate to the target: no keystream reuse to exploit", nil
}
