package learnedtest_test

import (
	"crypto/aes"
	"crypto/cipher"
	"testing"

	"github.com/medqr/medqr/cipherimg"
	"github.com/medqr/medqr/cipherimg/deepkeygen"
	"github.com/medqr/medqr/cipherimg/internal/learnedtest"
	"github.com/medqr/medqr/cipherimg/lstm"
	"github.com/medqr/medqr/cipherimg/sae"
)

// BenchmarkEncrypt256 encrypts one 256x256 8-bit image with each learned
// baseline, beside AES-256-CTR (what a user would otherwise pick), in one
// run so the shared machine's load hits all alike. "fresh-key" changes the
// key every time (the network runs: the first image under a key);
// "same-key" repeats the key (the schemes keep the last key's keystream:
// every further image).
func BenchmarkEncrypt256(b *testing.B) {
	const w, h = 256, 256
	plain := learnedtest.Plain(1, w*h)
	for _, s := range []cipherimg.Scheme{deepkeygen.Scheme, sae.Scheme, lstm.Scheme} {
		for _, fresh := range []bool{true, false} {
			name := s.Name() + "/same-key"
			if fresh {
				name = s.Name() + "/fresh-key"
			}
			b.Run(name, func(b *testing.B) {
				k := cipherimg.Keying{Key: learnedtest.TestKey()}
				px := make([]uint16, len(plain))
				b.SetBytes(w * h)
				if !fresh {
					// Warm the scheme's cache outside the timed loop.
					copy(px, plain)
					if err := s.Encrypt(&k, px, w, h, 8); err != nil {
						b.Fatal(err)
					}
				}
				i := 0
				for b.Loop() {
					if fresh {
						i++
						k.Key[0], k.Key[1], k.Key[2] = byte(i), byte(i>>8), byte(i>>16)
					}
					copy(px, plain)
					if err := s.Encrypt(&k, px, w, h, 8); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
	b.Run("aes256ctr", func(b *testing.B) {
		key := learnedtest.TestKey()
		blk, _ := aes.NewCipher(key[:])
		iv := make([]byte, aes.BlockSize)
		buf := learnedtest.Bytes(plain)
		b.SetBytes(w * h)
		for b.Loop() {
			cipher.NewCTR(blk, iv).XORKeyStream(buf, buf)
		}
	})
}
