package detnn

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"golang.org/x/crypto/chacha20"
)

// Label is the HKDF info string of one scheme parameter:
// "medqr.org/baselines/<scheme>/v1/<purpose>".
func Label(scheme, purpose string) string {
	return "medqr.org/baselines/" + scheme + "/v1/" + purpose
}

// Derive returns n bytes of HKDF-SHA256(secret = key, no salt,
// info = Label(scheme, purpose)). n is at most 255*32.
func Derive(key []byte, scheme, purpose string, n int) ([]byte, error) {
	if len(key) == 0 {
		return nil, fmt.Errorf("detnn: empty key")
	}
	b, err := hkdf.Key(sha256.New, key, nil, Label(scheme, purpose), n)
	if err != nil {
		return nil, fmt.Errorf("detnn: key derivation for %s/%s: %w", scheme, purpose, err)
	}
	return b, nil
}

// DeriveUint64s returns n 64-bit words of Derive (big-endian).
func DeriveUint64s(key []byte, scheme, purpose string, n int) ([]uint64, error) {
	b, err := Derive(key, scheme, purpose, 8*n)
	if err != nil {
		return nil, err
	}
	out := make([]uint64, n)
	for i := range out {
		out[i] = binary.BigEndian.Uint64(b[8*i:])
	}
	return out, nil
}

// DeriveStream fills dst with the ChaCha20 keystream (zero nonce) under a
// 32-byte key from Derive: for key-derived material longer than HKDF
// gives.
func DeriveStream(key []byte, scheme, purpose string, dst []byte) error {
	k, err := Derive(key, scheme, purpose, chacha20.KeySize)
	if err != nil {
		return err
	}
	c, err := chacha20.NewUnauthenticatedCipher(k, make([]byte, chacha20.NonceSize))
	if err != nil {
		return fmt.Errorf("detnn: %w", err)
	}
	clear(dst)
	c.XORKeyStream(dst, dst)
	return nil
}
