package model

import (
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestGorgoniaGraphRuns proves the pinned gorgonia builds a graph, runs it
// forward and computes a gradient on this Go version.
func TestGorgoniaGraphRuns(t *testing.T) {
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 2), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{1, 2, 3, 4}))))
	w := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 2), G.WithName("w"),
		G.WithValue(tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{1, 0, 0, 1}))))
	y := G.Must(G.Mul(x, w))
	loss := G.Must(G.Sum(G.Must(G.Square(y))))
	if _, err := G.Grad(loss, w); err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g, G.BindDualValues(w))
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	if got := loss.Value().Data().(float32); got != 30 {
		t.Fatalf("loss = %v, want 30", got)
	}
	gw, err := w.Grad()
	if err != nil {
		t.Fatal(err)
	}
	// d/dW sum((XW)^2) = 2 X^T (XW) = 2 X^T X at W=I: [[20,28],[28,40]]
	want := []float32{20, 28, 28, 40}
	for i, v := range gw.Data().([]float32) {
		if v != want[i] {
			t.Fatalf("grad = %v, want %v", gw.Data(), want)
		}
	}
}
