package nnops

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// blurOp is the valid-mode correlation of batch x 1 x h x w images with the
// separable window win x win (win[i] * win[j]).
type blurOp struct {
	opTraits
	win     []float32
	b, h, w int
	ho, wo  int
	back    bool // the adjoint (gradient) direction
	id      uint64
	tmp     []float32
	out     *tensor.Dense
}

// Blur returns the valid-mode correlation of x (batch x 1 x h x w) with
// the k x k window whose entry (i, j) is win[i] * win[j], computed as two
// 1-D passes (2k instead of k*k multiply-adds per pixel).
func Blur(x *G.Node, win []float32) (*G.Node, error) {
	s := x.Shape()
	k := len(win)
	if len(s) != 4 || s[1] != 1 || k < 1 || s[2] < k || s[3] < k {
		return nil, fmt.Errorf("nnops: blur of %v with a window of %d not supported", s, k)
	}
	op := &blurOp{win: append([]float32(nil), win...), b: s[0], h: s[2], w: s[3], ho: s[2] - k + 1, wo: s[3] - k + 1, id: opSeq.Add(1)}
	op.opTraits = traits("nnops.blur%d.%v", op.id, op.back)
	return G.ApplyOp(op, x)
}

func (op *blurOp) Arity() int    { return 1 }
func (op *blurOp) Type() hm.Type { return fnType(4, 1) }
func (op *blurOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	if op.back {
		return tensor.Shape{op.b, 1, op.h, op.w}, nil
	}
	return tensor.Shape{op.b, 1, op.ho, op.wo}, nil
}
func (op *blurOp) String() string     { return fmt.Sprintf("nnops.Blur<%d back=%v>", len(op.win), op.back) }
func (op *blurOp) DiffWRT(int) []bool { return []bool{true} }

func (op *blurOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if op.back {
		return nil, fmt.Errorf("nnops: second derivative of a blur not supported")
	}
	back := *op
	back.back, back.id, back.tmp, back.out = true, opSeq.Add(1), nil, nil
	back.opTraits = traits("nnops.blur%d.%v", back.id, back.back)
	g, err := G.ApplyOp(&back, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{g}, nil
}

func (op *blurOp) Do(inputs ...G.Value) (G.Value, error) {
	k := len(op.win)
	if op.out == nil {
		shape, _ := op.InferShape()
		op.out = tensor.New(tensor.WithShape(shape...), tensor.Of(tensor.Float32))
		op.tmp = make([]float32, op.b*op.h*op.wo)
	}
	out := op.out.Data().([]float32)
	if !op.back {
		x, err := f32(inputs[0], op.b*op.h*op.w)
		if err != nil {
			return nil, err
		}
		forImages(op.b, op.h*op.w*k*2, func(i int) {
			// rows: tmp[y][xo] = sum_j win[j] x[y][xo+j]
			for y := 0; y < op.h; y++ {
				src := x[(i*op.h+y)*op.w : (i*op.h+y+1)*op.w]
				dst := op.tmp[(i*op.h+y)*op.wo : (i*op.h+y+1)*op.wo]
				for xo := range dst {
					var s float32
					for j, wj := range op.win {
						s += wj * src[xo+j]
					}
					dst[xo] = s
				}
			}
			// columns: out[yo][xo] = sum_i win[i] tmp[yo+i][xo]
			for yo := 0; yo < op.ho; yo++ {
				dst := out[(i*op.ho+yo)*op.wo : (i*op.ho+yo+1)*op.wo]
				clear(dst)
				for r, wr := range op.win {
					src := op.tmp[(i*op.h+yo+r)*op.wo : (i*op.h+yo+r+1)*op.wo]
					for xo, v := range src {
						dst[xo] += wr * v
					}
				}
			}
		})
		return op.out, nil
	}
	dy, err := f32(inputs[0], op.b*op.ho*op.wo)
	if err != nil {
		return nil, err
	}
	forImages(op.b, op.h*op.w*k*2, func(i int) {
		// adjoint of the column pass: tmp[yo+r][xo] += win[r] dy[yo][xo]
		tmp := op.tmp[i*op.h*op.wo : (i+1)*op.h*op.wo]
		clear(tmp)
		for yo := 0; yo < op.ho; yo++ {
			src := dy[(i*op.ho+yo)*op.wo : (i*op.ho+yo+1)*op.wo]
			for r, wr := range op.win {
				dst := tmp[(yo+r)*op.wo : (yo+r+1)*op.wo]
				for xo, v := range src {
					dst[xo] += wr * v
				}
			}
		}
		// adjoint of the row pass: dx[y][xo+j] += win[j] tmp[y][xo]
		for y := 0; y < op.h; y++ {
			src := tmp[y*op.wo : (y+1)*op.wo]
			dst := out[(i*op.h+y)*op.w : (i*op.h+y+1)*op.w]
			clear(dst)
			for j, wj := range op.win {
				d := dst[j : j+op.wo]
				for xo, v := range src {
					d[xo] += wj * v
				}
			}
		}
	})
	return op.out, nil
}
