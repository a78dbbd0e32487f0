package cipherimg_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
	"github.com/medqr/medqr/internal/cputime"
	"github.com/medqr/medqr/internal/testimg"
	"image"
	mrand "math/rand"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"testing/quick"

	"github.com/medqr/medqr/cipherimg"
	"github.com/medqr/medqr/keystream"
	"github.com/medqr/medqr/seal"
)

var testKey = seal.Key{0: 0x4d, 1: 0x45, 2: 0x44, 31: 0x51}

var kinds = []struct {
	name string
	kind keystream.Kind
}{
	{"chacha20", keystream.ChaCha20},
	{"chaos", keystream.Chaos},
}

func samePixels(a, b image.Image) bool { return testimg.SamePixels(a, b) == nil }

func roundTrip(t *testing.T, img image.Image, o cipherimg.Options) *cipherimg.Cipher {
	t.Helper()
	c, err := cipherimg.Encrypt(img, testKey, o)
	if err != nil {
		t.Fatalf("encrypt: %v", err)
	}
	if _, same := c.Image.(*image.Gray); same != isGray(img) {
		t.Fatalf("cipher image type %T for input %T", c.Image, img)
	}
	back, err := cipherimg.Decrypt(c, testKey)
	if err != nil {
		t.Fatalf("decrypt: %v", err)
	}
	if !samePixels(back, img) {
		t.Fatalf("decrypt(encrypt(x)) != x for %T %v, options %+v", img, img.Bounds(), o)
	}
	return c
}

func isGray(img image.Image) bool { _, ok := img.(*image.Gray); return ok }

func TestRoundTripSizes(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	sizes := [][2]int{{1, 1}, {1, 2}, {2, 1}, {1, 255}, {255, 1}, {3, 3}, {7, 5}, {31, 17}, {255, 257}, {256, 256}}
	for _, k := range kinds {
		for _, depth := range []int{8, 16} {
			for _, sz := range sizes {
				t.Run(fmt.Sprintf("%s/%d-bit/%dx%d", k.name, depth, sz[0], sz[1]), func(t *testing.T) {
					img := testimg.Noise(rng, sz[0], sz[1], depth)
					c := roundTrip(t, img, cipherimg.Options{Keystream: k.kind})
					if sz[0]*sz[1] >= 64 && samePixels(c.Image, img) {
						t.Fatal("cipher image equals the plaintext")
					}
				})
			}
		}
	}
}

func TestRoundTrip2048(t *testing.T) {
	if testing.Short() {
		t.Skip("2048x2048 round trip skipped in -short mode")
	}
	rng := rand.New(rand.NewPCG(8, 8))
	roundTrip(t, testimg.Noise(rng, 2048, 2048, 8), cipherimg.Options{Keystream: keystream.ChaCha20})
}

// TestRoundTripProperty draws random sizes, depths, keystreams and options.
func TestRoundTripProperty(t *testing.T) {
	f := func(seed uint64, w, h uint8, wide bool, chaos bool, flags uint8, rounds, layers uint8) bool {
		depth := 8
		if wide {
			depth = 16
		}
		r := rand.New(rand.NewPCG(seed, 1))
		img := testimg.Noise(r, int(w%48)+1, int(h%48)+1, depth)
		o := cipherimg.Options{
			Keystream:     keystream.ChaCha20,
			NoPermutation: flags&1 != 0, NoNetwork: flags&2 != 0, NoDiffusion: flags&4 != 0,
			Rounds: int(rounds%3) + 1, Layers: int(layers%5) + 1,
		}
		if chaos {
			o.Keystream = keystream.Chaos
		}
		c, err := cipherimg.Encrypt(img, testKey, o)
		if err != nil {
			t.Log(err)
			return false
		}
		back, err := cipherimg.Decrypt(c, testKey)
		return err == nil && samePixels(back, img)
	}
	cfg := &quick.Config{MaxCount: 100, Rand: mrand.New(mrand.NewSource(9))}
	if testing.Short() {
		cfg.MaxCount = 20
	}
	if err := quick.Check(f, cfg); err != nil {
		t.Fatal(err)
	}
}

func TestSubImageInputUntouched(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	big := testimg.Noise(rng, 40, 30, 8).(*image.Gray)
	orig := bytes.Clone(big.Pix)
	sub := big.SubImage(image.Rect(3, 5, 20, 22))
	c := roundTrip(t, sub, cipherimg.Options{})
	if c.Image.Bounds() != image.Rect(0, 0, 17, 17) {
		t.Errorf("cipher bounds %v, want origin at 0,0", c.Image.Bounds())
	}
	if !bytes.Equal(big.Pix, orig) {
		t.Error("Encrypt modified its input")
	}
}

func TestNonces(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	img := testimg.Noise(rng, 16, 16, 8)
	a, _ := cipherimg.Encrypt(img, testKey, cipherimg.Options{})
	b, _ := cipherimg.Encrypt(img, testKey, cipherimg.Options{})
	if bytes.Equal(a.Header.Nonce, b.Header.Nonce) || samePixels(a.Image, b.Image) {
		t.Error("two encryptions with fresh nonces gave the same nonce or cipher image")
	}
	fixed := make([]byte, cipherimg.NonceSize)
	a, _ = cipherimg.Encrypt(img, testKey, cipherimg.Options{Nonce: fixed})
	b, _ = cipherimg.Encrypt(img, testKey, cipherimg.Options{Nonce: fixed})
	if !samePixels(a.Image, b.Image) {
		t.Error("fixed nonce is not deterministic")
	}
	for _, o := range []cipherimg.Options{
		{Nonce: fixed[:5]}, {Nonce: []byte{}}, {Rounds: -1}, {Rounds: cipherimg.MaxRounds + 1},
		{Layers: cipherimg.MaxLayers + 1}, {Keystream: 9},
	} {
		if _, err := cipherimg.Encrypt(img, testKey, o); !errors.Is(err, cipherimg.ErrOptions) {
			t.Errorf("options %+v: got %v, want ErrOptions", o, err)
		}
	}
}

// npcrUACI of two 8-bit images of the same size.
func npcrUACI(a, b *image.Gray) (npcr, uaci float64) {
	var diff, sum int
	for i := range a.Pix {
		d := int(a.Pix[i]) - int(b.Pix[i])
		if d != 0 {
			diff++
		}
		sum += max(d, -d)
	}
	n := float64(len(a.Pix))
	return 100 * float64(diff) / n, 100 * float64(sum) / (255 * n)
}

// sampleXRay returns a shipped chest X-ray as a 256x256 *image.Gray
// (224x224 content, edge-replicated), so the test uses real image
// statistics rather than noise.
func sampleXRay(t testing.TB) *image.Gray {
	t.Helper()
	src := testimg.ReadImage(t, filepath.Join("..", "data", "samples", "kermany_cxr_224", "NORMAL", "IM-0115-0001.jpeg"))
	g := image.NewGray(image.Rect(0, 0, 256, 256))
	for y := 0; y < 256; y++ {
		for x := 0; x < 256; x++ {
			g.Set(x, y, src.At(src.Bounds().Min.X+min(x, 223), src.Bounds().Min.Y+min(y, 223)))
		}
	}
	return g
}

// Sanity bounds for one pair of 256x256 8-bit cipher images, from the null
// of two independent uniform images (Wu, Noonan, Agaian 2011) at
// a = 0.001: NPCR >= 99.534 %, UACI in 33.4635 +/- 3.29 sigma_U =
// [33.162, 33.765] %. NPCR is also bounded above (mean 99.609 %, sd
// 0.024 %): a chain whose differences can never cancel gives ~99.96 %,
// which the one-sided Wu test does not catch. The full statistical tests
// live in package eval; these inputs are fixed, so the test is
// deterministic.
func npcrUACIOK(npcr, uaci float64) bool {
	return npcr >= 99.534 && npcr <= 99.70 && uaci >= 33.162 && uaci <= 33.765
}

// TestPlaintextSensitivity: one changed pixel, same key and nonce.
func TestPlaintextSensitivity(t *testing.T) {
	plain := sampleXRay(t)
	nonce := bytes.Repeat([]byte{7}, cipherimg.NonceSize)
	for _, k := range kinds {
		for _, pos := range []image.Point{{0, 0}, {128, 128}, {255, 255}} {
			o := cipherimg.Options{Keystream: k.kind, Nonce: nonce}
			c1, err := cipherimg.Encrypt(plain, testKey, o)
			if err != nil {
				t.Fatal(err)
			}
			p2 := image.NewGray(plain.Bounds())
			copy(p2.Pix, plain.Pix)
			p2.Pix[p2.PixOffset(pos.X, pos.Y)] ^= 1
			c2, err := cipherimg.Encrypt(p2, testKey, o)
			if err != nil {
				t.Fatal(err)
			}
			npcr, uaci := npcrUACI(c1.Image.(*image.Gray), c2.Image.(*image.Gray))
			t.Logf("%s pixel %v: NPCR %.4f %% UACI %.4f %%", k.name, pos, npcr, uaci)
			if !npcrUACIOK(npcr, uaci) {
				t.Errorf("%s pixel %v: NPCR %.4f %% UACI %.4f %% outside the bounds of random images", k.name, pos, npcr, uaci)
			}
		}
	}
}

func TestKeySensitivity(t *testing.T) {
	plain := sampleXRay(t)
	nonce := bytes.Repeat([]byte{7}, cipherimg.NonceSize)
	for _, k := range kinds {
		o := cipherimg.Options{Keystream: k.kind, Nonce: nonce}
		c1, _ := cipherimg.Encrypt(plain, testKey, o)
		k2 := testKey
		k2[17] ^= 0x10
		c2, _ := cipherimg.Encrypt(plain, k2, o)
		npcr, uaci := npcrUACI(c1.Image.(*image.Gray), c2.Image.(*image.Gray))
		if !npcrUACIOK(npcr, uaci) {
			t.Errorf("%s one-bit key change: NPCR %.4f %% UACI %.4f %%", k.name, npcr, uaci)
		}
		// decrypting with the wrong key gives noise, not the image
		back, err := cipherimg.Decrypt(c1, k2)
		if err != nil {
			t.Fatal(err)
		}
		if npcr, _ := npcrUACI(back.(*image.Gray), plain); npcr < 99 {
			t.Errorf("%s: wrong-key decryption matches the plaintext in %.2f %% of pixels", k.name, 100-npcr)
		}
	}
}

// TestWeakenedVariants checks that each switch really removes its step,
// so attack results on the variants mean what they say.
func TestWeakenedVariants(t *testing.T) {
	plain := sampleXRay(t)
	nonce := bytes.Repeat([]byte{3}, cipherimg.NonceSize)
	changed := func(o cipherimg.Options) float64 {
		o.Nonce = nonce
		c1, _ := cipherimg.Encrypt(plain, testKey, o)
		p2 := image.NewGray(plain.Bounds())
		copy(p2.Pix, plain.Pix)
		p2.Pix[p2.PixOffset(100, 100)] ^= 0x80
		c2, _ := cipherimg.Encrypt(p2, testKey, o)
		roundTrip(t, plain, o)
		npcr, _ := npcrUACI(c1.Image.(*image.Gray), c2.Image.(*image.Gray))
		return npcr
	}
	// Without diffusion a one-pixel change stays within the network's
	// reach (two layers: a few dozen pixels of 65536).
	if npcr := changed(cipherimg.Options{NoDiffusion: true}); npcr > 0.1 {
		t.Errorf("diffusion off: NPCR %.4f %%, want a local change", npcr)
	}
	// Permutation only: exactly one pixel moves.
	if npcr := changed(cipherimg.Options{NoNetwork: true, NoDiffusion: true}); npcr != 100.0/65536 {
		t.Errorf("permutation only: NPCR %.6f %%, want one pixel", npcr)
	}
	// Permutation only keeps the histogram.
	c, _ := cipherimg.Encrypt(plain, testKey, cipherimg.Options{NoNetwork: true, NoDiffusion: true})
	var h1, h2 [256]int
	for i := range plain.Pix {
		h1[plain.Pix[i]]++
		h2[c.Image.(*image.Gray).Pix[i]]++
	}
	if h1 != h2 {
		t.Error("permutation-only cipher image has a different histogram")
	}
	if npcr := changed(cipherimg.Options{NoPermutation: true, NoNetwork: true}); npcr < 99.5 {
		t.Errorf("diffusion only: NPCR %.4f %%", npcr)
	}
}

func TestDecryptRejectsMismatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	c, err := cipherimg.Encrypt(testimg.Noise(rng, 9, 7, 8), testKey, cipherimg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		edit func(*cipherimg.Cipher)
	}{
		{"width", func(c *cipherimg.Cipher) { c.Header.Width = 10 }},
		{"depth", func(c *cipherimg.Cipher) { c.Header.Depth = 16 }},
		{"version", func(c *cipherimg.Cipher) { c.Header.Version = 3 }},
		{"nonce", func(c *cipherimg.Cipher) { c.Header.Nonce = c.Header.Nonce[:3] }},
		{"rounds", func(c *cipherimg.Cipher) { c.Header.Rounds = 0 }},
		{"layers", func(c *cipherimg.Cipher) { c.Header.Layers = 99 }},
		{"keystream", func(c *cipherimg.Cipher) { c.Header.Keystream = 200 }},
		{"no image", func(c *cipherimg.Cipher) { c.Image = nil }},
		{"rgba", func(c *cipherimg.Cipher) { c.Image = image.NewRGBA(image.Rect(0, 0, 9, 7)) }},
	} {
		cc := *c
		tc.edit(&cc)
		if _, err := cipherimg.Decrypt(&cc, testKey); err == nil {
			t.Errorf("%s: Decrypt accepted an inconsistent cipher", tc.name)
		}
	}
	if _, err := cipherimg.Encrypt(image.NewRGBA(image.Rect(0, 0, 2, 2)), testKey, cipherimg.Options{}); !errors.Is(err, cipherimg.ErrUnsupported) {
		t.Errorf("RGBA input: got %v, want ErrUnsupported", err)
	}
	if _, err := cipherimg.Encrypt(image.NewGray(image.Rect(0, 0, 0, 5)), testKey, cipherimg.Options{}); !errors.Is(err, cipherimg.ErrUnsupported) {
		t.Errorf("empty input: got %v, want ErrUnsupported", err)
	}
	if _, err := cipherimg.Encrypt(image.NewGray(image.Rect(0, 0, 1, cipherimg.MaxSide+1)), testKey, cipherimg.Options{}); !errors.Is(err, cipherimg.ErrUnsupported) {
		t.Errorf("too tall input: got %v, want ErrUnsupported", err)
	}
}

// ---------------------------------------------------------------------
// Benchmarks: the whole scheme, and AES-256-GCM on the same bytes.

func benchSizes() []int { return []int{256, 2048} }

// benchLoop runs f b.N times and reports, besides ns/op and MB/s, the
// throughput per CPU-second of the process ("cpu-MB/s").
func benchLoop(b *testing.B, bytes int, f func() error) {
	b.SetBytes(int64(bytes))
	c0, ok := cputime.Now(), cputime.Available()
	for b.Loop() {
		if err := f(); err != nil {
			b.Fatal(err)
		}
	}
	if c1 := cputime.Now(); ok && c1 > c0 {
		b.ReportMetric(float64(bytes)*float64(b.N)/(c1-c0).Seconds()/1e6, "cpu-MB/s")
	}
}

func BenchmarkEncrypt(b *testing.B) {
	for _, k := range kinds {
		for _, side := range benchSizes() {
			img := testimg.Noise(rand.New(rand.NewPCG(5, 5)), side, side, 8)
			b.Run(fmt.Sprintf("%s/%d", k.name, side), func(b *testing.B) {
				benchLoop(b, side*side, func() error {
					_, err := cipherimg.Encrypt(img, testKey, cipherimg.Options{Keystream: k.kind})
					return err
				})
			})
		}
	}
}

func BenchmarkDecrypt(b *testing.B) {
	for _, k := range kinds {
		for _, side := range benchSizes() {
			img := testimg.Noise(rand.New(rand.NewPCG(5, 5)), side, side, 8)
			c, err := cipherimg.Encrypt(img, testKey, cipherimg.Options{Keystream: k.kind})
			if err != nil {
				b.Fatal(err)
			}
			b.Run(fmt.Sprintf("%s/%d", k.name, side), func(b *testing.B) {
				benchLoop(b, side*side, func() error {
					_, err := cipherimg.Decrypt(c, testKey)
					return err
				})
			})
		}
	}
}

// BenchmarkAESGCM seals the same pixel bytes with AES-256-GCM, the
// product path's kind of primitive, as the reference speed.
func BenchmarkAESGCM(b *testing.B) {
	for _, side := range benchSizes() {
		img := testimg.Noise(rand.New(rand.NewPCG(5, 5)), side, side, 8).(*image.Gray)
		blk, _ := aes.NewCipher(testKey[:])
		aead, _ := cipher.NewGCM(blk)
		nonce := make([]byte, aead.NonceSize())
		out := make([]byte, 0, len(img.Pix)+aead.Overhead())
		b.Run(fmt.Sprintf("%d", side), func(b *testing.B) {
			benchLoop(b, len(img.Pix), func() error {
				out = aead.Seal(out[:0], nonce, img.Pix, nil)
				return nil
			})
		})
	}
}
