package iwave

import (
	"math"
	"math/rand/v2"
	"testing"
)

// conv3Direct is the plain loop conv3 must match bit for bit: bias, then
// for each input plane, ky and kx, one multiply-add per pixel.
func conv3Direct(in, wt, bias []float32, cin, cout, w, h int) []float32 {
	n := w * h
	out := make([]float32, cout*n)
	for o := 0; o < cout; o++ {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				v := bias[o]
				for c := 0; c < cin; c++ {
					for ky := -1; ky <= 1; ky++ {
						for kx := -1; kx <= 1; kx++ {
							kv := wt[(o*cin+c)*9+(ky+1)*3+kx+1]
							yy, xx := y+ky, x+kx
							if kv == 0 || yy < 0 || yy >= h || xx < 0 || xx >= w {
								continue
							}
							v += float32(kv * in[c*n+yy*w+xx]) // rounded, as conv3's Saxpy rounds
						}
					}
				}
				out[o*n+y*w+x] = v
			}
		}
	}
	return out
}

// TestConv3MatchesDirect checks the padded, vectorised conv3 against the
// direct loop on odd and tiny shapes, with some zero taps.
func TestConv3MatchesDirect(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []struct{ cin, cout, w, h int }{
		{1, 1, 1, 1}, {2, 3, 1, 5}, {2, 4, 7, 1}, {3, 2, 13, 9}, {12, 12, 33, 17}, {12, 1, 64, 64}, {5, 3, 300, 7},
	} {
		in := make([]float32, tc.cin*tc.w*tc.h)
		for i := range in {
			in[i] = float32(r.NormFloat64())
		}
		wt := make([]float32, tc.cout*tc.cin*9)
		for i := range wt {
			if r.IntN(5) > 0 {
				wt[i] = float32(r.NormFloat64() / 3)
			}
		}
		bias := make([]float32, tc.cout)
		for i := range bias {
			bias[i] = float32(r.NormFloat64())
		}
		got := conv3(in, wt, bias, tc.cin, tc.cout, tc.w, tc.h)
		want := conv3Direct(in, wt, bias, tc.cin, tc.cout, tc.w, tc.h)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%+v: output %d is %v, want %v", tc, i, got[i], want[i])
			}
		}
	}
}

// TestLeakyReLU32: the branch-free leaky ReLU gives the bits of the
// branching one for signed zeros, infinities, subnormals, random values and
// the slopes 0, 0.1 (shipped), 0.5 and 0.99.
func TestLeakyReLU32(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	vals := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, -2 * math.SmallestNonzeroFloat32, math.MaxFloat32, -math.MaxFloat32, -1e-38}
	for range 10000 {
		vals = append(vals, float32(r.NormFloat64()*math.Pow(10, float64(r.IntN(60)-30))))
	}
	for _, leak := range []float32{0, 0.1, 0.5, 0.99} {
		got := append([]float32(nil), vals...)
		leakyReLU32(got, leak)
		for i, v := range vals {
			want := v
			if v < 0 {
				want = v * leak
			}
			if math.Float32bits(got[i]) != math.Float32bits(want) {
				t.Fatalf("leak %v: leakyReLU32(%v) = %v, want %v", leak, v, got[i], want)
			}
		}
	}
}
