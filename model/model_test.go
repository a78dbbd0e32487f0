package model

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func testConfig() Config {
	return Config{Enc: [3]int{4, 6, 8}, Latent: 4, Dec: [3]int{8, 4, 4}, RevBlocks: 2, Slope: 0.1, GainMin: 1, GainMax: 8}
}

func randomParams(cfg Config, seed uint64) map[string][]float32 {
	rng := rand.New(rand.NewPCG(seed, 9))
	out := map[string][]float32{}
	for _, p := range cfg.Params() {
		v := make([]float32, size(p.Shape))
		for i := range v {
			v[i] = float32(rng.NormFloat64() * 0.3)
		}
		out[p.Name] = v
	}
	return out
}

func randomTensor(rng *rand.Rand, c, h, w int, scale float64) *Tensor {
	t := NewTensor(c, h, w)
	for i := range t.Data {
		t.Data[i] = float32(rng.NormFloat64() * scale)
	}
	return t
}

// TestRevStackInverse runs each reversible stack forward and backward: the
// float inverse recovers the input to float32 tolerance, the integer
// inverse bit for bit.
func TestRevStackInverse(t *testing.T) {
	m, err := New(testConfig(), randomParams(testConfig(), 1))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2, 2))
	for _, tc := range []struct {
		name  string
		stack *RevStack
		c     int
	}{{"encoder", m.EncoderRev(), 4}, {"decoder", m.DecoderRev(), 4}} {
		t.Run(tc.name, func(t *testing.T) {
			x1, x2 := randomTensor(rng, tc.c, 7, 5, 1), randomTensor(rng, tc.c, 7, 5, 1)
			y1, y2 := tc.stack.Forward(x1, x2)
			if maxDiff(x1, y1) < 1e-3 {
				t.Fatal("forward pass is the identity: the test would prove nothing")
			}
			r1, r2 := tc.stack.Inverse(y1, y2)
			// float32 rounding of the residuals, relative to the largest
			// intermediate value
			scale := math.Max(maxAbs(y1), maxAbs(y2))
			if d := math.Max(maxDiff(x1, r1), maxDiff(x2, r2)); d > 1e-6*scale {
				t.Fatalf("float inverse error %g (values up to %g)", d, scale)
			}
			i1 := &IntTensor{C: tc.c, H: 7, W: 5, Data: make([]int32, tc.c*35)}
			i2 := &IntTensor{C: tc.c, H: 7, W: 5, Data: make([]int32, tc.c*35)}
			for i := range i1.Data {
				i1.Data[i] = int32(rng.IntN(511) - 255)
				i2.Data[i] = int32(rng.IntN(511) - 255)
			}
			o1, o2 := tc.stack.ForwardInt(i1, i2)
			b1, b2 := tc.stack.InverseInt(o1, o2)
			changed := false
			for i := range i1.Data {
				if b1.Data[i] != i1.Data[i] || b2.Data[i] != i2.Data[i] {
					t.Fatalf("integer inverse differs at %d", i)
				}
				changed = changed || o1.Data[i] != i1.Data[i]
			}
			if !changed {
				t.Fatal("integer forward pass is the identity")
			}
		})
	}
}

func maxAbs(a *Tensor) float64 {
	var d float64
	for _, v := range a.Data {
		d = math.Max(d, math.Abs(float64(v)))
	}
	return d
}

func maxDiff(a, b *Tensor) float64 {
	var d float64
	for i := range a.Data {
		d = math.Max(d, math.Abs(float64(a.Data[i]-b.Data[i])))
	}
	return d
}

func TestShapes(t *testing.T) {
	cfg := testConfig()
	m, err := New(cfg, randomParams(cfg, 3))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(4, 4))
	for _, hw := range [][2]int{{16, 16}, {32, 48}, {64, 16}} {
		x := randomTensor(rng, 1, hw[0], hw[1], 0.2)
		y, err := m.Analyze(x)
		if err != nil {
			t.Fatal(err)
		}
		if y.C != cfg.Latent || y.H != hw[0]/16 || y.W != hw[1]/16 {
			t.Fatalf("latent %dx%dx%d for %v", y.C, y.H, y.W, hw)
		}
		r, err := m.Synthesize(y)
		if err != nil {
			t.Fatal(err)
		}
		if r.C != 1 || r.H != hw[0] || r.W != hw[1] {
			t.Fatalf("reconstruction %dx%dx%d for %v", r.C, r.H, r.W, hw)
		}
	}
	if _, err := m.Analyze(NewTensor(1, 20, 16)); err == nil {
		t.Fatal("size not a multiple of 16 accepted")
	}
}

// TestConvMatchesDirect checks the im2col convolution against the textbook
// sum at both strides.
func TestConvMatchesDirect(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	x := randomTensor(rng, 3, 9, 8, 1)
	const out = 2
	w := make([]float32, out*3*9)
	b := []float32{0.5, -1}
	for i := range w {
		w[i] = float32(rng.NormFloat64())
	}
	for _, stride := range []int{1, 2} {
		got := conv3(x, w, b, out, stride, nil)
		for o := 0; o < out; o++ {
			for oy := 0; oy < got.H; oy++ {
				for ox := 0; ox < got.W; ox++ {
					s := float64(b[o])
					for c := 0; c < 3; c++ {
						for ky := 0; ky < 3; ky++ {
							for kx := 0; kx < 3; kx++ {
								iy, ix := oy*stride+ky-1, ox*stride+kx-1
								if iy < 0 || iy >= x.H || ix < 0 || ix >= x.W {
									continue
								}
								s += float64(w[((o*3+c)*3+ky)*3+kx]) * float64(x.Data[(c*x.H+iy)*x.W+ix])
							}
						}
					}
					if g := got.Data[(o*got.H+oy)*got.W+ox]; math.Abs(float64(g)-s) > 1e-4 {
						t.Fatalf("stride %d out %d (%d,%d): %v, want %v", stride, o, oy, ox, g, s)
					}
				}
			}
		}
	}
}

func TestPixelShuffle(t *testing.T) {
	x := NewTensor(4, 1, 2)
	for i := range x.Data {
		x.Data[i] = float32(i)
	}
	// channel c*4+i*2+j at (y,x) -> (2y+i, 2x+j)
	got := pixelShuffle(x).Data
	want := []float32{0, 2, 1, 3, 4, 6, 5, 7}
	// layout of x: ch0=[0,1] ch1=[2,3] ch2=[4,5] ch3=[6,7]
	// row 0: (i=0): x=0: ch0,ch1 -> 0,2 ; x=1: 1,3 ; row 1: ch2,ch3 -> 4,6,5,7
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

func TestWeightsRoundTrip(t *testing.T) {
	cfg := testConfig()
	params := randomParams(cfg, 6)
	b, err := EncodeWeights(cfg, params)
	if err != nil {
		t.Fatal(err)
	}
	gotCfg, got, err := DecodeWeights(b)
	if err != nil {
		t.Fatal(err)
	}
	if gotCfg != cfg {
		t.Fatalf("config %+v, want %+v", gotCfg, cfg)
	}
	for k, v := range params {
		for i := range v {
			if got[k][i] != v[i] {
				t.Fatalf("%s[%d] differs", k, i)
			}
		}
	}
}

func TestWeightsRejected(t *testing.T) {
	cfg := testConfig()
	good, err := EncodeWeights(cfg, randomParams(cfg, 7))
	if err != nil {
		t.Fatal(err)
	}
	resum := func(b []byte) []byte {
		body := b[:len(b)-32]
		out := append([]byte(nil), body...)
		return append(out, sha256Of(body)...)
	}
	version := append([]byte(nil), good...)
	binary.LittleEndian.PutUint32(version[8:], 2)
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)/2] ^= 1
	other := testConfig()
	other.Latent = 5
	otherB, _ := EncodeWeights(other, randomParams(other, 7))
	// a file whose config claims another architecture than its tensors
	js := []byte(`{"enc":[4,6,8],"latent":5,"dec":[8,4,4],"rev_blocks":2,"slope":0.1,"gain_min":1,"gain_max":8}`)
	var mixed bytes.Buffer
	mixed.WriteString(weightsMagic)
	mixed.Write(binary.LittleEndian.AppendUint32(nil, WeightsVersion))
	mixed.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(js))))
	mixed.Write(js)
	oldCfgLen := int(binary.LittleEndian.Uint32(good[12:]))
	mixed.Write(good[16+oldCfgLen : len(good)-32])
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "bad magic"},
		{"magic", append([]byte("NOTMEDQR"), good[8:]...), "bad magic"},
		{"version", resum(version), "version 2"},
		{"checksum", flipped, "checksum"},
		{"truncated", good[:len(good)-100], "checksum"},
		{"architecture", resum(mixed.Bytes()), "does not match"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := DecodeWeights(tc.b)
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, ErrWeights) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "make train-learned") {
				t.Fatalf("error %q: want ErrWeights mentioning %q and `make train-learned`", err, tc.want)
			}
		})
	}
	if _, _, err := DecodeWeights(otherB); err != nil {
		t.Fatalf("other valid architecture rejected: %v", err)
	}
}

func FuzzDecodeWeights(f *testing.F) {
	cfg := testConfig()
	good, _ := EncodeWeights(cfg, randomParams(cfg, 8))
	f.Add(good)
	f.Add([]byte(weightsMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, ts, err := DecodeWeights(b)
		if err != nil {
			if ts != nil {
				t.Fatal("tensors returned with an error")
			}
			return
		}
		if _, err := New(c, ts); err != nil {
			t.Fatalf("decoded weights do not build: %v", err)
		}
	})
}

// benchModel times the default model on a seeded 256x256 input: its
// analysis, or with synth the synthesis of that input's code.
func benchModel(b *testing.B, synth bool) {
	m, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	x := randomTensor(rand.New(rand.NewPCG(1, 1)), 1, 256, 256, 0.2)
	run := m.Analyze
	if synth {
		y, err := m.Analyze(x)
		if err != nil {
			b.Fatal(err)
		}
		run, x = m.Synthesize, y
	}
	for b.Loop() {
		if _, err := run(x); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAnalyze256(b *testing.B)    { benchModel(b, false) }
func BenchmarkSynthesize256(b *testing.B) { benchModel(b, true) }

// TestDefaultWeights loads the embedded weights: a broken file fails here
// with the regeneration hint.
func TestDefaultWeights(t *testing.T) {
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if n := m.Config.NumParams(); n == 0 || len(defaultWeights) > 5<<20 {
		t.Fatalf("%d parameters in %d bytes", n, len(defaultWeights))
	}
}
