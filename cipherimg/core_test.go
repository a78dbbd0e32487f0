package cipherimg

import (
	"crypto/cipher"
	"crypto/sha256"
	"math/rand/v2"
	"slices"
	"testing"

	"golang.org/x/crypto/chacha20"
)

// testStreams is a streamFunc over plain ChaCha20 keyed by a hash of the
// label, so the core can be tested without the key schedule.
func testStreams(seed string) streamFunc {
	return func(l string) (cipher.Stream, error) {
		k := sha256.Sum256([]byte(seed + "|" + l))
		return chacha20.NewUnauthenticatedCipher(k[:], make([]byte, 12))
	}
}

func randomPixels(rng *rand.Rand, n, depth int) []uint16 {
	px := make([]uint16, n)
	for i := range px {
		px[i] = uint16(rng.UintN(1 << depth))
	}
	return px
}

func TestCoreRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := [][2]int{{1, 1}, {1, 2}, {2, 1}, {1, 37}, {37, 1}, {2, 2}, {3, 5}, {17, 9}, {64, 63}, {129, 130}}
	variants := []params{
		{rounds: 1, layers: 4, perm: true, net: true, diff: true},
		{rounds: 2, layers: 3, perm: true, net: true, diff: true},
		{rounds: 1, layers: 4, net: true},
		{rounds: 1, layers: 1, perm: true},
		{rounds: 1, layers: 4, diff: true},
	}
	for _, depth := range []int{8, 16} {
		for _, sz := range sizes {
			for vi, v := range variants {
				p := v
				p.w, p.h, p.depth = sz[0], sz[1], depth
				plain := randomPixels(rng, p.w*p.h, depth)
				px := slices.Clone(plain)
				if err := encryptPixels(px, p, testStreams("k")); err != nil {
					t.Fatal(err)
				}
				if len(px) > 16 && slices.Equal(px, plain) {
					t.Errorf("depth %d %dx%d variant %d: encryption changed nothing", depth, p.w, p.h, vi)
				}
				for _, x := range px {
					if uint32(x) > p.mask() {
						t.Fatalf("depth %d: cipher value %d out of range", depth, x)
					}
				}
				if err := decryptPixels(px, p, testStreams("k")); err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(px, plain) {
					t.Errorf("depth %d %dx%d variant %d: round trip differs", depth, p.w, p.h, vi)
				}
			}
		}
	}
}

func TestPermutationIsBijection(t *testing.T) {
	for _, n := range []int{1, 2, 1000, rsMinSize, rsMinSize + 1, 300000} {
		s, _ := testStreams("p")("x")
		perm := permutation(s, n)
		seen := make([]bool, n)
		for _, p := range perm {
			if seen[p] {
				t.Fatalf("n=%d: index %d drawn twice", n, p)
			}
			seen[p] = true
		}
	}
}

// TestPermutationUniform draws many permutations of 5 elements through
// both paths (plain Fisher-Yates, and the Rao-Sandelius piles forced on
// by a tiny threshold) and checks that all 120 are equally likely:
// chi-square with 119 degrees of freedom, critical value 173.6 at
// a = 0.001.
func TestPermutationUniform(t *testing.T) {
	const n, draws = 5, 60000
	for _, fyMax := range []int{rsMinSize, 1} {
		s, _ := testStreams("uniform")("x")
		counts := map[[n]uint32]int{}
		for i := 0; i < draws; i++ {
			counts[[n]uint32(permutationRS(s, n, fyMax))]++
		}
		if len(counts) != 120 {
			t.Fatalf("fyMax %d: %d distinct permutations, want 120", fyMax, len(counts))
		}
		var chi float64
		for _, c := range counts {
			d := float64(c) - draws/120.0
			chi += d * d / (draws / 120.0)
		}
		if chi > 173.6 {
			t.Errorf("fyMax %d: chi-square %.1f over 120 permutations, not uniform", fyMax, chi)
		}
	}
}

func TestBelowUniform(t *testing.T) {
	s, _ := testStreams("u")("x")
	r := newKSReader(s, 256)
	const n, draws = 6, 60000
	var counts [n]int
	for i := 0; i < draws; i++ {
		v := r.below(n)
		if v >= n {
			t.Fatalf("below(%d) = %d", n, v)
		}
		counts[v]++
	}
	// chi-square with 5 degrees of freedom, critical value 20.52 at a = 0.001
	var chi float64
	for _, c := range counts {
		d := float64(c) - draws/n
		chi += d * d / (draws / n)
	}
	if chi > 20.52 {
		t.Errorf("below(6) not uniform: counts %v, chi-square %.2f", counts, chi)
	}
}

func BenchmarkCoreStages(b *testing.B) {
	for _, side := range []int{256, 2048} {
		rng := rand.New(rand.NewPCG(3, 4))
		px := randomPixels(rng, side*side, 8)
		for _, st := range []struct {
			name string
			p    params
		}{
			{"perm", params{perm: true}},
			{"net", params{net: true, layers: 4}},
			{"diff", params{diff: true}},
			{"all", params{perm: true, net: true, diff: true, layers: 4}},
		} {
			p := st.p
			p.w, p.h, p.depth, p.rounds = side, side, 8, 1
			b.Run(st.name+"/"+itoa(side), func(b *testing.B) {
				b.SetBytes(int64(len(px)))
				for b.Loop() {
					if err := encryptPixels(px, p, testStreams("b")); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func itoa(n int) string {
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}
