package attacks

import (
	"context"
	"image"
	"testing"
)

// smoothCrops makes n distinct smooth side x side images (gradients with
// random direction, offset and texture), standing in for X-ray crops.
func smoothCrops(n, side int, seed uint64) []*image.Gray {
	rng := newRNG(seed, "smooth")
	out := make([]*image.Gray, n)
	for k := range out {
		g := image.NewGray(image.Rect(0, 0, side, side))
		a, b, c := rng.Float64()*6-3, rng.Float64()*6-3, 60+rng.Float64()*120
		for y := range side {
			for x := range side {
				g.Pix[y*side+x] = clamp8(c + a*float64(x) + b*float64(y) + 4*rng.NormFloat64())
			}
		}
		out[k] = g
	}
	return out
}

func encryptPairs(t testing.TB, s Scheme, key [32]byte, nonce func() []byte, plains []*image.Gray) []Pair {
	ps := make([]Pair, len(plains))
	for i, p := range plains {
		c, err := s.Encrypt(key, nonce(), p)
		if err != nil {
			t.Fatal(err)
		}
		ps[i] = Pair{Plain: p, Cipher: c.Image}
	}
	return ps
}

func TestLearnedAttack(t *testing.T) {
	rng := newRNG(4, t.Name())
	key := randKey(rng)
	s := PermXOR{}
	fixed := randBytes(rng, s.NonceSize())
	plains := smoothCrops(1300, 12, 7)
	for _, tc := range []struct {
		nonce   string
		minGain float64 // dB over the mean-image baseline
		maxGain float64
	}{
		{"fixed", 6, 1000},
		{"fresh", -1000, 1},
	} {
		t.Run(tc.nonce, func(t *testing.T) {
			nonce := func() []byte { return fixed }
			if tc.nonce == "fresh" {
				nonce = func() []byte { return randBytes(rng, s.NonceSize()) }
			}
			pairs := encryptPairs(t, s, key, nonce, plains)
			res, err := LearnedAttack(context.Background(), rng, pairs[:1200], pairs[1200:], 4, 50, 5e-4, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s nonce: net %.2f dB / %.3f, baseline %.2f dB / %.3f, loss %v", tc.nonce,
				res.NetPSNR, res.NetSSIM, res.BasePSNR, res.BaseSSIM, res.EpochLoss)
			if g := float64(res.GainPSNR); g < tc.minGain || g > tc.maxGain {
				t.Fatalf("gain %.2f dB over the mean image, want %v..%v", g, tc.minGain, tc.maxGain)
			}
		})
	}
}
