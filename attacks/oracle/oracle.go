// Package oracle is the attacker's whole view of a key: an Oracle encrypts
// plaintexts of the attacker's choosing, hands out known plaintext/cipher
// pairs and, where the attack model is chosen-ciphertext, decrypts cipher
// images other than the target. This package holds only the interface and
// its errors; the key lives in package oracle/keyed, which attack code
// (package attacks/breaks) never imports — a test there checks it.
package oracle

import (
	"errors"
	"image"

	"github.com/medqr/medqr/cipherimg"
)

// Oracle answers queries under one secret key of one scheme. Every answer
// is counted. Plaintexts and recovered images are *image.Gray or
// *image.Gray16 of the target's size and depth.
type Oracle interface {
	// Scheme is the name of the scheme under attack (public: Kerckhoffs).
	Scheme() string
	// Encrypt returns the cipher image of a plaintext chosen by the
	// attacker, under the key; schemes with a nonce get one by the oracle's
	// nonce policy (NonceReused says which).
	Encrypt(img image.Image) (*cipherimg.Cipher, error)
	// Decrypt returns the plaintext of a cipher image chosen by the
	// attacker. It refuses the target itself (ErrTarget) and answers
	// ErrNoDecryption when the attack model gives no decryption oracle.
	Decrypt(c *cipherimg.Cipher) (image.Image, error)
	// Known returns the i-th known pair (0, 1, ...): a plaintext the
	// attacker did not choose, of the target's size and depth, and its
	// cipher image. ErrNoKnown when the oracle holds no more.
	Known(i int) (image.Image, *cipherimg.Cipher, error)
	// NonceReused reports whether Encrypt and Known reuse the target's nonce
	// (a user who fixes the nonce) rather than drawing fresh ones. Schemes
	// without a nonce reuse their keystream either way.
	NonceReused() bool
	// Counts reports the queries answered so far.
	Counts() Counts
}

// Counts are the queries an attack used.
type Counts struct {
	Encryptions int `json:"chosen_plaintexts"`
	Decryptions int `json:"chosen_ciphertexts"`
	Known       int `json:"known_pairs"`
}

// Errors an Oracle returns.
var (
	ErrTarget       = errors.New("oracle: refusing to decrypt the target")
	ErrNoDecryption = errors.New("oracle: no decryption oracle in this attack model")
	ErrNoKnown      = errors.New("oracle: no more known plaintexts")
)
