package breaks

import (
	"context"
	"errors"
	"fmt"
	"image"

	"github.com/medqr/medqr/attacks/oracle"
	"github.com/medqr/medqr/cipherimg"
)

// MalleabilityCCA is the chosen-ciphertext attack on any cipher image
// without authentication whose decryption spreads a changed cipher pixel
// over only part of the image: it flips the low bit of one target pixel at
// three places far apart, has each altered image decrypted (none is the
// target, and each keeps the target's header, nonce included), and takes
// the per-pixel majority of the three answers. Where the damaged regions
// do not overlap the majority is the plaintext.
//
// It is why medqr's product seals with an AEAD: a fresh nonce per image
// defeats the chosen- and known-plaintext attacks, but the nonce travels
// with the cipher image, so a receiver that decrypts whatever it is sent
// decrypts under it. The attacker cannot confirm the result through the
// encryption oracle (that would need the same nonce), so nothing is
// claimed; the harness measures the recovered fraction against the truth.
var MalleabilityCCA Attack = &attack{
	name:   "malleability-cca",
	model:  ChosenCiphertext,
	source: "generic: malleability of unauthenticated ciphers (the reason for AEAD); designed here for cipher images",
	run:    breakMalleability,
}

func breakMalleability(ctx context.Context, o oracle.Oracle, target Target) (image.Image, string, error) {
	t, w, h, depth := target.Px, target.W, target.H, target.Depth
	n := len(t)
	var answers [3][]uint16
	for k := range answers {
		q := append([]uint16(nil), t...)
		q[k*n/3] ^= 1
		p, err := decryptQuery(ctx, o, q, target)
		if errors.Is(err, oracle.ErrNoDecryption) {
			return nil, noDecryption, nil
		}
		if errors.Is(err, oracle.ErrTarget) {
			return nil, "an altered image equals the target (1 pixel image)", nil
		}
		if err != nil {
			return nil, "", err
		}
		answers[k] = p
	}
	out := make([]uint16, n)
	agree := 0
	for i := range out {
		a, b, c := answers[0][i], answers[1][i], answers[2][i]
		switch {
		case a == b || a == c:
			out[i] = a
		default:
			out[i] = b
		}
		if a == b && b == c {
			agree++
		}
	}
	return cipherimg.ToImage(out, w, h, depth), fmt.Sprintf("majority of three decryptions of the target with one bit flipped (all three agree on %.2f %% of pixels)", 100*float64(agree)/float64(n)), nil
}
