package breaks_test

import (
	"context"
	"go/build"
	"image"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/medqr/medqr/attacks/breaks"
	"github.com/medqr/medqr/attacks/oracle/keyed"
	"github.com/medqr/medqr/cipherimg"
	"github.com/medqr/medqr/seal"
)

// TestNoKeyAccess: the attack package reaches keys only through the
// oracle interface. Neither it nor anything it imports inside medqr may
// import the key holder.
func TestNoKeyAccess(t *testing.T) {
	const keyHolder = "github.com/medqr/medqr/attacks/oracle/keyed"
	pkg, err := build.Import("github.com/medqr/medqr/attacks/breaks", ".", 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var walk func(path string)
	walk = func(path string) {
		if seen[path] || !strings.HasPrefix(path, "github.com/medqr/medqr/") {
			return
		}
		seen[path] = true
		if path == keyHolder {
			t.Errorf("attacks/breaks depends on %s", keyHolder)
			return
		}
		p, err := build.Import(path, ".", 0)
		if err != nil {
			t.Fatalf("import %s: %v", path, err)
		}
		for _, imp := range p.Imports {
			walk(imp)
		}
	}
	for _, imp := range pkg.Imports {
		walk(imp)
	}
}

// xorScheme is a test scheme: pixels XOR a keystream image fixed by the
// key (no nonce), the model of the learned keystream schemes.
type xorScheme struct{}

func (xorScheme) Name() string { return "xortest" }
func (xorScheme) Info() cipherimg.SchemeInfo {
	return cipherimg.SchemeInfo{Summary: "test: XOR with a key-only keystream", Depths: []int{8}}
}
func (xorScheme) Encrypt(k *cipherimg.Keying, px []uint16, w, h, depth int) error {
	ks := cipherimg.DeriveParams(k.Key, nil, "xortest", "ks").Bytes(len(px))
	for i := range px {
		px[i] ^= uint16(ks[i])
	}
	return nil
}
func (s xorScheme) Decrypt(k cipherimg.Keying, px []uint16, w, h, depth int) error {
	return s.Encrypt(&k, px, w, h, depth)
}

func init() { cipherimg.Register(xorScheme{}) }

func randomGray(seed uint64, w, h int) *image.Gray {
	r := rand.New(rand.NewPCG(seed, 1))
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = uint8(r.IntN(256))
	}
	return g
}

func TestKeystreamReuse(t *testing.T) {
	tests := []struct {
		scheme   string
		wantFull bool
	}{
		{"xortest", true},
		{cipherimg.SchemeName, false}, // fresh nonces: nothing claimed
	}
	var key seal.Key
	key[5] = 9
	for _, tt := range tests {
		t.Run(tt.scheme, func(t *testing.T) {
			s, err := cipherimg.Lookup(tt.scheme)
			if err != nil {
				t.Fatal(err)
			}
			plain := randomGray(1, 13, 7)
			target, err := cipherimg.EncryptWith(s, plain, key, nil)
			if err != nil {
				t.Fatal(err)
			}
			o, err := keyed.New(s, key, keyed.Policy{Target: target, Known: []image.Image{randomGray(2, 13, 7)}})
			if err != nil {
				t.Fatal(err)
			}
			r, err := breaks.Run(context.Background(), breaks.KeystreamReuse, o, target)
			if err != nil {
				t.Fatal(err)
			}
			if r.Full != tt.wantFull {
				t.Fatalf("full recovery claimed = %v, want %v (%s)", r.Full, tt.wantFull, r.Note)
			}
			exact := r.Recovered != nil && slices.Equal(r.Recovered.(*image.Gray).Pix, plain.Pix)
			if exact != tt.wantFull {
				t.Fatalf("recovered exactly = %v, want %v", exact, tt.wantFull)
			}
			if r.Queries.Known != 1 {
				t.Fatalf("known pairs used = %d, want 1", r.Queries.Known)
			}
		})
	}
}

// TestChosenCiphertextNotGranted: without a decryption oracle the
// chosen-ciphertext attacks produce nothing, say so, and spend no
// decryption query.
func TestChosenCiphertextNotGranted(t *testing.T) {
	var key seal.Key
	key[0] = 3
	s, err := cipherimg.Lookup("xortest")
	if err != nil {
		t.Fatal(err)
	}
	target, err := cipherimg.EncryptWith(s, randomGray(3, 13, 7), key, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []breaks.Attack{breaks.AffineCCA, breaks.MalleabilityCCA} {
		t.Run(a.Name(), func(t *testing.T) {
			o, err := keyed.New(s, key, keyed.Policy{Target: target})
			if err != nil {
				t.Fatal(err)
			}
			r, err := breaks.Run(context.Background(), a, o, target)
			if err != nil {
				t.Fatal(err)
			}
			if r.Produced || r.Full || !strings.Contains(r.Note, "no decryption oracle") || r.Queries.Decryptions != 0 {
				t.Errorf("produced %v, full %v, %d decryptions, note %q", r.Produced, r.Full, r.Queries.Decryptions, r.Note)
			}
		})
	}
}
