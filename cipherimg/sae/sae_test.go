package sae

import (
	"testing"

	"github.com/medqr/medqr/cipherimg"
	"github.com/medqr/medqr/cipherimg/internal/learnedtest"
)

func TestShared(t *testing.T) {
	learnedtest.Suite(t, Scheme, learnedtest.Sizes)
}

// TestRoundTripMax covers the largest size the issue names, 2048x2048 (a
// sort of four million positions and a million network evaluations):
// MEDQR_LONG_TESTS=1 (make learnedciphers-long).
func TestRoundTripMax(t *testing.T) {
	learnedtest.RoundTripLong(t, Scheme, learnedtest.LongSizes)
}

// TestPermutation: pi is a permutation, depends on the key, and its
// diffusion bytes are not degenerate.
func TestPermutation(t *testing.T) {
	m := learnedtest.Model(t, Default)
	k := learnedtest.TestKey()
	p1, _ := DeriveParams(k[:])
	k[31] ^= 0x80
	p2, _ := DeriveParams(k[:])
	const n = 65536
	a, b := m.Permutation(p1, n), m.Permutation(p2, n)
	seen := make([]bool, n)
	fixed, same := 0, 0
	for i, j := range a {
		if seen[j] {
			t.Fatalf("position %d appears twice", j)
		}
		seen[j] = true
		if int(j) == i {
			fixed++
		}
		if b[i] == j {
			same++
		}
	}
	if fixed > 20 || same > 20 {
		t.Errorf("%d fixed points, %d positions shared by keys one bit apart (expect about 1)", fixed, same)
	}
	learnedtest.CheckUniform(t, "diffusion bytes", m.DiffusionBytes(p1, n))
}

// TestDiffusionChains: changing the last permuted pixel changes only the
// last cipher pixel, changing the first one changes every later one (the
// chained diffusion runs forward only, as documented).
func TestDiffusionChains(t *testing.T) {
	m := learnedtest.Model(t, Default)
	k := learnedtest.TestKey()
	p, _ := DeriveParams(k[:])
	const w, h = 16, 16
	pi := m.Permutation(p, w*h)
	base := learnedtest.Plain(9, w*h)
	enc := func(px []uint16) []uint16 {
		c := append([]uint16(nil), px...)
		kk := cipherimg.Keying{Key: k}
		if err := Scheme.Encrypt(&kk, c, w, h, 8); err != nil {
			t.Fatal(err)
		}
		return c
	}
	c0 := enc(base)
	for _, pos := range []int{0, w*h - 1} {
		x := append([]uint16(nil), base...)
		x[pi[pos]] ^= 1
		c1 := enc(x)
		diff := 0
		for i := range c0 {
			if c0[i] != c1[i] {
				diff++
			}
		}
		if want := w*h - pos; diff != want {
			t.Errorf("flip at permuted position %d changed %d cipher pixels, want %d", pos, diff, want)
		}
	}
}

func TestWeightsRefused(t *testing.T) {
	learnedtest.WeightsRefused(t, shipped, len(shipped)-40, Decode)
}

func FuzzDecode(f *testing.F) {
	learnedtest.FuzzDecode(f, shipped, Decode, func(t *testing.T, m *Model) {
		if z := m.Encode(make([]float64, m.Cfg.Input)); len(z) != m.Cfg.Hidden[len(m.Cfg.Hidden)-1] {
			t.Fatalf("code of %d values", len(z))
		}
	})
}
