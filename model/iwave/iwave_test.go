package iwave

import (
	"errors"
	"image"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/medqr/medqr/internal/testimg"
)

func loadGray(t testing.TB, name string) *image.Gray {
	t.Helper()
	return testimg.ReadGray(t, "testdata/"+name)
}

func psnr(a, b *image.Gray) float64 { return testimg.PSNR(a, b) }

// roundTrip encodes g with c at budget and decodes the payload.
func roundTrip(t testing.TB, c *Codec, g *image.Gray, budget int) ([]byte, *image.Gray) {
	t.Helper()
	p, err := c.Encode(g, budget)
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.Decode(p)
	if err != nil {
		t.Fatal(err)
	}
	return p, d
}

// TestLiftingInverse: the lifting stack is an additive-coupling network, so
// Inverse(Forward(x)) recovers x up to float rounding, for every size
// (odd, even, tiny) and depth.
func TestLiftingInverse(t *testing.T) {
	eachPlane(rand.New(rand.NewPCG(1, 2)), func(w, h, levels int, x []float64) {
		y := append([]float64(nil), x...)
		Forward(y, w, h, levels)
		Inverse(y, w, h, levels)
		for i := range x {
			if math.Abs(x[i]-y[i]) > 1e-9 {
				t.Fatalf("%dx%d, %d levels: sample %d: got %v, want %v", w, h, levels, i, y[i], x[i])
			}
		}
	})
}

// eachPlane calls f with a random plane (values in -128..127) of every
// size of the inverse tests (odd, even, tiny) at every depth from 0 to
// the codec's (at least 1).
func eachPlane(rng *rand.Rand, f func(w, h, levels int, x []float64)) {
	for _, sz := range [][2]int{{256, 256}, {255, 257}, {1, 1}, {2, 3}, {9, 8}, {100, 37}, {17, 64}} {
		w, h := sz[0], sz[1]
		for levels := 0; levels <= max(Levels(w, h), 1); levels++ {
			x := make([]float64, w*h)
			for i := range x {
				x[i] = rng.Float64()*255 - 128
			}
			f(w, h, levels, x)
		}
	}
}

// TestLiftingIsCDF97: the 1-D step reproduces the CDF 9/7 analysis filter:
// an impulse in the middle of a long signal gives the low-pass taps of the
// JPEG 2000 9/7 filter (scaled by 1/K: DC gain 1) and a constant signal
// has zero high-pass output.
func TestLiftingIsCDF97(t *testing.T) {
	n := 64
	x := make([]float64, n)
	for i := range x {
		x[i] = 3
	}
	tmp := make([]float64, n)
	fwd1(x, tmp)
	for i := n / 2; i < n; i++ {
		if math.Abs(x[i]) > 1e-9 {
			t.Fatalf("high-pass of a constant: %v at %d", x[i], i)
		}
	}
	for i := 0; i < n/2; i++ {
		if math.Abs(x[i]-3) > 1e-9 {
			t.Fatalf("low-pass of a constant 3: %v at %d (DC gain must be 1)", x[i], i)
		}
	}
	// Low-pass analysis taps of CDF 9/7 (JPEG 2000 Part 1, Table F.4,
	// normalised to DC gain 1): h0 = 0.602949, h±1 = 0.266864,
	// h±2 = -0.078223, h±3 = -0.016864, h±4 = 0.026749.
	want := []float64{0.6029490182363579, 0.2668641184428723, -0.07822326652898785, -0.01686411844287495, 0.02674875741080976}
	for k, wv := range want {
		x := make([]float64, n)
		x[32+k] = 1 // low output s[16] = sum h[j] x[32+j]
		fwd1(x, tmp)
		if math.Abs(x[16]-wv) > 1e-6 {
			t.Fatalf("tap %d: got %.9f, want %.9f", k, x[16], wv)
		}
	}
}

func TestBudgets(t *testing.T) {
	g := loadGray(t, "cxr256.png")
	c := Default()
	for _, tc := range []struct {
		budget  int
		minPSNR float64
	}{{2905, 36}, {2283, 35}, {1615, 33}, {1225, 31}, {300, 22}} {
		p, d := roundTrip(t, c, g, tc.budget)
		if len(p) > tc.budget {
			t.Fatalf("budget %d: %d bytes", tc.budget, len(p))
		}
		// Rate control takes the finest step that fits: one step finer
		// overflows.
		h, _ := ParseHeader(p)
		a, _ := c.Analyze(g)
		if h.Step > 0 && len(c.EncodeStep(a, h.Step-1)) <= tc.budget {
			t.Errorf("budget %d: step %d chosen but step %d also fits", tc.budget, h.Step, h.Step-1)
		}
		if q := psnr(g, d); q < tc.minPSNR {
			t.Errorf("budget %d: PSNR %.2f dB, want >= %.1f", tc.budget, q, tc.minPSNR)
		} else {
			t.Logf("budget %d: %d bytes, step %d, PSNR %.2f dB", tc.budget, len(p), h.Step, q)
		}
	}
	if _, err := c.Encode(g, HeaderSize); !errors.Is(err, ErrBudget) {
		t.Fatalf("budget of a bare header: err %v, want ErrBudget", err)
	}
}

// TestLossless: at the finest step the quantiser is fine enough that every
// pixel comes back.
func TestFineStep(t *testing.T) {
	g := loadGray(t, "cxr256.png")
	_, d := roundTrip(t, New(nil), g, 0)
	for i := range g.Pix {
		if g.Pix[i] != d.Pix[i] {
			t.Fatalf("pixel %d: got %d, want %d", i, d.Pix[i], g.Pix[i])
		}
	}
}

func TestOddSizes(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	c := New(nil)
	for _, sz := range [][2]int{{1, 1}, {3, 2}, {7, 9}, {33, 18}, {129, 65}} {
		g := image.NewGray(image.Rect(0, 0, sz[0], sz[1]))
		for i := range g.Pix {
			g.Pix[i] = uint8(100 + rng.IntN(40))
		}
		_, d := roundTrip(t, c, g, 0)
		if d.Rect != g.Rect {
			t.Fatalf("%v: decoded %v", g.Rect, d.Rect)
		}
		if q := psnr(g, d); q < 50 && !math.IsInf(q, 1) {
			t.Fatalf("%v: PSNR %.1f at the finest step", g.Rect, q)
		}
	}
}

func TestBadPayloads(t *testing.T) {
	g := loadGray(t, "cxr256.png")
	c := Default()
	p, err := c.Encode(g, 1225)
	if err != nil {
		t.Fatal(err)
	}
	bad := func(mut func([]byte) []byte) []byte { return mut(append([]byte(nil), p...)) }
	for name, b := range map[string][]byte{
		"empty":     {},
		"short":     p[:HeaderSize-1],
		"version":   bad(func(b []byte) []byte { b[0] = 9; return b }),
		"zero-size": bad(func(b []byte) []byte { b[1], b[2] = 0, 0; return b }),
		"huge":      bad(func(b []byte) []byte { b[1], b[2] = 0xff, 0xff; return b }),
		"step v3":   bad(func(b []byte) []byte { b[0], b[5], b[6] = 3, 0xff, 0xff; return b }),
		"filter":    bad(func(b []byte) []byte { b[7] ^= 1; return b }),
	} {
		if _, err := c.Decode(b); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: err %v, want ErrFormat", name, err)
		}
	}
	// Truncated and damaged bodies decode to some image, never panic.
	for _, n := range []int{HeaderSize, HeaderSize + 1, len(p) / 2} {
		if _, err := c.Decode(p[:n]); err != nil {
			t.Errorf("truncated to %d: %v", n, err)
		}
	}
}

// FuzzDecode feeds arbitrary payloads to the parser and coefficient
// decoder (without the post-filter, which only ever sees a decoded image,
// and with sides capped at 64 to keep executions fast): either an image or
// an error wrapping ErrFormat, never a panic.
func FuzzDecode(f *testing.F) {
	g := loadGray(f, "cxr256.png").SubImage(image.Rect(64, 64, 128, 128)).(*image.Gray)
	c := New(nil)
	for _, tc := range []struct {
		g *image.Gray
		b int
	}{{g, 400}, {g, 100}, {g, 0}, {stripes(64, 48, 7), 300}} {
		p, err := c.Encode(tc.g, tc.b)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(p)
		// The same body read as the earlier versions (other contexts and
		// priors), without version 4's gain bits, which the earlier
		// versions' step field refuses.
		for v := byte(1); v < Version; v++ {
			q := append([]byte{v}, p[1:]...)
			q[5] &= 0x0f
			f.Add(q)
		}
	}
	f.Add([]byte{1, 0, 8, 0, 8, 6, 0, 0, 0, 0xff, 0xff, 0xff})
	// Versions 5 and 6 with every split bit set (the body starts with
	// them; version 6 then with every deep bit set).
	for v := byte(5); v <= Version; v++ {
		f.Add([]byte{v, 0, 40, 0, 24, 6, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x80, 0x11, 0x22})
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) >= 5 {
			if int(b[1])<<8|int(b[2]) > 64 {
				b[1], b[2] = 0, b[2]&63
			}
			if int(b[3])<<8|int(b[4]) > 64 {
				b[3], b[4] = 0, b[4]&63
			}
		}
		img, err := c.Decode(b)
		if (img == nil) == (err == nil) {
			t.Fatalf("image %v with error %v", img != nil, err)
		}
		if err != nil && !errors.Is(err, ErrFormat) {
			t.Fatalf("error %v does not wrap ErrFormat", err)
		}
	})
}

func BenchmarkEncode(b *testing.B) {
	g := loadGray(b, "cxr256.png")
	c := Default()
	for b.Loop() {
		if _, err := c.Encode(g, 2905); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeV4 is BenchmarkEncode writing version 4 (no packet
// splits): run beside it, it shows what the splits cost an encode.
func BenchmarkEncodeV4(b *testing.B) {
	g := loadGray(b, "cxr256.png")
	c := Default().WithVersion(4)
	for b.Loop() {
		if _, err := c.Encode(g, 2905); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	g := loadGray(b, "cxr256.png")
	c := Default()
	p, err := c.Encode(g, 2905)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := c.Decode(p); err != nil {
			b.Fatal(err)
		}
	}
}

// TestBandsTile: the bands of every size and depth cover each coefficient
// exactly once, so scaleBands scales every coefficient by one gain.
func TestBandsTile(t *testing.T) {
	for _, sz := range [][2]int{{256, 256}, {224, 224}, {255, 257}, {1, 1}, {2, 3}, {9, 8}, {100, 37}, {17, 64}, {1024, 768}} {
		w, h := sz[0], sz[1]
		for levels := 0; levels <= Levels(w, h); levels++ {
			n := make([]int, w*h)
			for _, b := range Bands(w, h, levels) {
				for y := b.Y0; y < b.Y0+b.H; y++ {
					for x := b.X0; x < b.X0+b.W; x++ {
						n[y*w+x]++
					}
				}
			}
			for i, c := range n {
				if c != 1 {
					t.Fatalf("%dx%d, %d levels: coefficient (%d, %d) is in %d bands", w, h, levels, i%w, i/w, c)
				}
			}
		}
	}
}
