package keyed_test

import (
	"errors"
	"image"
	"testing"

	"github.com/medqr/medqr/attacks/oracle"
	"github.com/medqr/medqr/attacks/oracle/keyed"
	"github.com/medqr/medqr/cipherimg"
	"github.com/medqr/medqr/seal"
)

func TestOraclePolicy(t *testing.T) {
	s, err := cipherimg.Lookup(cipherimg.SchemeName)
	if err != nil {
		t.Fatal(err)
	}
	var key seal.Key
	target, err := cipherimg.EncryptWith(s, cipherimg.PatternImage(8, 6, 8), key, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		pol     keyed.Policy
		decrypt error // outcome of decrypting the target
		other   error // outcome of decrypting another image
	}{
		{"no decryption oracle", keyed.Policy{Target: target}, oracle.ErrNoDecryption, oracle.ErrNoDecryption},
		{"chosen ciphertext", keyed.Policy{Target: target, Decrypt: true}, oracle.ErrTarget, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := keyed.New(s, key, tt.pol)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := o.Decrypt(target); !errors.Is(err, tt.decrypt) {
				t.Fatalf("decrypting the target: %v, want %v", err, tt.decrypt)
			}
			legacy := *target // the target under a version-1 header is still the target
			legacy.Header.Version, legacy.Header.Scheme = cipherimg.LegacyVersion, ""
			if _, err := o.Decrypt(&legacy); !errors.Is(err, tt.decrypt) {
				t.Fatalf("decrypting the target's version-1 copy: %v, want %v", err, tt.decrypt)
			}
			other, err := o.Encrypt(cipherimg.PatternImage(8, 6, 8))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := o.Decrypt(other); !errors.Is(err, tt.other) {
				t.Fatalf("decrypting another image: %v, want %v", err, tt.other)
			}
			if string(other.Header.Nonce) == string(target.Header.Nonce) {
				t.Fatal("a fresh-nonce oracle reused the target's nonce")
			}
			if _, _, err := o.Known(0); !errors.Is(err, oracle.ErrNoKnown) {
				t.Fatalf("Known(0) without known images: %v", err)
			}
			c := o.Counts()
			if c.Encryptions != 1 || c.Decryptions != map[bool]int{true: 1, false: 0}[tt.pol.Decrypt] {
				t.Fatalf("counts %+v", c)
			}
		})
	}
}

func TestKnownPairsResampled(t *testing.T) {
	s, _ := cipherimg.Lookup(cipherimg.SchemeName)
	var key seal.Key
	target, err := cipherimg.EncryptWith(s, cipherimg.PatternImage(5, 3, 16), key, make([]byte, cipherimg.NonceSize))
	if err != nil {
		t.Fatal(err)
	}
	o, err := keyed.New(s, key, keyed.Policy{Target: target, NonceReuse: true, Known: []image.Image{cipherimg.PatternImage(40, 30, 8)}})
	if err != nil {
		t.Fatal(err)
	}
	p, c, err := o.Known(0)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.(*image.Gray16); !ok || p.Bounds().Dx() != 5 || p.Bounds().Dy() != 3 {
		t.Fatalf("known plaintext %T %v, want 16-bit 5x3", p, p.Bounds())
	}
	if string(c.Header.Nonce) != string(target.Header.Nonce) {
		t.Fatal("nonce-reuse oracle drew a fresh nonce")
	}
	back, err := cipherimg.Decrypt(c, key)
	if err != nil {
		t.Fatal(err)
	}
	a, _, _, _, _ := cipherimg.Pixels(back)
	b, _, _, _, _ := cipherimg.Pixels(p)
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("known pair does not match")
		}
	}
	if _, err := keyed.New(s, key, keyed.Policy{}); err == nil {
		t.Fatal("an oracle without a target was built")
	}
}
