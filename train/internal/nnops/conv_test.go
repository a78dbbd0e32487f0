package nnops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func randT(rng *rand.Rand, shape ...int) *tensor.Dense {
	n := 1
	for _, d := range shape {
		n *= d
	}
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.Float64()*2 - 1)
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(x))
}

// convGraph builds loss = sum(conv(x0 * 1, w) (+ b) * r) with gorgonia's
// Conv2d or ours and returns the loss value and the gradients of x0, w, b.
func convGraph(t *testing.T, ours bool, x0, w, b, r *tensor.Dense, stride, pad int, slope float64) (loss float32, grads [][]float32) {
	t.Helper()
	g := G.NewGraph()
	xn := G.NewTensor(g, tensor.Float32, 4, G.WithShape(x0.Shape()...), G.WithName("x0"), G.WithValue(x0.Clone()))
	wn := G.NewTensor(g, tensor.Float32, 4, G.WithShape(w.Shape()...), G.WithName("w"), G.WithValue(w.Clone()))
	bn := G.NewTensor(g, tensor.Float32, 4, G.WithShape(b.Shape()...), G.WithName("b"), G.WithValue(b.Clone()))
	rn := G.NewTensor(g, tensor.Float32, 4, G.WithShape(r.Shape()...), G.WithName("r"), G.WithValue(r.Clone()))
	x := G.Must(G.Mul(xn, G.NewConstant(float32(1))))
	k := w.Shape()[2]
	var y *G.Node
	var err error
	switch {
	case ours && slope < 0:
		y, err = Conv2d(x, wn, bn, stride, pad)
	case ours:
		y, err = Conv2dLeaky(x, wn, bn, stride, pad, slope)
	default:
		y, err = G.Conv2d(x, wn, tensor.Shape{k, k}, []int{pad, pad}, []int{stride, stride}, []int{1, 1})
		if err == nil {
			y, err = G.BroadcastAdd(y, bn, nil, []byte{0, 2, 3})
		}
		if err == nil && slope >= 0 {
			y, err = G.LeakyRelu(y, slope)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return lossGrads(t, g, y, rn, 2, xn, wn, bn)
}

// lossGrads differentiates l = sum(y * r) with respect to wrt, runs the
// graph runs times (runGrads) and returns the last run's loss and copies
// of the gradients.
func lossGrads(t *testing.T, g *G.ExprGraph, y, r *G.Node, runs int, wrt ...*G.Node) (float32, [][]float32) {
	t.Helper()
	l := G.Must(G.Sum(G.Must(G.HadamardProd(y, r))))
	var lv G.Value
	G.Read(l, &lv)
	grads := runGrads(t, g, l, runs, wrt...)
	return lv.Data().(float32), grads
}

// runGrads differentiates l with respect to wrt, runs the graph runs times
// (gradients zeroed before each run, so later runs reuse the ops' buffers)
// and returns copies of the last run's gradients. The machine is closed
// when the test ends, so the graph's values stay readable until then.
func runGrads(t *testing.T, g *G.ExprGraph, l *G.Node, runs int, wrt ...*G.Node) [][]float32 {
	t.Helper()
	vm, err := Compile(g, l, wrt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { vm.Close() })
	for run := 0; run < runs; run++ {
		if err := RunTape(vm, wrt); err != nil {
			t.Fatal(err)
		}
	}
	var grads [][]float32
	for _, p := range wrt {
		gv, _ := p.Grad()
		grads = append(grads, append([]float32(nil), gv.Data().([]float32)...))
	}
	return grads
}

func TestConv2dMatchesGorgonia(t *testing.T) {
	cases := []struct{ b, cin, h, w, cout, k, stride, pad int }{
		{1, 1, 5, 5, 1, 3, 1, 1},
		{2, 3, 8, 8, 4, 3, 2, 1},
		{2, 3, 9, 7, 5, 3, 2, 1},
		{3, 2, 7, 9, 16, 3, 1, 1},
		{2, 1, 15, 13, 1, 11, 1, 0},
		{2, 4, 6, 6, 7, 3, 1, 0},
		{1, 2, 5, 6, 3, 3, 3, 1},
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, c := range cases {
		for _, slope := range []float64{-1, 0.1} {
			t.Run(fmt.Sprintf("%+v/slope=%v", c, slope), func(t *testing.T) {
				ho := (c.h+2*c.pad-c.k)/c.stride + 1
				wo := (c.w+2*c.pad-c.k)/c.stride + 1
				x := randT(rng, c.b, c.cin, c.h, c.w)
				w := randT(rng, c.cout, c.cin, c.k, c.k)
				b := randT(rng, 1, c.cout, 1, 1)
				r := randT(rng, c.b, c.cout, ho, wo)
				l1, g1 := convGraph(t, false, x, w, b, r, c.stride, c.pad, slope)
				l2, g2 := convGraph(t, true, x, w, b, r, c.stride, c.pad, slope)
				if d := math.Abs(float64(l1 - l2)); d > 1e-4*(1+math.Abs(float64(l1))) {
					t.Fatalf("loss %v (ours) vs %v (gorgonia)", l2, l1)
				}
				for i, name := range []string{"x", "w", "b"} {
					for j := range g1[i] {
						if d := math.Abs(float64(g1[i][j] - g2[i][j])); d > 1e-4*(1+math.Abs(float64(g1[i][j]))) {
							t.Fatalf("d%s[%d] = %v (ours) vs %v (gorgonia)", name, j, g2[i][j], g1[i][j])
						}
					}
				}
			})
		}
	}
}

// TestBlurMatchesConv checks Blur against gorgonia's Conv2d with the outer
// product window, value and gradient.
func TestBlurMatchesConv(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	win := []float32{0.1, 0.2, 0.4, 0.2, 0.1}
	for _, sz := range [][3]int{{1, 5, 5}, {2, 9, 12}, {3, 16, 7}} {
		b, h, w := sz[0], sz[1], sz[2]
		x0 := randT(rng, b, 1, h, w)
		r := randT(rng, b, 1, h-len(win)+1, w-len(win)+1)
		var res [2]struct {
			l float32
			g []float32
		}
		for k, ours := range []bool{false, true} {
			g := G.NewGraph()
			xn := G.NewTensor(g, tensor.Float32, 4, G.WithShape(b, 1, h, w), G.WithName("x0"), G.WithValue(x0.Clone()))
			rn := G.NewTensor(g, tensor.Float32, 4, G.WithShape(r.Shape()...), G.WithName("r"), G.WithValue(r.Clone()))
			x := G.Must(G.Mul(xn, G.NewConstant(float32(1))))
			var y *G.Node
			var err error
			if ours {
				y, err = Blur(x, win)
			} else {
				kw := make([]float32, len(win)*len(win))
				for i := range win {
					for j := range win {
						kw[i*len(win)+j] = win[i] * win[j]
					}
				}
				kn := G.NewTensor(g, tensor.Float32, 4, G.WithShape(1, 1, len(win), len(win)), G.WithName("k"), G.WithValue(tensor.New(tensor.WithShape(1, 1, len(win), len(win)), tensor.WithBacking(kw))))
				y, err = G.Conv2d(x, kn, tensor.Shape{len(win), len(win)}, []int{0, 0}, []int{1, 1}, []int{1, 1})
			}
			if err != nil {
				t.Fatal(err)
			}
			l, grads := lossGrads(t, g, y, rn, 1, xn)
			res[k].l, res[k].g = l, grads[0]
		}
		if d := math.Abs(float64(res[0].l - res[1].l)); d > 1e-4 {
			t.Fatalf("%v: loss %v (ours) vs %v (gorgonia)", sz, res[1].l, res[0].l)
		}
		for j := range res[0].g {
			if d := math.Abs(float64(res[0].g[j] - res[1].g[j])); d > 1e-5 {
				t.Fatalf("%v: dx[%d] = %v (ours) vs %v (gorgonia)", sz, j, res[1].g[j], res[0].g[j])
			}
		}
	}
}

// TestScalar checks a Go loss inside the graph: L = 3 * sum(x^2) through
// Scalar has gradient 6x, and Value reports the float64 loss.
func TestScalar(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	x0 := randT(rng, 2, 3, 4, 5)
	g := G.NewGraph()
	xn := G.NewTensor(g, tensor.Float32, 4, G.WithShape(x0.Shape()...), G.WithName("x0"), G.WithValue(x0.Clone()))
	x := G.Must(G.Mul(xn, G.NewConstant(float32(1))))
	sumsq := func(v []float32) (float64, []float32) {
		var s float64
		gr := make([]float32, len(v))
		for i, e := range v {
			s += float64(e) * float64(e)
			gr[i] = 2 * e
		}
		return s, gr
	}
	sn, val, err := Scalar(x, "sumsq", sumsq)
	if err != nil {
		t.Fatal(err)
	}
	l := G.Must(G.Mul(sn, G.NewConstant(float32(3))))
	dx := runGrads(t, g, l, 1, xn)[0]
	want, _ := sumsq(x0.Data().([]float32))
	if math.Abs(val.Value()-want) > 1e-9*want {
		t.Fatalf("value %v, want %v", val.Value(), want)
	}
	for i, e := range x0.Data().([]float32) {
		if got := dx[i]; math.Abs(float64(got-6*e)) > 1e-6 {
			t.Fatalf("dx[%d] = %v, want %v", i, got, 6*e)
		}
	}
}

// TestDenseMatchesGorgonia checks Dense and DenseLeaky against gorgonia's
// Mul and LeakyRelu: loss sum(leaky(x0*1 w) * r), gradients of x0 and w.
func TestDenseMatchesGorgonia(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, sz := range [][3]int{{1, 12, 32}, {7, 12, 1}, {256, 32, 32}, {5, 3, 17}} {
		for _, slope := range []float64{-1, 0.1} {
			b, in, out := sz[0], sz[1], sz[2]
			x0, w0, r0 := randT(rng, b, in), randT(rng, in, out), randT(rng, b, out)
			var ls [2]float32
			var gs [2][][]float32
			for k, ours := range []bool{false, true} {
				g := G.NewGraph()
				xn := G.NewMatrix(g, tensor.Float32, G.WithShape(b, in), G.WithName("x0"), G.WithValue(x0.Clone()))
				wn := G.NewMatrix(g, tensor.Float32, G.WithShape(in, out), G.WithName("w"), G.WithValue(w0.Clone()))
				rn := G.NewMatrix(g, tensor.Float32, G.WithShape(b, out), G.WithName("r"), G.WithValue(r0.Clone()))
				x := G.Must(G.Mul(xn, G.NewConstant(float32(1))))
				var y *G.Node
				var err error
				switch {
				case ours && slope < 0:
					y, err = Dense(x, wn)
				case ours:
					y, err = DenseLeaky(x, wn, slope)
				default:
					y, err = G.Mul(x, wn)
					if err == nil && slope >= 0 {
						y, err = G.LeakyRelu(y, slope)
					}
				}
				if err != nil {
					t.Fatal(err)
				}
				ls[k], gs[k] = lossGrads(t, g, y, rn, 1, xn, wn)
			}
			if d := math.Abs(float64(ls[0] - ls[1])); d > 1e-4*(1+math.Abs(float64(ls[0]))) {
				t.Fatalf("%v slope %v: loss %v (ours) vs %v (gorgonia)", sz, slope, ls[1], ls[0])
			}
			for i := range gs[0] {
				for j := range gs[0][i] {
					if d := math.Abs(float64(gs[0][i][j] - gs[1][i][j])); d > 1e-4*(1+math.Abs(float64(gs[0][i][j]))) {
						t.Fatalf("%v slope %v: grad %d[%d] = %v (ours) vs %v (gorgonia)", sz, slope, i, j, gs[1][i][j], gs[0][i][j])
					}
				}
			}
		}
	}
}
