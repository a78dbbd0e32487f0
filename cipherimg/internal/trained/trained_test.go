package trained

import (
	"errors"
	"slices"
	"strconv"
	"testing"

	"github.com/medqr/medqr/cipherimg"
)

// TestNewXORScheme: the scheme is registered; its Encrypt and Decrypt
// refuse, with errors wrapping cipherimg.ErrUnsupported, what the trained
// baselines do not cover, and both XOR the pixels with the stream.
func TestNewXORScheme(t *testing.T) {
	stream := func(key []byte, w, h int) ([]byte, error) {
		ks := make([]byte, w*h)
		for i := range ks {
			ks[i] = key[i%len(key)] + byte(i)
		}
		return ks, nil
	}
	name := "xortest" + strconv.Itoa(len(cipherimg.Names())) // new on every run of -count N
	s := NewXORScheme(name, "cite", "sum", stream)
	if r, err := cipherimg.Lookup(name); err != nil || r.Name() != name || r.Info().Citation != "cite" || !r.Info().Trained {
		t.Errorf("registered as %v (%v)", r, err)
	}
	k := cipherimg.Keying{Key: [32]byte{1, 2, 3}}
	for _, c := range []struct {
		name        string
		px          []uint16
		w, h, depth int
		ok          bool
	}{
		{"1x1", []uint16{255}, 1, 1, 8, true},
		{"2x3", make([]uint16, 6), 2, 3, 8, true},
		{"16-bit", make([]uint16, 4), 2, 2, 16, false},
		{"short buffer", make([]uint16, 3), 2, 2, 8, false},
		{"long buffer", make([]uint16, 5), 2, 2, 8, false},
		{"zero height", nil, 2, 0, 8, false},
		{"too tall", make([]uint16, cipherimg.MaxSide+1), 1, cipherimg.MaxSide + 1, 8, false},
		{"value 256", []uint16{0, 256}, 2, 1, 8, false},
	} {
		for _, err := range []error{s.Encrypt(&k, c.px, c.w, c.h, c.depth), s.Decrypt(k, c.px, c.w, c.h, c.depth)} {
			if c.ok != (err == nil) || (err != nil && !errors.Is(err, cipherimg.ErrUnsupported)) {
				t.Errorf("%s: %v", c.name, err)
			}
		}
	}
	px := []uint16{0, 1, 2, 3, 4, 255}
	orig := slices.Clone(px)
	if err := s.Encrypt(&k, px, 3, 2, 8); err != nil {
		t.Fatal(err)
	}
	if want := []uint16{1, 2, 7, 0, 0, 250}; !slices.Equal(px, want) {
		t.Errorf("Encrypt gave %v, want %v", px, want)
	}
	if err := s.Decrypt(k, px, 3, 2, 8); err != nil || !slices.Equal(px, orig) {
		t.Errorf("Decrypt of the cipher gave %v (%v), want %v", px, err, orig)
	}
}

func TestInfo(t *testing.T) {
	in := info("cite", "sum")
	if in.Citation != "cite" || in.Summary != "sum" || !slices.Equal(in.Depths, []int{8}) || in.NonceSize != 0 || in.AuxSize != 0 || !in.Trained {
		t.Errorf("info gave %+v", in)
	}
}

func TestKeyCache(t *testing.T) {
	c := KeyCache[int]{Scheme: "test", Size: 2}
	calls := 0
	get := func(k byte, want int) {
		t.Helper()
		v, err := c.Get([]byte{k, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, func(v int) bool { return v >= want },
			func() (int, error) { calls++; return want + int(k), nil })
		if err != nil || v < want {
			t.Fatalf("key %d: %d, %v", k, v, err)
		}
	}
	for _, c := range []struct {
		key       byte
		want      int
		wantCalls int
	}{
		{1, 10, 1}, // computed
		{1, 5, 1},  // kept value 11 fits
		{1, 20, 2}, // 11 does not fit: recomputed
		{2, 0, 3},  // a second key
		{1, 0, 3},  // both kept (Size 2)
		{3, 0, 4},  // a third key drops the oldest, key 2
		{1, 0, 4},
		{2, 0, 5},
	} {
		get(c.key, c.want)
		if calls != c.wantCalls {
			t.Fatalf("key %d: %d computations, want %d", c.key, calls, c.wantCalls)
		}
	}
	if len(c.ids) != 2 || len(c.vals) != 2 {
		t.Errorf("%d entries kept, want 2", len(c.ids))
	}
}
