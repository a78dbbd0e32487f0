package yang2023_test

import (
	"testing"

	"github.com/medqr/medqr/cipherimg"
	"github.com/medqr/medqr/cipherimg/internal/schemetest"
	"github.com/medqr/medqr/cipherimg/yang2023"
)

func BenchmarkEncrypt256(b *testing.B) {
	px, w, h, d, _ := cipherimg.Pixels(schemetest.Noise(1, 256, 256, 8))
	b.SetBytes(int64(len(px)))
	for b.Loop() {
		k := cipherimg.Keying{Key: schemetest.Key(1)}
		if err := (yang2023.Scheme{}).Encrypt(&k, px, w, h, d); err != nil {
			b.Fatal(err)
		}
	}
}
