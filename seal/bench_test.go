package seal

import (
	"fmt"
	"github.com/medqr/medqr/internal/cputime"
	"testing"
)

// BenchmarkSealOpen seals and opens a 256x256 8-bit image's worth of payload
// (65,536 bytes) split over level-M symbols, per AEAD and key mode.
func BenchmarkSealOpen(b *testing.B) {
	payload := randBytes(256 * 256)
	capacity := capacities['M']
	k, _ := GenerateKey()
	idX, idPQ := newIdentity(b, SuiteX25519), newIdentity(b, SuiteMLKEM768X25519)
	for _, a := range []AEAD{ChaCha20Poly1305, AES256GCM} {
		for _, p := range []pair{
			{"key", NewKeySealer(k), KeyOpener(k)},
			{"x25519", NewRecipientSealer(idX.Recipient()), IdentityOpener(idX)},
			{"mlkem768x25519", NewRecipientSealer(idPQ.Recipient()), IdentityOpener(idPQ)},
		} {
			s := WithAEAD(p.s, a)
			b.Run(fmt.Sprintf("seal/%s/%s", a, p.name), func(b *testing.B) {
				b.SetBytes(int64(len(payload)))
				c := cputime.Start(int64(len(payload)))
				for b.Loop() {
					if _, err := SealMessage(testMeta('M'), payload, capacity, s); err != nil {
						b.Fatal(err)
					}
				}
				c.Report(b)
			})
			cs, _ := SealMessage(testMeta('M'), payload, capacity, s)
			b.Run(fmt.Sprintf("open/%s/%s", a, p.name), func(b *testing.B) {
				b.SetBytes(int64(len(payload)))
				c := cputime.Start(int64(len(payload)))
				for b.Loop() {
					if _, _, err := OpenMessage(cs, p.o); err != nil {
						b.Fatal(err)
					}
				}
				c.Report(b)
			})
		}
	}
}

// BenchmarkArgon2Default is the cost of one passphrase seal or open with
// the default RFC 9106 parameters (64 MiB, 3 passes, 4 lanes).
func BenchmarkArgon2Default(b *testing.B) {
	salt := make([]byte, MessageIDSize)
	c := cputime.Start(0)
	for b.Loop() {
		argon2Key("correct horse battery staple", salt, DefaultArgon2)
	}
	c.Report(b)
}
