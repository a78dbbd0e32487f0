package nnops

import (
	"fmt"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// LossFunc computes a scalar loss of a tensor's values and the loss's
// gradient with respect to them (same length, newly allocated or owned by
// the function until its next call).
type LossFunc func(x []float32) (loss float64, grad []float32)

// scalarOp is a LossFunc applied to a tensor; it keeps the gradient of
// its last run for its derivative op.
type scalarOp struct {
	opTraits
	fn    LossFunc
	name  string
	shape tensor.Shape
	id    uint64
	grad  []float32
	loss  float64
}

// Scalar returns the node fn(x) (a float32 scalar) whose derivative is the
// gradient fn returns. It puts losses computed in Go (with their analytic
// gradients) inside the graph, so they need no second pass over the
// network. Value reports the float64 value of the last run.
func Scalar(x *G.Node, name string, fn LossFunc) (*G.Node, *ScalarValue, error) {
	if d := x.Shape().Dims(); d < 1 || d > 4 {
		return nil, nil, fmt.Errorf("nnops: scalar loss %s of a %d-D tensor, want 1-D to 4-D", name, d)
	}
	op := &scalarOp{fn: fn, name: name, shape: x.Shape().Clone(), id: opSeq.Add(1)}
	op.opTraits = traits("nnops.scalar%d", op.id)
	n, err := G.ApplyOp(op, x)
	if err != nil {
		return nil, nil, err
	}
	return n, &ScalarValue{op: op}, nil
}

// ScalarValue reads the float64 value of a Scalar node's last run (the
// graph's float32 value is rounded).
type ScalarValue struct{ op *scalarOp }

// Value returns the loss of the last run.
func (v *ScalarValue) Value() float64 { return v.op.loss }

func (op *scalarOp) Arity() int { return 1 }
func (op *scalarOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(G.TensorType{Dims: op.shape.Dims(), Of: a}, a)
}
func (op *scalarOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return tensor.ScalarShape(), nil }
func (op *scalarOp) String() string                                 { return "nnops.Scalar<" + op.name + ">" }
func (op *scalarOp) DiffWRT(int) []bool                             { return []bool{true} }

func (op *scalarOp) Do(inputs ...G.Value) (G.Value, error) {
	x, err := f32(inputs[0], op.shape.TotalSize())
	if err != nil {
		return nil, err
	}
	loss, grad := op.fn(x)
	if len(grad) != len(x) {
		return nil, fmt.Errorf("nnops: %s returned %d gradient values for %d inputs", op.name, len(grad), len(x))
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return nil, fmt.Errorf("nnops: %s is %v", op.name, loss)
	}
	op.loss, op.grad = loss, grad
	return G.NewF32(float32(loss)), nil
}

func (op *scalarOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	g, err := G.ApplyOp(&scalarGradOp{fwd: op, opTraits: traits("nnops.scalargrad%d", op.id)}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{g}, nil
}

// scalarGradOp is dL/dx = (the forward run's gradient) * dL/dout.
type scalarGradOp struct {
	opTraits
	fwd *scalarOp
	out *tensor.Dense
}

func (op *scalarGradOp) Arity() int { return 1 }
func (op *scalarGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, G.TensorType{Dims: op.fwd.shape.Dims(), Of: a})
}
func (op *scalarGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.fwd.shape.Clone(), nil
}
func (op *scalarGradOp) String() string { return "nnops.ScalarGrad<" + op.fwd.name + ">" }

func (op *scalarGradOp) Do(inputs ...G.Value) (G.Value, error) {
	var s float32
	switch d := inputs[0].Data().(type) {
	case float32:
		s = d
	case []float32:
		if len(d) != 1 {
			return nil, fmt.Errorf("nnops: %s: incoming gradient has %d values, want 1", op.fwd.name, len(d))
		}
		s = d[0]
	default:
		return nil, fmt.Errorf("nnops: %s: incoming gradient of type %T", op.fwd.name, d)
	}
	if op.fwd.grad == nil {
		return nil, fmt.Errorf("nnops: %s: gradient before the forward pass", op.fwd.name)
	}
	if op.out == nil {
		op.out = tensor.New(tensor.WithShape(op.fwd.shape...), tensor.Of(tensor.Float32))
	}
	out := op.out.Data().([]float32)
	for i, g := range op.fwd.grad {
		out[i] = g * s
	}
	return op.out, nil
}
