package attacks

import (
	"errors"
	"image"
	"slices"
	"testing"

	"github.com/medqr/medqr/cipherimg"
	"github.com/medqr/medqr/keystream"
	"github.com/medqr/medqr/seal"
)

// cipherimgOracle encrypts w x h images of the given depth with cipherimg
// under key and, if nonce is nil, a fresh nonce per query.
func cipherimgOracle(t *testing.T, w, h, depth int, key [32]byte, nonce []byte, o cipherimg.Options) PixelOracle {
	return func(px []uint16) ([]uint16, error) {
		img := toDepth(px, w, h, depth)
		o.Nonce = nonce
		c, err := cipherimg.Encrypt(img, seal.Key(key), o)
		if err != nil {
			return nil, err
		}
		return fromDepth(c.Image), nil
	}
}

func toDepth(px []uint16, w, h, depth int) image.Image {
	if depth == 8 {
		g := image.NewGray(image.Rect(0, 0, w, h))
		for i, v := range px {
			g.Pix[i] = uint8(v)
		}
		return g
	}
	g := image.NewGray16(image.Rect(0, 0, w, h))
	for i, v := range px {
		g.Pix[2*i], g.Pix[2*i+1] = uint8(v>>8), uint8(v)
	}
	return g
}

func fromDepth(img image.Image) []uint16 {
	switch g := img.(type) {
	case *image.Gray:
		out := make([]uint16, len(g.Pix))
		for i, v := range g.Pix {
			out[i] = uint16(v)
		}
		return out
	case *image.Gray16:
		out := make([]uint16, len(g.Pix)/2)
		for i := range out {
			out[i] = uint16(g.Pix[2*i])<<8 | uint16(g.Pix[2*i+1])
		}
		return out
	}
	panic("unexpected image type")
}

// truePerm is the permutation cipherimg draws for key and nonce: with the
// network and diffusion off the cipher of the index image is the
// permutation itself (same keystream label as with them on).
func truePerm(t *testing.T, w, h int, key [32]byte, nonce []byte, ks keystream.Kind) []int {
	t.Helper()
	n := w * h
	idx := make([]uint16, n)
	for i := range idx {
		idx[i] = uint16(i)
	}
	out, err := cipherimgOracle(t, w, h, 16, key, nonce, cipherimg.Options{Keystream: ks, NoNetwork: true, NoDiffusion: true})(idx)
	if err != nil {
		t.Fatal(err)
	}
	perm := make([]int, n)
	for j, v := range out {
		perm[j] = int(v)
	}
	return perm
}

func TestCouplingAttack(t *testing.T) {
	rng := newRNG(3, t.Name())
	off := cipherimg.Options{NoDiffusion: true}
	for _, tc := range []struct {
		name   string
		w, h   int
		depth  int
		o      cipherimg.Options
		fresh  bool
		expect bool // full recovery
	}{
		{"diffusion off 32x32", 32, 32, 8, off, false, true},
		{"diffusion off 64x64", 64, 64, 8, off, false, true},
		{"diffusion off odd 17x9", 17, 9, 8, off, false, true},
		{"diffusion off 1x1", 1, 1, 8, off, false, true},
		{"diffusion off chaos keystream", 32, 32, 8, cipherimg.Options{NoDiffusion: true, Keystream: keystream.Chaos}, false, true},
		{"diffusion off 16-bit 32x32", 32, 32, 16, off, false, true},
		{"permutation only", 32, 32, 8, cipherimg.Options{NoDiffusion: true, NoNetwork: true}, false, true},
		{"full scheme", 32, 32, 8, cipherimg.Options{}, false, false},
		{"full scheme 16-bit", 32, 32, 16, cipherimg.Options{}, false, false},
		{"diffusion off fresh nonces", 32, 32, 8, off, true, false},
		// Outside the model: a second round or a third layer writes A again.
		{"diffusion off 2 rounds", 32, 32, 8, cipherimg.Options{NoDiffusion: true, Rounds: 2}, false, false},
		{"diffusion off 3 layers", 32, 32, 8, cipherimg.Options{NoDiffusion: true, Layers: 3}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := randKey(rng)
			var nonce []byte
			if !tc.fresh {
				nonce = randBytes(rng, cipherimg.NonceSize)
			}
			enc := cipherimgOracle(t, tc.w, tc.h, tc.depth, key, nonce, tc.o)
			co, err := CouplingAttack(enc, tc.w, tc.h, tc.depth, rng)
			if err != nil {
				t.Fatal(err)
			}
			secret := fromDepth(cipherimg.PatternImage(tc.w, tc.h, tc.depth))
			for i := range secret { // texture, so no two images agree by accident
				secret[i] ^= uint16(rng.Uint32()) & (1<<tc.depth - 1) & 0x0f0f
			}
			c, err := enc(secret)
			if err != nil {
				t.Fatal(err)
			}
			got, err := co.Decrypt(c)
			if err != nil {
				t.Fatal(err)
			}
			exact := matching(got, secret)
			n := tc.w * tc.h
			full := exact == n
			t.Logf("%d queries, %d/%d placed, complete %v, %d/%d pixels exact", co.Queries, co.Located, n, co.Complete, exact, n)
			if full != tc.expect || co.Complete != tc.expect {
				t.Fatalf("full recovery %v, complete %v (%d/%d pixels, %d placed), want %v", full, co.Complete, exact, n, co.Located, tc.expect)
			}
			if tc.expect {
				if want := truePerm(t, tc.w, tc.h, key, nonce, tc.o.Keystream); !slices.Equal(co.Perm, want) {
					t.Fatal("recovered permutation differs from cipherimg's")
				}
				return
			}
			if float64(exact)/float64(n) > 0.05 {
				t.Fatalf("%d/%d pixels recovered, want chance level", exact, n)
			}
		})
	}
}

func TestCouplingAttackErrors(t *testing.T) {
	rng := newRNG(4, t.Name())
	boom := errors.New("oracle down")
	for _, tc := range []struct {
		name  string
		w, h  int
		depth int
		enc   PixelOracle
	}{
		{"depth 12", 4, 4, 12, func(px []uint16) ([]uint16, error) { return px, nil }},
		{"empty", 0, 4, 8, func(px []uint16) ([]uint16, error) { return px, nil }},
		{"oracle error", 4, 4, 8, func([]uint16) ([]uint16, error) { return nil, boom }},
		{"short cipher", 4, 4, 8, func(px []uint16) ([]uint16, error) { return px[1:], nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			co, err := CouplingAttack(tc.enc, tc.w, tc.h, tc.depth, rng)
			if err == nil || co != nil {
				t.Fatalf("got %v, %v; want an error and no result", co, err)
			}
		})
	}
	// The identity "cipher" fits the model (f0 = f1 = 0, no permutation);
	// Decrypt refuses a cipher image of the wrong size.
	co, err := CouplingAttack(func(px []uint16) ([]uint16, error) { return append([]uint16(nil), px...), nil }, 5, 3, 8, rng)
	if err != nil || !co.Complete {
		t.Fatalf("identity cipher: %v, complete %v", err, co != nil && co.Complete)
	}
	if _, err := co.Decrypt(make([]uint16, 14)); err == nil {
		t.Error("Decrypt accepted 14 pixels for a 5x3 attack")
	}
}
