package nnops

import (
	"fmt"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/medqr/medqr/train/internal/sgemm"
)

const (
	gradX = iota // inputs (w, y, dy): dL/dx
	gradW        // inputs (x, y, dy): dL/dw, from the forward pass's columns
	gradB        // inputs (y, dy): dL/db
)

// convGradOp is one gradient of a convOp.
type convGradOp struct {
	opTraits
	fwd   *convOp
	which int
	dcol  []float32 // kk x bn (gradX)
	out   *tensor.Dense
}

func newConvGrad(fwd *convOp, which int) *convGradOp {
	return &convGradOp{fwd: fwd, which: which, opTraits: traits("nnops.convgrad%d.%d", fwd.id, which)}
}

func (op *convGradOp) Arity() int {
	if op.which == gradB {
		return 2
	}
	return 3
}
func (op *convGradOp) Type() hm.Type                                  { return fnType(4, op.Arity()) }
func (op *convGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.shape(), nil }
func (op *convGradOp) shape() tensor.Shape {
	f := op.fwd
	switch op.which {
	case gradX:
		return tensor.Shape{f.b, f.cin, f.h, f.w}
	case gradW:
		return tensor.Shape{f.cout, f.cin, f.k, f.k}
	}
	return tensor.Shape{1, f.cout, 1, 1}
}
func (op *convGradOp) String() string {
	return fmt.Sprintf("nnops.Conv2dGrad%c<%d>", "XWB"[op.which], op.fwd.id)
}

func (op *convGradOp) Do(inputs ...G.Value) (G.Value, error) {
	f := op.fwd
	y, dy, err := f32Pair(inputs[len(inputs)-2], inputs[len(inputs)-1], f.b*f.cout*f.n, f.b*f.cout*f.n)
	if err != nil {
		return nil, err
	}
	if op.out == nil {
		op.out = tensor.New(tensor.WithShape(op.shape()...), tensor.Of(tensor.Float32))
		if op.which == gradX {
			op.dcol = make([]float32, f.kk*f.bn)
		}
	}
	out := op.out.Data().([]float32)
	dyc, err := f.regroup(dy, y)
	if err != nil {
		return nil, err
	}
	if op.which == gradB {
		for c := 0; c < f.cout; c++ {
			var s float32
			for _, v := range dyc[c*f.bn : (c+1)*f.bn] {
				s += v
			}
			out[c] = s
		}
		return op.out, nil
	}
	if op.which == gradW {
		if f.col == nil {
			return nil, fmt.Errorf("nnops: weight gradient before the forward pass")
		}
		sgemm.Gemm(false, true, f.cout, f.kk, f.bn, dyc, f.bn, f.col, f.bn, false, out, f.kk)
		return op.out, nil
	}
	w, err := f32(inputs[0], f.cout*f.kk)
	if err != nil {
		return nil, err
	}
	sgemm.Gemm(true, false, f.kk, f.bn, f.cout, w, f.kk, dyc, f.bn, false, op.dcol, f.bn)
	forImages(f.b, f.kk*f.n, func(i int) { op.col2im(out, i) })
	return op.out, nil
}

// col2im sums image i's columns of dcol back into dx (the adjoint of
// convOp.im2col).
func (op *convGradOp) col2im(dx []float32, i int) {
	f := op.fwd
	for c := 0; c < f.cin; c++ {
		plane := dx[(i*f.cin+c)*f.h*f.w : (i*f.cin+c+1)*f.h*f.w]
		clear(plane)
		for ky := 0; ky < f.k; ky++ {
			for kx := 0; kx < f.k; kx++ {
				row := op.dcol[((c*f.k+ky)*f.k+kx)*f.bn+i*f.n:]
				lo, hi := f.validX(kx)
				for oy := 0; oy < f.ho; oy++ {
					iy := oy*f.s + ky - f.pad
					if iy < 0 || iy >= f.h || lo >= hi {
						continue
					}
					src := row[oy*f.wo+lo : oy*f.wo+hi]
					dst := plane[iy*f.w:]
					ix := lo*f.s + kx - f.pad
					if f.s == 1 {
						d := dst[ix : ix+len(src)]
						for j, v := range src {
							d[j] += v
						}
						continue
					}
					for _, v := range src {
						dst[ix] += v
						ix += f.s
					}
				}
			}
		}
	}
}

// regroup returns the incoming gradient dy of this run as cout x bn,
// masked by the activation's derivative (from the output y): computed by
// the first gradient op of a run, reused by the others.
func (f *convOp) regroup(dy, y []float32) ([]float32, error) {
	if f.run == 0 {
		return nil, fmt.Errorf("nnops: gradient before the forward pass")
	}
	if f.dycRun == f.run {
		return f.dyc, nil
	}
	if f.dyc == nil {
		f.dyc = make([]float32, f.cout*f.bn)
	}
	forImages(f.b, f.cout*f.n, func(i int) {
		for c := 0; c < f.cout; c++ {
			dst := f.dyc[c*f.bn+i*f.n : c*f.bn+(i+1)*f.n]
			src := dy[(i*f.cout+c)*f.n : (i*f.cout+c+1)*f.n]
			if !f.act {
				copy(dst, src)
				continue
			}
			yy := y[(i*f.cout+c)*f.n : (i*f.cout+c+1)*f.n]
			sb := math.Float32bits(f.slope)
			for j, v := range src {
				dst[j] = v * leaky(yy[j], sb)
			}
		}
	})
	f.dycRun = f.run
	return f.dyc, nil
}
