package eval

import (
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

func round(x float64, places int) float64 {
	s := math.Pow(10, float64(places))
	return math.Round(x*s) / s
}

// TestWuCriticalValues reproduces Table of Wu, Noonan and Agaian (2011):
// NPCR critical values and UACI intervals (percent, 4 decimals).
func TestWuCriticalValues(t *testing.T) {
	tests := []struct {
		side         int
		alpha        float64
		npcr, lo, hi float64
	}{
		{256, 0.05, 99.5693, 33.2824, 33.6447},
		{256, 0.01, 99.5527, 33.2255, 33.7016},
		{256, 0.001, 99.5341, 33.1594, 33.7677},
		{512, 0.05, 99.5893, 33.3730, 33.5541},
		{512, 0.01, 99.5810, 33.3445, 33.5826},
		{512, 0.001, 99.5717, 33.3115, 33.6156},
		{1024, 0.05, 99.5994, 33.4183, 33.5088},
		{1024, 0.01, 99.5952, 33.4040, 33.5231},
		{1024, 0.001, 99.5906, 33.3875, 33.5396},
	}
	for _, tt := range tests {
		n := tt.side * tt.side
		if got := round(NPCRCritical(n, 255, tt.alpha), 4); got != tt.npcr {
			t.Errorf("%dx%d alpha %g: NPCR* = %.4f, paper %.4f", tt.side, tt.side, tt.alpha, got, tt.npcr)
		}
		lo, hi := UACIInterval(n, 255, tt.alpha)
		if round(lo, 4) != tt.lo || round(hi, 4) != tt.hi {
			t.Errorf("%dx%d alpha %g: UACI [%.4f, %.4f], paper [%.4f, %.4f]", tt.side, tt.side, tt.alpha, lo, hi, tt.lo, tt.hi)
		}
	}
	// mu_U = 257/768 exactly for F = 255
	if mu, _ := UACIMoments(1, 255); math.Abs(mu-257.0/768) > 1e-15 {
		t.Errorf("mu_U = %v", mu)
	}
}

func TestNPCRUACIHand(t *testing.T) {
	tests := []struct {
		a, b       []byte
		npcr, uaci float64
	}{
		{[]byte{1, 2, 3, 4}, []byte{1, 2, 0, 4}, 25, 100 * 3.0 / (255 * 4)},
		{[]byte{0, 255}, []byte{255, 255}, 50, 50},
		{[]byte{7}, []byte{7}, 0, 0},
		{[]byte{0, 0, 0}, []byte{255, 255, 255}, 100, 100},
	}
	for _, tt := range tests {
		if got := NPCRBytes(tt.a, tt.b); math.Abs(got-tt.npcr) > 1e-12 {
			t.Errorf("NPCR(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.npcr)
		}
		if got := UACIBytes(tt.a, tt.b); math.Abs(got-tt.uaci) > 1e-12 {
			t.Errorf("UACI(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.uaci)
		}
	}
	// images: 8-bit and 16-bit (F = 65535)
	g1, g2 := constGray(2, 2, 10), constGray(2, 2, 10)
	g2.Pix[1] = 61
	n, u, err := NPCRUACI(g1, g2)
	if err != nil || n != 25 || math.Abs(u-100*51.0/(255*4)) > 1e-12 {
		t.Errorf("NPCRUACI 8-bit = %v, %v, %v", n, u, err)
	}
	h1, h2 := image.NewGray16(image.Rect(0, 0, 2, 1)), image.NewGray16(image.Rect(0, 0, 2, 1))
	h2.Pix[0], h2.Pix[1] = 0xff, 0xff
	n, u, err = NPCRUACI(h1, h2)
	if err != nil || n != 50 || u != 50 {
		t.Errorf("NPCRUACI 16-bit = %v, %v, %v", n, u, err)
	}
	if _, _, err := NPCRUACI(g1, h1); err == nil {
		t.Error("NPCRUACI of 8-bit and 16-bit images: no error")
	}
}

func TestEntropyHand(t *testing.T) {
	tests := []struct {
		hist []int
		want float64
	}{
		{nil, 0},
		{[]int{5}, 0},
		{[]int{1, 1}, 1},
		{[]int{3, 3, 3, 3}, 2},
		{[]int{2, 1, 1, 0}, 1.5},
		{[]int{0, 0, 9}, 0},
	}
	for _, tt := range tests {
		if got := Entropy(tt.hist); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("Entropy(%v) = %v, want %v", tt.hist, got, tt.want)
		}
	}
	all := make([]byte, 512)
	for i := range all {
		all[i] = byte(i)
	}
	if got := EntropyBytes(all); math.Abs(got-8) > 1e-12 {
		t.Errorf("EntropyBytes(each value twice) = %v, want 8", got)
	}
}

// TestEntropyNull checks the exact moments against enumerations done by hand
// and against the published 256x256 figure.
func TestEntropyNull(t *testing.T) {
	h13 := -(1.0/3)*math.Log2(1.0/3) - (2.0/3)*math.Log2(2.0/3)
	tests := []struct {
		n, levels int
		mean, sd  float64
	}{
		{1, 2, 0, 0},
		// n=2, K=2: H=0 w.p. 1/2, H=1 w.p. 1/2
		{2, 2, 0.5, 0.5},
		// n=2, K=4: both samples equal w.p. 1/4 (H=0), else H=1
		{2, 4, 0.75, math.Sqrt(0.75 * 0.25)},
		// n=3, K=2: H=0 w.p. 1/4, H=h(1/3) w.p. 3/4
		{3, 2, 0.75 * h13, math.Sqrt(0.75*0.25) * h13},
	}
	for _, tt := range tests {
		m, s := EntropyNull(tt.n, tt.levels)
		if math.Abs(m-tt.mean) > 1e-12 || math.Abs(s-tt.sd) > 1e-9 {
			t.Errorf("EntropyNull(%d, %d) = %v +/- %v, want %v +/- %v", tt.n, tt.levels, m, s, tt.mean, tt.sd)
		}
	}
	m, s := EntropyNull(256*256, 256)
	if round(m, 5) != 7.99719 || round(s, 5) != 0.00025 {
		t.Errorf("256x256: %.7f +/- %.7f, want 7.99719 +/- 0.00025", m, s)
	}
	// the moments agree with a seeded simulation of 400 random 64x64 images
	const n, trials = 4096, 400
	m, s = EntropyNull(n, 256)
	r := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, n)
	var sum, sum2 float64
	for range trials {
		for i := range buf {
			buf[i] = byte(r.Uint32())
		}
		h := EntropyBytes(buf)
		sum += h
		sum2 += h * h
	}
	sm := sum / trials
	ss := math.Sqrt(sum2/trials - sm*sm)
	if math.Abs(sm-m) > 4*s/math.Sqrt(trials) || math.Abs(ss/s-1) > 0.15 {
		t.Errorf("4096 samples: exact %.6f +/- %.6f, simulated %.6f +/- %.6f", m, s, sm, ss)
	}
}

func TestLocalEntropy(t *testing.T) {
	// 88x44: left block all 0 (entropy 0), right block values 0..3 evenly
	// (entropy 2): mean 1
	w, h := 88, 44
	pix := make([]byte, w*h)
	for y := 0; y < h; y++ {
		for x := 44; x < 88; x++ {
			pix[y*w+x] = byte((x + y) % 4)
		}
	}
	rng := rand.New(rand.NewPCG(1, 1))
	got, err := LocalEntropy(pix, w, h, 44, 2, rng)
	if err != nil || math.Abs(got-1) > 1e-12 {
		t.Errorf("LocalEntropy = %v, %v, want 1", got, err)
	}
	got, err = LocalEntropy(pix, w, h, 44, 1, rng)
	if err != nil || (got != 0 && math.Abs(got-2) > 1e-12) {
		t.Errorf("LocalEntropy k=1 = %v, %v, want 0 or 2", got, err)
	}
	if _, err := LocalEntropy(pix, w, h, 44, 3, rng); err == nil {
		t.Error("3 blocks in 88x44: no error")
	}
	for _, tt := range []struct{ w, h, k int }{{256, 256, 25}, {224, 224, 25}, {330, 264, 30}, {43, 1000, 0}, {512, 512, 30}} {
		if got := LocalBlocks(tt.w, tt.h); got != tt.k {
			t.Errorf("LocalBlocks(%d, %d) = %d, want %d", tt.w, tt.h, got, tt.k)
		}
	}
}

func TestLocalNull(t *testing.T) {
	trials := 1000
	if testing.Short() {
		trials = 400
	}
	null := SimulateLocalNull(LocalBlocksK, 1936, trials, 7)
	again := SimulateLocalNull(LocalBlocksK, 1936, trials, 7)
	for i := range null.Sorted {
		if null.Sorted[i] != again.Sorted[i] {
			t.Fatal("same seed, different simulation")
		}
	}
	mean, sd := EntropyNull(1936, 256)
	// The exact mean of one block is the published mu = 7.902469317.
	if round(mean, 9) != 7.902469317 {
		t.Errorf("block entropy mean %.9f, want 7.902469317", mean)
	}
	lo, hi := null.Interval(0.05)
	// the simulated interval agrees with the normal approximation from the
	// exact moments: mean -/+ 1.96 sd/sqrt(k), to within 10 % of its width
	half := 1.959964 * sd / math.Sqrt(LocalBlocksK)
	if math.Abs(lo-(mean-half)) > 0.1*2*half || math.Abs(hi-(mean+half)) > 0.1*2*half {
		t.Errorf("simulated [%.6f, %.6f], normal approx [%.6f, %.6f]", lo, hi, mean-half, mean+half)
	}
	// The widely copied interval holds far fewer than 95 % of random images
	// (it equals mean -/+ 1.96 sd/k: about 28 %).
	pub := WuLocalEntropyPublished
	if c := null.Coverage(pub[0], pub[1]); c > 0.4 || c < 0.15 {
		t.Errorf("coverage of the published interval = %.3f, expected about 0.28", c)
	}
	if c := null.Coverage(lo, hi); math.Abs(c-0.95) > 0.01 {
		t.Errorf("coverage of the simulated interval = %.3f", c)
	}
	if p := null.PValue(mean); p < 0.5 {
		t.Errorf("p-value at the mean = %v", p)
	}
	if p := null.PValue(7.8); p > 2.0/float64(trials) {
		t.Errorf("p-value at 7.8 = %v", p)
	}
}

func TestCorrelationHand(t *testing.T) {
	// 3x2 image: 1 2 3 / 2 3 4
	pix := []byte{1, 2, 3, 2, 3, 4}
	tests := []struct {
		d    Direction
		r    float64
		n    int
		pix  []byte
		w, h int
	}{
		{Horizontal, 1, 4, pix, 3, 2},
		{Vertical, 1, 3, pix, 3, 2},
		{Diagonal, 1, 2, pix, 3, 2},
		{Horizontal, -1, 3, []byte{0, 255, 0, 255}, 4, 1},
		// pairs (0,0),(0,9),(9,9): r = 0.5 by hand (sxy=81, sx=sy=9, sxx=syy=81)
		{Horizontal, 0.5, 3, []byte{0, 0, 9, 9}, 4, 1},
	}
	for _, tt := range tests {
		r, n := Correlation(tt.pix, tt.w, tt.h, tt.d)
		if n != tt.n || math.Abs(r-tt.r) > 1e-12 {
			t.Errorf("%v on %v: r = %v (n %d), want %v (n %d)", tt.d, tt.pix, r, n, tt.r, tt.n)
		}
	}
	if r, _ := Correlation([]byte{5, 5, 5, 5}, 2, 2, Horizontal); !math.IsNaN(r) {
		t.Errorf("constant image: r = %v, want NaN", r)
	}
	if b := CorrelationBand(10000, 0.05); math.Abs(b-0.0195996) > 1e-6 {
		t.Errorf("band(10000) = %v", b)
	}
	if p := CorrelationPValue(0.0195996, 10000); math.Abs(p-0.05) > 1e-4 {
		t.Errorf("p at the band edge = %v", p)
	}
}

func TestChiSquareHand(t *testing.T) {
	if got := ChiSquare([]int{10, 10, 10, 10}); got != 0 {
		t.Errorf("flat: %v", got)
	}
	if got := ChiSquare([]int{20, 0, 10, 10}); got != 20 {
		t.Errorf("[20 0 10 10]: %v, want 20", got)
	}
	for _, tt := range []struct {
		dof         int
		alpha, want float64
		places      int
	}{
		{255, 0.05, 293.25, 2},
		{255, 0.01, 310.46, 2},
		{1, 0.05, 3.8415, 4},
	} {
		if got := round(ChiSquareCritical(tt.dof, tt.alpha), tt.places); got != tt.want {
			t.Errorf("chi2(%d) at %g = %v, want %v", tt.dof, tt.alpha, got, tt.want)
		}
	}
	if p := ChiSquarePValue(ChiSquareCritical(255, 0.05), 255); math.Abs(p-0.05) > 1e-9 {
		t.Errorf("p at the critical value = %v", p)
	}
}

func randomBytes(n int) []byte {
	r := rand.New(rand.NewPCG(3, 4))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func BenchmarkNPCRUACI256(b *testing.B) {
	x, y := randomBytes(65536), randomBytes(65536)
	b.SetBytes(65536)
	for range b.N {
		NPCRBytes(x, y)
		UACIBytes(x, y)
	}
}

func BenchmarkCorrelation256(b *testing.B) {
	x := randomBytes(65536)
	b.SetBytes(65536)
	for range b.N {
		Correlation(x, 256, 256, Diagonal)
	}
}

func BenchmarkLocalEntropy256(b *testing.B) {
	x := randomBytes(65536)
	r := rand.New(rand.NewPCG(1, 1))
	for range b.N {
		if _, err := LocalEntropy(x, 256, 256, 44, 25, r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEntropyNull256(b *testing.B) {
	for range b.N {
		EntropyNull(65536, 256)
	}
}

func BenchmarkSimulateLocalNull1000(b *testing.B) {
	for range b.N {
		SimulateLocalNull(25, 1936, 1000, 1)
	}
}
