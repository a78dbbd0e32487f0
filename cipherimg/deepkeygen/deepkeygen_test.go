package deepkeygen

import (
	"slices"
	"testing"

	"github.com/medqr/medqr/cipherimg"
	"github.com/medqr/medqr/cipherimg/internal/learnedtest"
)

func TestShared(t *testing.T) {
	sizes := append(slices.Clone(learnedtest.Sizes), [2]int{513, 300})
	if !testing.Short() {
		sizes = append(sizes, [2]int{2048, 2048})
	}
	learnedtest.Suite(t, Scheme, sizes)
}

// TestTiling: a 512x512 image is XORed with the key image in each quarter.
func TestTiling(t *testing.T) {
	k := learnedtest.TestKey()
	ki, err := KeyImageFor(k[:])
	if err != nil {
		t.Fatal(err)
	}
	px := make([]uint16, 512*512)
	kk := cipherimg.Keying{Key: k}
	if err := Scheme.Encrypt(&kk, px, 512, 512, 8); err != nil {
		t.Fatal(err)
	}
	for y := 0; y < 512; y++ {
		for x := 0; x < 512; x++ {
			if byte(px[y*512+x]) != ki[(y%KeySide)*KeySide+x%KeySide] {
				t.Fatalf("pixel (%d,%d) is not the key image's", x, y)
			}
		}
	}
	k[5] ^= 4
	k2, _ := KeyImageFor(k[:])
	same := 0
	for i := range ki {
		if ki[i] == k2[i] {
			same++
		}
	}
	if same > len(ki)/8 {
		t.Errorf("keys one bit apart share %d of %d key-image bytes", same, len(ki))
	}
}

func TestToByte(t *testing.T) {
	for _, c := range []struct {
		y    float64
		want byte
	}{{-1, 0}, {-2, 0}, {1, 255}, {3, 255}, {0, 128}, {-0.00392156, 127}, {0.5, 191}} {
		if got := ToByte(c.y); got != c.want {
			t.Errorf("ToByte(%v) = %d, want %d", c.y, got, c.want)
		}
	}
}

func TestWeightsRefused(t *testing.T) { learnedtest.WeightsRefused(t, shipped, 100, Decode) }

func FuzzDecode(f *testing.F) {
	learnedtest.FuzzDecode(f, shipped, Decode, func(t *testing.T, m *Model) {
		if y := m.Forward(make([]float64, 16), 4); len(y) != 16 {
			t.Fatalf("output of %d values", len(y))
		}
	})
}

func BenchmarkKeyImage(b *testing.B) {
	m := learnedtest.Model(b, Default)
	k := learnedtest.TestKey()
	init, _ := InitialImage(k[:])
	b.SetBytes(KeySide * KeySide)
	for b.Loop() {
		m.KeyImage(init)
	}
}
