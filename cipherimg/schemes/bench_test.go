package schemes_test

import (
	"crypto/aes"
	"crypto/cipher"
	"fmt"
	"image"
	"math/rand/v2"
	"testing"

	"github.com/medqr/medqr/cipherimg"
	"github.com/medqr/medqr/internal/cputime"
	"github.com/medqr/medqr/seal"
)

// BenchmarkEncrypt times every registered scheme on a 256x256 8-bit image
// beside AES-256-GCM on the same bytes (what a user would otherwise pick),
// in one run so that the shared machine's load hits them alike; cpu-MB/s
// (process CPU time) is the figure to compare on a loaded machine:
//
//	go test -run '^$' -bench . -benchtime 10x ./cipherimg/schemes
func BenchmarkEncrypt(b *testing.B) {
	const side = 256
	g := image.NewGray(image.Rect(0, 0, side, side))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range g.Pix {
		g.Pix[i] = uint8(r.UintN(256))
	}
	var key seal.Key
	b.Run("aes-256-gcm", func(b *testing.B) {
		blk, _ := aes.NewCipher(key[:])
		gcm, _ := cipher.NewGCM(blk)
		nonce := make([]byte, gcm.NonceSize())
		b.SetBytes(int64(len(g.Pix)))
		t := cputime.Start(int64(len(g.Pix)))
		for b.Loop() {
			gcm.Seal(nil, nonce, g.Pix, nil)
		}
		t.Report(b)
	})
	for _, name := range cipherimg.Names() {
		s, err := cipherimg.Lookup(name)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("%s/%dx%d", name, side, side), func(b *testing.B) {
			if _, err := cipherimg.EncryptWith(s, g, key, nil); err != nil { // warm any cache
				b.Fatal(err)
			}
			b.SetBytes(int64(len(g.Pix)))
			t := cputime.Start(int64(len(g.Pix)))
			for b.Loop() {
				if _, err := cipherimg.EncryptWith(s, g, key, nil); err != nil {
					b.Fatal(err)
				}
			}
			t.Report(b)
		})
	}
}
