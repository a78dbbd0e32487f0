package entropy

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

func TestLatentRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		name    string
		c, h, w int
		gen     func() int32
	}{
		{"zeros", 4, 16, 16, func() int32 { return 0 }},
		{"small", 32, 16, 16, func() int32 { return int32(rng.NormFloat64() * 1.5) }},
		{"large", 8, 5, 7, func() int32 { return int32(rng.NormFloat64() * 300) }},
		{"extremes", 1, 1, 4, nil},
		{"1x1", 1, 1, 1, func() int32 { return -3 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := make([]int32, tc.c*tc.h*tc.w)
			if tc.gen == nil {
				q = []int32{MaxMagnitude, -MaxMagnitude, 15, -16}
			} else {
				for i := range q {
					q[i] = tc.gen()
				}
			}
			b, err := EncodeLatent(q, tc.c, tc.h, tc.w)
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeLatent(b, tc.c, tc.h, tc.w)
			if err != nil {
				t.Fatal(err)
			}
			for i := range q {
				if q[i] != got[i] {
					t.Fatalf("value %d: got %d, want %d (%d bytes)", i, got[i], q[i], len(b))
				}
			}
		})
	}
}

func TestLatentRange(t *testing.T) {
	if _, err := EncodeLatent([]int32{MaxMagnitude + 1}, 1, 1, 1); err == nil {
		t.Fatal("out-of-range value accepted")
	}
	if _, err := EncodeLatent([]int32{1, 2}, 1, 1, 1); err == nil {
		t.Fatal("shape mismatch accepted")
	}
}

// TestCompression checks the coder against the entropy of a known source:
// i.i.d. values with P(0)=0.9, P(+1)=P(-1)=0.05 have 0.569 bits/symbol.
func TestCompression(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	n := 64 * 64 * 8
	q := make([]int32, n)
	for i := range q {
		switch u := rng.Float64(); {
		case u < 0.05:
			q[i] = 1
		case u < 0.10:
			q[i] = -1
		}
	}
	b, err := EncodeLatent(q, 8, 64, 64)
	if err != nil {
		t.Fatal(err)
	}
	bits := float64(8*len(b)) / float64(n)
	if bits < 0.569 || bits > 0.569*1.12 {
		t.Fatalf("%.4f bits/symbol, entropy 0.569", bits)
	}
}

func TestDamagedInputNeverPanics(t *testing.T) {
	q := make([]int32, 16*16*16)
	for i := range q {
		q[i] = int32(i%7) - 3
	}
	b, _ := EncodeLatent(q, 16, 16, 16)
	for cut := 0; cut <= len(b); cut += len(b)/10 + 1 {
		if _, err := DecodeLatent(b[:cut], 16, 16, 16); err != nil {
			t.Fatal(err)
		}
	}
	junk := bytes.Repeat([]byte{0xFF}, 100)
	got, err := DecodeLatent(junk, 16, 16, 16)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range got {
		if v > MaxMagnitude || v < -MaxMagnitude {
			t.Fatalf("decoded %d beyond MaxMagnitude", v)
		}
	}
}

func FuzzDecodeLatent(f *testing.F) {
	f.Add([]byte{}, uint8(4), uint8(4), uint8(4))
	f.Add([]byte{0xFF, 0x00, 0x12, 0x80}, uint8(32), uint8(16), uint8(16))
	f.Fuzz(func(t *testing.T, b []byte, c, h, w uint8) {
		q, err := DecodeLatent(b, int(c), int(h), int(w))
		if err != nil {
			return
		}
		// every decoded tensor re-encodes to a stream that decodes to it
		b2, err := EncodeLatent(q, int(c), int(h), int(w))
		if err != nil {
			t.Fatal(err)
		}
		q2, _ := DecodeLatent(b2, int(c), int(h), int(w))
		for i := range q {
			if q[i] != q2[i] {
				t.Fatal("re-encoding mismatch")
			}
		}
	})
}

func BenchmarkEncodeLatent(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	q := make([]int32, 32*16*16)
	for i := range q {
		q[i] = int32(rng.NormFloat64() * 2)
	}
	b.ResetTimer()
	for b.Loop() {
		EncodeLatent(q, 32, 16, 16)
	}
}
