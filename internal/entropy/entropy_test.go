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

// TestModelsRoundTrip codes mixed runs of bits through both adaptation
// rules, interleaved with direct bits, and checks the decoder gets them all
// back, costs near the source entropy, and never reads past the flush.
func TestModelsRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 2, 1000, 200000} {
		bits := make([]int, n)
		ctx := make([]int, n)
		for i := range bits {
			ctx[i] = rng.IntN(3)
			// Context 0 is nearly always 0, 1 is fair, 2 is mostly 1.
			if rng.Float64() < [3]float64{0.01, 0.5, 0.8}[ctx[i]] {
				bits[i] = 1
			}
		}
		e := NewEncoder()
		var p [3]Prob
		var c [3]CountProb
		for i := range 3 {
			p[i].Init()
			c[i].Init()
		}
		for i, b := range bits {
			switch {
			case i%3 == 0:
				e.Bit(&p[ctx[i]], b)
			case i%3 == 1:
				e.CountBit(&c[ctx[i]], b)
			default:
				e.Direct(uint32(b), 1)
			}
		}
		out := e.Bytes()
		d := NewDecoder(out)
		for i := range 3 {
			p[i].Init()
			c[i].Init()
		}
		for i, want := range bits {
			var got int
			switch {
			case i%3 == 0:
				got = d.Bit(&p[ctx[i]])
			case i%3 == 1:
				got = d.CountBit(&c[ctx[i]])
			default:
				got = int(d.Direct(1))
			}
			if got != want {
				t.Fatalf("n=%d: bit %d decoded %d, want %d", n, i, got, want)
			}
		}
		if d.Overrun() > 0 {
			t.Errorf("n=%d: decoder read %d bytes past the flush", n, d.Overrun())
		}
		if n == 200000 {
			// Source entropy: 2/3 of the bits follow the contexts
			// (H = 0.0808, 1, 0.7219 bits), 1/3 are direct (1 bit).
			h := float64(n) * (2.0/3*(0.0808+1+0.7219)/3 + 1.0/3)
			if got := 8 * float64(len(out)); got > 1.01*h {
				t.Errorf("%d bits for a source of %.0f bits", int(got), h)
			}
		}
	}
}

// TestBitAt: BitAt at DefaultRates codes exactly what Bit codes and
// leaves the same probabilities, and at other rates it round-trips, moves
// each estimate by its own rate and codes a skewed source no worse than
// Bit within 1 %.
func TestBitAt(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	bits := make([]int, 50000)
	for i := range bits {
		if rng.Float64() < 0.1 {
			bits[i] = 1
		}
	}
	encode := func(code func(e *Encoder, p *Prob, b int)) ([]byte, Prob) {
		e := NewEncoder()
		var p Prob
		p.InitP(20000)
		for _, b := range bits {
			code(e, &p, b)
		}
		return e.Bytes(), p
	}
	ref, refP := encode(func(e *Encoder, p *Prob, b int) { e.Bit(p, b) })
	for _, r := range []Rates{DefaultRates, {Fast: 4, Slow: 6}, {Fast: 1, Slow: 14}} {
		got, gotP := encode(func(e *Encoder, p *Prob, b int) { e.BitAt(p, b, r) })
		if r == DefaultRates && (!bytes.Equal(got, ref) || gotP != refP) {
			t.Errorf("BitAt at DefaultRates: %d bytes, state %+v; Bit: %d bytes, state %+v", len(got), gotP, len(ref), refP)
		}
		if n := len(got); float64(n) > 1.01*float64(len(ref)) && r.Fast > 1 {
			t.Errorf("rates %+v: %d bytes, Bit %d", r, n, len(ref))
		}
		d := NewDecoder(got)
		var p Prob
		p.InitP(20000)
		for i, want := range bits {
			if b := d.BitAt(&p, r); b != want {
				t.Fatalf("rates %+v: bit %d decoded %d, want %d", r, i, b, want)
			}
		}
		var one Prob
		one.InitP(probOne / 2)
		one.updateAt(0, r)
		if want := uint16(probOne/2 + probOne/2>>r.Fast); one.fast != want {
			t.Errorf("rates %+v: fast estimate %d after a 0 from 1/2, want %d", r, one.fast, want)
		}
		if want := uint16(probOne/2 + probOne/2>>r.Slow); one.slow != want {
			t.Errorf("rates %+v: slow estimate %d after a 0 from 1/2, want %d", r, one.slow, want)
		}
	}
}

// TestCountProbSchedule checks CountProb's rates: after k zeros from 1/2,
// P(1) has shrunk by (1-rate) per bit, with rate 1/16 for the first 16
// bits, 1/32 to 48 and 1/64 after.
func TestCountProbSchedule(t *testing.T) {
	var p CountProb
	p.Init()
	want := float64(probOne / 2)
	for k := range 300 {
		rate := 1.0 / 16
		if k >= 16 {
			rate = 1.0 / 32
		}
		if k >= 48 {
			rate = 1.0 / 64
		}
		want *= 1 - rate
		p.update(0)
		if got := float64(probOne - uint32(p.p)); got < want-float64(k+1) || got > want+float64(k+1) {
			t.Fatalf("after %d zeros P(1) = %.0f/32768, want %.1f", k+1, got, want)
		}
	}
}
