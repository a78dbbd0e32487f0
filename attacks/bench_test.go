package attacks

import (
	"testing"

	"github.com/medqr/medqr/seal"
)

// BenchmarkKeyTrial is one brute-force trial against a raw-key product
// message: HKDF + ChaCha20-Poly1305 open of a 2,953-byte container.
func BenchmarkKeyTrial(b *testing.B) {
	k, _ := seal.GenerateKey()
	msg, err := seal.SealMessage(seal.Meta{Codec: 2, Width: 256, Height: 256, Depth: 8, Level: 'L'}, make([]byte, 2000), 2953, seal.NewKeySealer(k))
	if err != nil {
		b.Fatal(err)
	}
	var wrong seal.Key
	o := seal.KeyOpener(wrong)
	b.SetBytes(int64(len(msg[0])))
	for b.Loop() {
		if _, _, err := seal.OpenMessage(msg, o); err == nil {
			b.Fatal("wrong key opened")
		}
	}
}

// BenchmarkChosenPlaintext64 is the whole classical attack on a 64x64
// permutation+XOR image (258 chosen encryptions and the table inversion).
func BenchmarkChosenPlaintext64(b *testing.B) {
	rng := newRNG(1, "bench")
	key, nonce := randKey(rng), randBytes(rng, PermXOR{}.NonceSize())
	enc := FixedNonceOracle(PermXOR{}, key, nonce)
	for b.Loop() {
		if _, err := ChosenPlaintext(enc, 64, 64); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTamperTrial is one mutation plus one open of a sealed message.
func BenchmarkTamperTrial(b *testing.B) {
	rng := newRNG(2, "bench")
	k, _ := seal.GenerateKey()
	msgs, orig, err := sealedSet(rng, 4, seal.NewKeySealer(k), 1273, []int{1000, 5000})
	if err != nil {
		b.Fatal(err)
	}
	open := func(cs [][]byte) ([]byte, error) {
		_, p, err := seal.OpenMessage(cs, seal.KeyOpener(k))
		return p, err
	}
	b.ResetTimer()
	r := Tamper(rng, "bench", msgs, orig, open, classifySeal, b.N)
	if r.Accepted != 0 {
		b.Fatalf("accepted %d", r.Accepted)
	}
}

// BenchmarkCouplingAttack64 is the coupling inversion on a 64x64 image of
// cipherimg with diffusion off: recovering the permutation (about a
// thousand chosen encryptions) and decrypting one unseen image.
func BenchmarkCouplingAttack64(b *testing.B) {
	rng := newRNG(1, "bench")
	key, nonce := randKey(rng), randBytes(rng, 16)
	s := Research{NoDiffusion: true}
	enc := GrayOracle(FixedNonceOracle(s, key, nonce), 64, 64)
	secret := make([]uint16, 64*64)
	for i := range secret {
		secret[i] = uint16(rng.IntN(256))
	}
	c, err := enc(secret)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		co, err := CouplingAttack(enc, 64, 64, 8, rng)
		if err != nil {
			b.Fatal(err)
		}
		got, err := co.Decrypt(c)
		if err != nil {
			b.Fatal(err)
		}
		for i := range got {
			if got[i] != secret[i] {
				b.Fatal("not recovered")
			}
		}
		b.ReportMetric(float64(co.Queries+DecryptQueries), "queries/op")
	}
}
