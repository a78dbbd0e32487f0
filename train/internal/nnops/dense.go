package nnops

import (
	"fmt"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/medqr/medqr/train/internal/sgemm"
)

// denseOp is y = x w for x (b x in) and w (in x out), optionally followed
// by a leaky ReLU.
type denseOp struct {
	opTraits
	b, in, out int
	act        bool
	slope      float32
	wantDX     bool
	id         uint64
	y          *tensor.Dense
	run        int
	dyc        []float32 // dy masked by the activation's derivative
	dycRun     int
}

// Dense returns the product x w of x (b x in) and w (in x out). The
// gradient with respect to x is only built when x is not an input node.
func Dense(x, w *G.Node) (*G.Node, error) { return dense(x, w, false, 0) }

// DenseLeaky is Dense followed by a leaky ReLU of the given negative slope
// (0 <= slope < 1) in the same op.
func DenseLeaky(x, w *G.Node, slope float64) (*G.Node, error) {
	if !(slope >= 0 && slope < 1) {
		return nil, fmt.Errorf("nnops: leaky slope %v out of [0, 1)", slope)
	}
	return dense(x, w, true, float32(slope))
}

func dense(x, w *G.Node, act bool, slope float32) (*G.Node, error) {
	xs, ws := x.Shape(), w.Shape()
	if len(xs) != 2 || len(ws) != 2 || xs[1] != ws[0] {
		return nil, fmt.Errorf("nnops: dense product of %v and %v not supported", xs, ws)
	}
	op := &denseOp{b: xs[0], in: xs[1], out: ws[1], act: act, slope: slope, wantDX: x.Op() != nil, id: opSeq.Add(1)}
	op.opTraits = traits("nnops.dense%d", op.id)
	return G.ApplyOp(op, x, w)
}

func (op *denseOp) Arity() int    { return 2 }
func (op *denseOp) Type() hm.Type { return fnType(2, 2) }
func (op *denseOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.b, op.out}, nil
}
func (op *denseOp) String() string {
	return fmt.Sprintf("nnops.Dense<%d->%d act=%v>", op.in, op.out, op.act)
}
func (op *denseOp) DiffWRT(int) []bool { return []bool{op.wantDX, true} }

func (op *denseOp) Do(inputs ...G.Value) (G.Value, error) {
	x, w, err := f32Pair(inputs[0], inputs[1], op.b*op.in, op.in*op.out)
	if err != nil {
		return nil, err
	}
	if op.y == nil {
		op.y = tensor.New(tensor.WithShape(op.b, op.out), tensor.Of(tensor.Float32))
	}
	y := op.y.Data().([]float32)
	sgemm.Gemm(false, false, op.b, op.out, op.in, x, op.in, w, op.out, false, y, op.out)
	if op.act {
		sb := math.Float32bits(op.slope)
		for i, v := range y {
			y[i] = v * leaky(v, sb)
		}
	}
	op.run++
	return op.y, nil
}

func (op *denseOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	gx := &denseGradOp{fwd: op, which: gradX, opTraits: traits("nnops.densegrad%d.%d", op.id, gradX)}
	gw := &denseGradOp{fwd: op, which: gradW, opTraits: traits("nnops.densegrad%d.%d", op.id, gradW)}
	return xwGrads(inputs, output, grad, op.wantDX, gx, gw, nil)
}

// masked returns dy times the activation's derivative (from the output
// y), computed once per run.
func (op *denseOp) masked(dy, y []float32) []float32 {
	if !op.act {
		return dy
	}
	if op.dycRun == op.run {
		return op.dyc
	}
	if op.dyc == nil {
		op.dyc = make([]float32, len(dy))
	}
	sb := math.Float32bits(op.slope)
	for i, v := range dy {
		op.dyc[i] = v * leaky(y[i], sb)
	}
	op.dycRun = op.run
	return op.dyc
}

// denseGradOp is dL/dx (inputs w, y, dy) or dL/dw (inputs x, y, dy).
type denseGradOp struct {
	opTraits
	fwd   *denseOp
	which int
	out   *tensor.Dense
}

func (op *denseGradOp) Arity() int    { return 3 }
func (op *denseGradOp) Type() hm.Type { return fnType(2, 3) }
func (op *denseGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	if op.which == gradX {
		return tensor.Shape{op.fwd.b, op.fwd.in}, nil
	}
	return tensor.Shape{op.fwd.in, op.fwd.out}, nil
}
func (op *denseGradOp) String() string {
	return fmt.Sprintf("nnops.DenseGrad%c<%d>", "XW"[op.which], op.fwd.id)
}

func (op *denseGradOp) Do(inputs ...G.Value) (G.Value, error) {
	f := op.fwd
	if f.run == 0 {
		return nil, fmt.Errorf("nnops: gradient before the forward pass")
	}
	y, dy, err := f32Pair(inputs[1], inputs[2], f.b*f.out, f.b*f.out)
	if err != nil {
		return nil, err
	}
	dy = f.masked(dy, y)
	if op.out == nil {
		shape, _ := op.InferShape()
		op.out = tensor.New(tensor.WithShape(shape...), tensor.Of(tensor.Float32))
	}
	out := op.out.Data().([]float32)
	if op.which == gradX { // dx = dy w^T
		w, err := f32(inputs[0], f.in*f.out)
		if err != nil {
			return nil, err
		}
		sgemm.Gemm(false, true, f.b, f.in, f.out, dy, f.out, w, f.out, false, out, f.in)
		return op.out, nil
	}
	x, err := f32(inputs[0], f.b*f.in) // dw = x^T dy
	if err != nil {
		return nil, err
	}
	sgemm.Gemm(true, false, f.in, f.out, f.b, x, f.in, dy, f.out, false, out, f.out)
	return op.out, nil
}
