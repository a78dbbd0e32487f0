package nnops

import (
	"errors"
	"math"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestRunTape: two passes through RunTape give the same gradient (the
// buffers are zeroed, not accumulated), and Values and Grads hand out the
// live slices.
func TestRunTape(t *testing.T) {
	g := G.NewGraph()
	w := G.NewVector(g, tensor.Float32, G.WithShape(3), G.WithName("w"),
		G.WithValue(tensor.New(tensor.WithShape(3), tensor.WithBacking([]float32{1, 2, 3}))))
	x := G.NewVector(g, tensor.Float32, G.WithShape(3), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(3), tensor.WithBacking([]float32{4, 5, 6}))))
	loss := G.Must(G.Sum(G.Must(G.Square(G.Must(G.HadamardProd(w, x))))))
	params := []*G.Node{w}
	vm, err := Compile(g, loss, params)
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Close()
	want := []float32{2 * 1 * 16, 2 * 2 * 25, 2 * 3 * 36} // d/dw (w x)^2 = 2 w x^2
	for pass := 0; pass < 2; pass++ {
		if err := RunTape(vm, params); err != nil {
			t.Fatal(err)
		}
		gs, err := Grads(params)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(gs[0], want) {
			t.Fatalf("pass %d: gradient %v, want %v", pass, gs[0], want)
		}
	}
	Values(params)[0][0] = 7
	if v := w.Value().Data().([]float32)[0]; v != 7 {
		t.Fatalf("Values is not the live slice: w[0] = %v", v)
	}
	ZeroGrads(params)
	if gs, _ := Grads(params); !slices.Equal(gs[0], []float32{0, 0, 0}) {
		t.Fatalf("ZeroGrads left %v", gs[0])
	}
}

// TestRunInputs: each run sees the slices it is given (gradient of
// sum(w x) with respect to w is x), and a count mismatch panics.
func TestRunInputs(t *testing.T) {
	g := G.NewGraph()
	w := G.NewVector(g, tensor.Float32, G.WithShape(2), G.WithName("w"), G.WithInit(G.Ones()))
	x := G.NewVector(g, tensor.Float32, G.WithShape(2), G.WithName("x"), G.WithInit(G.Zeroes()))
	params := []*G.Node{w}
	vm, err := Compile(g, G.Must(G.Sum(G.Must(G.HadamardProd(w, x)))), params)
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Close()
	for _, in := range [][]float32{{3, -1}, {0.5, 7}} {
		if err := RunInputs(vm, params, []*G.Node{x}, in); err != nil {
			t.Fatal(err)
		}
		if gs, _ := Grads(params); !slices.Equal(gs[0], in) {
			t.Fatalf("input %v: gradient %v", in, gs[0])
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("one node with two slices did not panic")
		}
	}()
	RunInputs(vm, params, []*G.Node{x}, []float32{1, 1}, []float32{2, 2})
}

// TestBuilder: Err is the first error given to Node or Keep; nil errors
// and later errors leave it, and Node hands its node through.
func TestBuilder(t *testing.T) {
	first, second := errors.New("first"), errors.New("second")
	g := G.NewGraph()
	x := G.NewScalar(g, tensor.Float32, G.WithName("x"))
	for _, c := range []struct {
		name string
		errs []error
		want error
	}{
		{"none", nil, nil},
		{"nil errors", []error{nil, nil}, nil},
		{"one", []error{nil, first, nil}, first},
		{"first kept", []error{first, second}, first},
	} {
		for _, viaKeep := range []bool{false, true} {
			var b Builder
			for _, e := range c.errs {
				if viaKeep {
					b.Keep(e)
				} else if got := b.Node(x, e); got != x {
					t.Fatalf("%s: Node returned %v, want its node", c.name, got)
				}
			}
			if got := b.Err(); got != c.want {
				t.Errorf("%s (Keep %v): Err() = %v, want %v", c.name, viaKeep, got, c.want)
			}
		}
	}
}

// TestCompileRefuses: a loss gorgonia.Grad cannot differentiate (not a
// scalar) gives its error and no machine.
func TestCompileRefuses(t *testing.T) {
	g := G.NewGraph()
	w := G.NewVector(g, tensor.Float32, G.WithShape(2), G.WithName("w"), G.WithInit(G.Ones()))
	vm, err := Compile(g, G.Must(G.Square(w)), []*G.Node{w})
	if err == nil || vm != nil {
		t.Fatalf("vector loss: machine %v, error %v; want an error and no machine", vm, err)
	}
}

// TestMSE: the mean of the squared differences, for vectors and matrices.
func TestMSE(t *testing.T) {
	for _, c := range []struct {
		shape []int
		a, b  []float32
		want  float32
	}{
		{[]int{3}, []float32{1, 2, 3}, []float32{1, 0, 0}, 13.0 / 3},
		{[]int{2, 2}, []float32{0.5, -1, 2, 0}, []float32{0, 1, 2, -1}, (0.25 + 4 + 0 + 1) / 4},
	} {
		g := G.NewGraph()
		node := func(name string, v []float32) *G.Node {
			return G.NewTensor(g, tensor.Float32, len(c.shape), G.WithShape(c.shape...), G.WithName(name),
				G.WithValue(tensor.New(tensor.WithShape(c.shape...), tensor.WithBacking(v))))
		}
		l, err := MSE(node("a", c.a), node("b", c.b))
		if err != nil {
			t.Fatal(err)
		}
		vm := G.NewTapeMachine(g)
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		if got := l.Value().Data().(float32); math.Abs(float64(got-c.want)) > 1e-6 {
			t.Errorf("%v: MSE %v, want %v", c.shape, got, c.want)
		}
		vm.Close()
	}
}

// TestGorgoniaGraphRuns proves the pinned gorgonia builds a graph, runs it
// forward and computes a gradient on this Go version.
func TestGorgoniaGraphRuns(t *testing.T) {
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 2), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{1, 2, 3, 4}))))
	w := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 2), G.WithName("w"),
		G.WithValue(tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{1, 0, 0, 1}))))
	loss := G.Must(G.Sum(G.Must(G.Square(G.Must(G.Mul(x, w))))))
	gw := runGrads(t, g, loss, 1, w)[0]
	if got := loss.Value().Data().(float32); got != 30 {
		t.Fatalf("loss = %v, want 30", got)
	}
	// d/dW sum((XW)^2) = 2 X^T (XW) = 2 X^T X at W=I: [[20,28],[28,40]]
	if want := []float32{20, 28, 28, 40}; !slices.Equal(gw, want) {
		t.Fatalf("grad = %v, want %v", gw, want)
	}
}
