package attacks

import (
	"image"
	"testing"
)

// testImage is a smooth gradient with texture, like an X-ray crop.
func testImage(w, h int, seed uint64) *image.Gray {
	rng := newRNG(seed, "test-image")
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			g.Pix[y*w+x] = uint8((x*200)/w + (y*40)/h + rng.IntN(16))
		}
	}
	return g
}

func TestChosenPlaintext(t *testing.T) {
	rng := newRNG(1, t.Name())
	for _, tc := range []struct {
		name   string
		s      Scheme
		w, h   int
		fresh  bool
		expect bool // full recovery
	}{
		{"permxor fixed nonce", PermXOR{}, 32, 32, false, true},
		{"permxor odd size", PermXOR{}, 17, 5, false, true},
		{"permxor more than 65536 pixels", PermXOR{}, 300, 220, false, true},
		{"aes-ctr fixed nonce", AESCTR{}, 32, 24, false, true},
		{"permxor fresh nonces", PermXOR{}, 32, 32, true, false},
		{"aes-ctr fresh nonces", AESCTR{}, 32, 32, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := randKey(rng)
			nonce := randBytes(rng, tc.s.NonceSize())
			var enc Oracle
			if tc.fresh {
				enc = FreshNonceOracle(tc.s, key, func() []byte { return randBytes(rng, tc.s.NonceSize()) })
			} else {
				enc = FixedNonceOracle(tc.s, key, nonce)
			}
			r, err := ChosenPlaintext(enc, tc.w, tc.h)
			if err != nil {
				t.Fatal(err)
			}
			secret := testImage(tc.w, tc.h, 9)
			c, err := enc(secret)
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.Decrypt(c)
			if err != nil {
				t.Fatal(err)
			}
			exact := matching(got.Pix, secret.Pix)
			full := exact == len(got.Pix)
			if full != tc.expect {
				t.Fatalf("full recovery = %v (%d/%d pixels, bijective %.3f, perm valid %v), want %v",
					full, exact, len(got.Pix), r.Bijective, r.PermValid, tc.expect)
			}
			if tc.expect && (r.Bijective != 1 || !r.PermValid) {
				t.Fatalf("bijective %.3f perm valid %v on a permute-substitute cipher", r.Bijective, r.PermValid)
			}
			if !tc.expect && float64(exact)/float64(len(got.Pix)) > 0.05 {
				t.Fatalf("fresh nonces: %d/%d pixels recovered, want chance level", exact, len(got.Pix))
			}
		})
	}
}

func TestSchemesRoundTrip(t *testing.T) {
	rng := newRNG(2, t.Name())
	for _, s := range []Scheme{AESCTR{}, PermXOR{}} {
		key := randKey(rng)
		nonce := randBytes(rng, s.NonceSize())
		p := testImage(19, 7, 3)
		c, err := s.Encrypt(key, nonce, p)
		if err != nil {
			t.Fatal(err)
		}
		same := matching(p.Pix, c.Image.Pix)
		if same > len(p.Pix)/8 {
			t.Errorf("%s: %d of %d pixels unchanged by encryption", s.Name(), same, len(p.Pix))
		}
		d, err := s.Decrypt(key, c)
		if err != nil {
			t.Fatal(err)
		}
		for i := range p.Pix {
			if d.Pix[i] != p.Pix[i] {
				t.Fatalf("%s: round trip differs at %d", s.Name(), i)
			}
		}
		if _, err := s.Encrypt(key, nonce[:len(nonce)-1], p); err == nil {
			t.Errorf("%s: short nonce accepted", s.Name())
		}
	}
}
