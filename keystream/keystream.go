// Package keystream provides the keystreams of medqr's research cipher-image
// scheme and its baselines behind one interface, crypto/cipher.Stream:
//
//   - ChaCha20: RFC 8439 ChaCha20 (golang.org/x/crypto/chacha20) under a key
//     and nonce derived with HKDF-SHA256.
//   - Chaos: a 2-D coupled Logistic-Tent map (see chaos.go) seeded through
//     HKDF-SHA256, in float64 arithmetic written so that every processor
//     produces the same bytes (no fused multiply-add, no transcendental
//     functions).
//
// Both are research tools. A keystream alone gives no integrity, and the
// chaotic one has no security proof at all: medqr's product container
// (package seal) never uses this package.
//
// Derivation: okm = HKDF-SHA256(secret = key, salt = nonce,
// info = "medqr.org/v1/keystream/<kind>/" + label). The same (key, nonce,
// label) always gives the same stream, so a caller must never encrypt two
// different images under one triple unless it means to (the cipher-image
// scheme's sensitivity experiments do, on purpose).
package keystream

//go:generate go test -run ^TestUpdateVectors$ -update .

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
	"strings"

	"golang.org/x/crypto/chacha20"
)

// Kind selects a keystream generator.
type Kind uint8

const (
	ChaCha20 Kind = 1 // RFC 8439 ChaCha20
	Chaos    Kind = 2 // 2-D coupled Logistic-Tent map (research only)
)

// MinKeySize is the shortest key New accepts.
const MinKeySize = 16

func (k Kind) String() string {
	switch k {
	case ChaCha20:
		return "chacha20"
	case Chaos:
		return "chaos"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// ParseKind parses "chacha20" or "chaos".
func ParseKind(s string) (Kind, error) {
	switch strings.ToLower(s) {
	case "chacha20", "chacha":
		return ChaCha20, nil
	case "chaos", "chaotic":
		return Chaos, nil
	}
	return 0, fmt.Errorf("keystream: unknown kind %q: use chacha20 or chaos", s)
}

const labelPrefix = "medqr.org/v1/keystream/"

// New returns the keystream of kind for (key, nonce, label). XORKeyStream
// of the result encrypts and decrypts. key must be at least 16 bytes (32
// recommended); nonce may be any length, including empty.
func New(kind Kind, key, nonce []byte, label string) (cipher.Stream, error) {
	if len(key) < MinKeySize {
		return nil, fmt.Errorf("keystream: key is %d bytes, need at least %d", len(key), MinKeySize)
	}
	switch kind {
	case ChaCha20:
		okm, err := hkdf.Key(sha256.New, key, nonce, labelPrefix+"chacha20/"+label, chacha20.KeySize+chacha20.NonceSize)
		if err != nil {
			return nil, fmt.Errorf("keystream: HKDF failed: %w", err)
		}
		s, err := chacha20.NewUnauthenticatedCipher(okm[:chacha20.KeySize], okm[chacha20.KeySize:])
		clear(okm)
		if err != nil {
			return nil, fmt.Errorf("keystream: %w", err)
		}
		return s, nil
	case Chaos:
		okm, err := hkdf.Key(sha256.New, key, nonce, labelPrefix+"chaos/"+label, chaosSeedSize)
		if err != nil {
			return nil, fmt.Errorf("keystream: HKDF failed: %w", err)
		}
		s := newChaos(okm)
		clear(okm)
		return s, nil
	}
	return nil, fmt.Errorf("keystream: unknown kind %d", kind)
}
