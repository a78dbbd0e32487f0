package breaks_test

import (
	"context"
	"fmt"
	"image"
	"slices"
	"testing"

	"github.com/medqr/medqr/attacks/breaks"
	"github.com/medqr/medqr/attacks/oracle/keyed"
	"github.com/medqr/medqr/cipherimg"
	_ "github.com/medqr/medqr/cipherimg/schemes"
	"github.com/medqr/medqr/internal/testimg"
	"github.com/medqr/medqr/seal"
)

// TestSchemeAttacks runs each scheme's attacks on targets the attack never
// saw in plain, and checks the claim against the truth both ways: a claimed
// recovery is exact, and an exact recovery is claimed.
func TestSchemeAttacks(t *testing.T) {
	tests := []struct {
		scheme, attack string
		w, h, depth    int
		decrypt        bool // grant a decryption oracle
		wantFull       bool
	}{
		{"arnold", "permutation-cpa", 1, 1, 8, false, true},
		{"arnold", "permutation-cpa", 17, 9, 8, false, true},
		{"arnold", "permutation-cpa", 40, 33, 16, false, true},
		{"arnold", "keystream-reuse-kpa", 17, 9, 8, false, false},
		{"logistic", "diffusion-strip-cpa", 1, 1, 8, false, true},
		{"logistic", "diffusion-strip-cpa", 31, 7, 8, false, true},
		{"logistic", "diffusion-strip-cpa", 20, 20, 16, false, true},
		{"logistic", "keystream-reuse-kpa", 31, 7, 8, false, false},
		{"cipherimg", "keystream-reuse-kpa", 16, 16, 8, false, false},
		{"cipherimg", "affine-cca", 16, 16, 8, true, false},
		{"yang2023", "malleability-cca", 64, 64, 8, true, true},
		{"yang2023", "affine-cca", 1, 1, 8, true, true},
		{"yang2023", "affine-cca", 33, 19, 8, true, true},
		{"yang2023", "affine-cca", 33, 19, 8, false, false}, // no decryption oracle
		{"yang2023", "keystream-reuse-kpa", 33, 19, 8, false, false},
		{"yang2023", "permutation-cpa", 33, 19, 8, false, false},
		{"wang2020", "dna-sbox-cpa", 1, 1, 8, false, true},
		{"wang2020", "dna-sbox-cpa", 1, 9, 8, false, true},
		{"wang2020", "dna-sbox-cpa", 23, 17, 8, false, true},
		{"wang2020", "keystream-reuse-kpa", 23, 17, 8, false, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%s/%dx%d-%d", tt.scheme, tt.attack, tt.w, tt.h, tt.depth), func(t *testing.T) {
			r, exact := runAttack(t, tt.scheme, tt.attack, testKey(42), noise(7, tt.w, tt.h, tt.depth),
				keyed.Policy{Decrypt: tt.decrypt, Known: []image.Image{noise(8, tt.w, tt.h, tt.depth)}})
			if exact != tt.wantFull || r.Full != tt.wantFull {
				t.Fatalf("exact %v, claimed %v, want %v (%s; queries %+v)", exact, r.Full, tt.wantFull, r.Note, r.Queries)
			}
		})
	}
}

// runAttack encrypts plain under key with the scheme, runs the named
// attack with an oracle that grants pol (its Target set to the cipher
// image) and returns the result and whether the recovered image is exactly
// plain. A claimed recovery that is not exact fails the test.
func runAttack(t *testing.T, scheme, attack string, key seal.Key, plain image.Image, pol keyed.Policy) (*breaks.Result, bool) {
	t.Helper()
	s, err := cipherimg.Lookup(scheme)
	if err != nil {
		t.Fatal(err)
	}
	var a breaks.Attack
	for _, b := range breaks.For(scheme) {
		if b.Name() == attack {
			a = b
		}
	}
	if a == nil {
		t.Fatalf("no attack %s for %s", attack, scheme)
	}
	pol.Target, err = cipherimg.EncryptWith(s, plain, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	o, err := keyed.New(s, key, pol)
	if err != nil {
		t.Fatal(err)
	}
	r, err := breaks.Run(context.Background(), a, o, pol.Target)
	if err != nil {
		t.Fatal(err)
	}
	exact := false
	if r.Recovered != nil {
		got, _, _, _, _ := cipherimg.Pixels(r.Recovered)
		want, _, _, _, _ := cipherimg.Pixels(plain)
		exact = slices.Equal(got, want)
	}
	if r.Full && !exact {
		t.Fatalf("full recovery claimed but the image is wrong (%s)", r.Note)
	}
	return r, exact
}

func testKey(b byte) seal.Key {
	var k seal.Key
	for i := range k {
		k[i] = byte(i*31) ^ b
	}
	return k
}

func noise(seed uint64, w, h, depth int) image.Image {
	return cipherimg.ToImage(testimg.UniformPixels(seed, w, h, depth), w, h, depth)
}

// TestMalleabilityFreshNonce: with a decryption oracle, cipherimg under a
// fresh nonce gives up its plaintext to three altered decryptions, and the
// attacker cannot confirm it (nothing claimed).
func TestMalleabilityFreshNonce(t *testing.T) {
	r, exact := runAttack(t, "cipherimg", "malleability-cca", testKey(3), noise(11, 64, 48, 8), keyed.Policy{Decrypt: true})
	if r.Full || !exact {
		t.Fatalf("claimed %v, exact %v; want an exact, unclaimed recovery (%s)", r.Full, exact, r.Note)
	}
}
