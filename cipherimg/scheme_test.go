package cipherimg_test

import (
	"bytes"
	"errors"
	"image"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/medqr/medqr/cipherimg"
	"github.com/medqr/medqr/seal"
)

func TestRegistryOwnSchemeFirst(t *testing.T) {
	names := cipherimg.Names()
	if len(names) == 0 || names[0] != cipherimg.SchemeName {
		t.Fatalf("Names() = %v, want %q first", names, cipherimg.SchemeName)
	}
	if _, err := cipherimg.Lookup("no-such-scheme"); !errors.Is(err, cipherimg.ErrUnknownScheme) {
		t.Fatalf("Lookup(unknown) = %v, want ErrUnknownScheme", err)
	}
}

func TestOwnSchemeThroughInterface(t *testing.T) {
	s, err := cipherimg.Lookup(cipherimg.SchemeName)
	if err != nil {
		t.Fatal(err)
	}
	var key seal.Key
	key[0] = 7
	nonce := bytes.Repeat([]byte{3}, cipherimg.NonceSize)
	img := cipherimg.PatternImage(9, 5, 8)
	c, err := cipherimg.EncryptWith(s, img, key, nonce)
	if err != nil {
		t.Fatal(err)
	}
	if c.Header.Scheme != cipherimg.SchemeName || c.Header.Version != cipherimg.Version {
		t.Fatalf("header %+v, want version %d scheme %s", c.Header, cipherimg.Version, cipherimg.SchemeName)
	}
	// The interface path and the Scheme methods agree.
	px, w, h, depth, _ := cipherimg.Pixels(img)
	k := cipherimg.Keying{Key: key, Nonce: nonce}
	if err := s.Encrypt(&k, px, w, h, depth); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c.Image.(*image.Gray).Pix, cipherimg.ToImage(px, w, h, depth).(*image.Gray).Pix) {
		t.Fatal("Scheme.Encrypt and EncryptWith disagree")
	}
	if err := s.Decrypt(k, px, w, h, depth); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(img.(*image.Gray).Pix, cipherimg.ToImage(px, w, h, depth).(*image.Gray).Pix) {
		t.Fatal("Scheme.Decrypt did not invert Scheme.Encrypt")
	}
}

func TestParams(t *testing.T) {
	var key seal.Key
	tests := []struct {
		name string
		draw func(p *cipherimg.Params) bool
	}{
		{"unit in (0,1)", func(p *cipherimg.Params) bool { u := p.Unit(); return u > 0 && u < 1 }},
		{"float in [3.99,4]", func(p *cipherimg.Params) bool { f := p.Float(3.99, 4); return f >= 3.99 && f <= 4 }},
		{"int in [1,3]", func(p *cipherimg.Params) bool { i := p.Int(1, 3); return i >= 1 && i <= 3 }},
		{"int in [0,0]", func(p *cipherimg.Params) bool { return p.Int(0, 0) == 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := cipherimg.DeriveParams(key, nil, "test", tt.name)
			for range 500 {
				if !tt.draw(p) {
					t.Fatal("value out of range")
				}
			}
		})
	}
	a := cipherimg.DeriveParams(key, nil, "test", "x").Bytes(32)
	b := cipherimg.DeriveParams(key, nil, "test", "y").Bytes(32)
	c := cipherimg.DeriveParams(key, []byte{1}, "test", "x").Bytes(32)
	if bytes.Equal(a, b) || bytes.Equal(a, c) {
		t.Fatal("purpose or salt does not change the parameters")
	}
	if !bytes.Equal(a, cipherimg.DeriveParams(key, nil, "test", "x").Bytes(32)) {
		t.Fatal("parameters not deterministic")
	}
}

func TestDepthText(t *testing.T) {
	tests := []struct {
		d    []int
		want string
	}{{[]int{8}, "8-bit"}, {[]int{8, 16}, "8- and 16-bit"}}
	for _, tt := range tests {
		if got := (cipherimg.SchemeInfo{Depths: tt.d}).DepthText(); got != tt.want {
			t.Errorf("DepthText(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestCheckPixels(t *testing.T) {
	only8 := cipherimg.SchemeInfo{Depths: []int{8}}
	both := cipherimg.SchemeInfo{Depths: []int{8, 16}}
	tests := []struct {
		name        string
		info        cipherimg.SchemeInfo
		n, w, h, d  int
		want        string // "" for no error
		unsupported bool
	}{
		{"1x1 8-bit", only8, 1, 1, 1, 8, "", false},
		{"3x2 16-bit", both, 6, 3, 2, 16, "", false},
		{"one pixel short", only8, 5, 3, 2, 8, "5 pixels for 3x2", false},
		{"one pixel over", only8, 7, 3, 2, 8, "7 pixels for 3x2", false},
		{"zero width", only8, 0, 0, 4, 8, "0 pixels for 0x4", false},
		{"16-bit where the paper covers 8-bit", only8, 4, 2, 2, 16, "16-bit images (the paper covers 8-bit)", true},
		{"12-bit", both, 4, 2, 2, 12, "12-bit images (the paper covers 8- and 16-bit)", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := cipherimg.CheckPixels(tt.info, make([]uint16, tt.n), tt.w, tt.h, tt.d)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("CheckPixels: %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("CheckPixels: %v, want an error with %q", err, tt.want)
			case errors.Is(err, cipherimg.ErrUnsupported) != tt.unsupported:
				t.Fatalf("CheckPixels: %v: wraps ErrUnsupported %v, want %v", err, !tt.unsupported, tt.unsupported)
			}
		})
	}
}

// TestNewScheme: NewScheme registers its scheme, runs the passes only on
// input CheckPixels accepts, gives the decrypt pass a copy of the Keying
// and each Info call its own Depths.
func TestNewScheme(t *testing.T) {
	var calls []string
	pass := func(what string) cipherimg.Pass {
		return func(k *cipherimg.Keying, px []uint16, w, h, depth int) error {
			calls = append(calls, what)
			k.Aux = []byte(what)
			return nil
		}
	}
	name := "newschemetest" + strconv.Itoa(len(cipherimg.Names())) // new on every run of -count N
	s := cipherimg.NewScheme(name, cipherimg.SchemeInfo{Depths: []int{8}}, pass("encrypt"), pass("decrypt"))
	if r, err := cipherimg.Lookup(name); err != nil || r.Name() != name {
		t.Fatalf("Lookup gave %v, %v", r, err)
	} else if r != s {
		// a Scheme is an interface value: it must stay comparable (no
		// run-time panic on == or as a map key) and Lookup must give the
		// very scheme NewScheme returned
		t.Errorf("Lookup(%q) is not the Scheme NewScheme returned", name)
	}
	var k cipherimg.Keying
	if err := s.Encrypt(&k, make([]uint16, 6), 3, 2, 8); err != nil || string(k.Aux) != "encrypt" {
		t.Errorf("Encrypt: %v, aux %q", err, k.Aux)
	}
	if err := s.Decrypt(k, make([]uint16, 6), 3, 2, 8); err != nil || string(k.Aux) != "encrypt" {
		t.Errorf("Decrypt: %v, caller's aux now %q", err, k.Aux)
	}
	if err := s.Encrypt(&k, make([]uint16, 6), 3, 2, 16); !errors.Is(err, cipherimg.ErrUnsupported) {
		t.Errorf("16-bit Encrypt: %v, want ErrUnsupported", err)
	}
	if err := s.Decrypt(k, make([]uint16, 5), 3, 2, 8); err == nil || !strings.Contains(err.Error(), "5 pixels for 3x2") {
		t.Errorf("short Decrypt: %v", err)
	}
	if !slices.Equal(calls, []string{"encrypt", "decrypt"}) {
		t.Errorf("passes ran %v, want encrypt then decrypt only", calls)
	}
	s.Info().Depths[0] = 16
	if d := s.Info().Depths; !slices.Equal(d, []int{8}) {
		t.Errorf("Info().Depths = %v after a caller changed its copy", d)
	}
}

func TestSortOrder(t *testing.T) {
	tests := []struct {
		name string
		keys []uint32
		want []int32
	}{
		{"empty", nil, []int32{}},
		{"one", []uint32{7}, []int32{0}},
		{"sorted", []uint32{1, 2, 3}, []int32{0, 1, 2}},
		{"reversed", []uint32{3, 2, 1}, []int32{2, 1, 0}},
		{"ties by position", []uint32{5, 1, 5, 1}, []int32{1, 3, 0, 2}},
		{"all equal", []uint32{4, 4, 4}, []int32{0, 1, 2}},
		{"extremes", []uint32{1<<32 - 1, 0, 1 << 31}, []int32{1, 2, 0}},
	}
	for _, tt := range tests {
		if got := cipherimg.SortOrder(tt.keys); !slices.Equal(got, tt.want) {
			t.Errorf("%s: SortOrder(%v) = %v, want %v", tt.name, tt.keys, got, tt.want)
		}
	}
}
