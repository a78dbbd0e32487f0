package breaks

import (
	"context"
	"errors"
	"image"
	"slices"

	"github.com/medqr/medqr/attacks/oracle"
	"github.com/medqr/medqr/cipherimg"
)

// AffineCCA is a chosen-ciphertext attack on ciphers whose decryption,
// for the key and the header the target carries (its nonce, its plaintext
// hash), is an affine map over GF(2): every step a permutation of pixels
// or bits, or an XOR with keystream or with a neighbouring pixel. Then
// D(a) XOR D(b) XOR D(c) = D(a XOR b XOR c) for any three cipher images
// under that header, so three decryptions of images that are not the
// target — a = T XOR A, b = A XOR B, c = B for two fixed masks A, B —
// give D(T) without ever asking for it.
//
// It is the attack on yang2023: its keys depend on a SHA-512 hash of the
// plaintext, which must travel with the cipher image so the receiver can
// decrypt. The hash stops a chosen-plaintext attacker (each chosen image
// gets its own keystream), but an attacker who can have cipher images
// decrypted under the target's hash — any receiver that decrypts what it
// is sent, without authentication — gets the target's plaintext from three
// of them. Designed here (the paper claims resistance to chosen-plaintext
// attacks only); it is the standard malleability argument for
// unauthenticated XOR ciphers.
var AffineCCA Attack = &attack{
	name:   "affine-cca",
	model:  ChosenCiphertext,
	source: "designed here: GF(2)-affine decryption under a header the attacker can reuse (malleability of unauthenticated XOR ciphers)",
	run:    breakAffine,
}

func breakAffine(ctx context.Context, o oracle.Oracle, target Target) (image.Image, string, error) {
	t, w, h, depth := target.Px, target.W, target.H, target.Depth
	mask := uint16(1<<depth - 1)
	// masks A and B: fixed patterns, tried until no query equals the target
	for _, ab := range [][2]uint16{{0x55, 0xaa}, {0x0f, 0xf0}, {0x33, 0xcc}} {
		a, b := ab[0]&mask, ab[1]&mask
		qa, qb, qc := make([]uint16, len(t)), make([]uint16, len(t)), make([]uint16, len(t))
		for i, v := range t {
			qa[i], qb[i], qc[i] = v^a, a^b, b
		}
		if slices.Equal(qb, t) || slices.Equal(qc, t) {
			continue
		}
		out := make([]uint16, len(t))
		for _, q := range [][]uint16{qa, qb, qc} {
			pp, err := decryptQuery(ctx, o, q, target)
			if errors.Is(err, oracle.ErrNoDecryption) {
				return nil, noDecryption, nil
			}
			if err != nil {
				return nil, "", err
			}
			for i := range out {
				out[i] ^= pp[i]
			}
		}
		return cipherimg.ToImage(out, w, h, depth), "XOR of three decryptions under the target's header (none of them the target)", nil
	}
	return nil, "every mask pair collides with the target", nil
}
