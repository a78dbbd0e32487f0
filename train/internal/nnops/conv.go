package nnops

import (
	"fmt"
	"math"
	"sync/atomic"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/medqr/medqr/train/internal/sgemm"
)

var opSeq atomic.Uint64 // distinguishes op instances in hashes

// geom is the geometry of one convolution.
type geom struct {
	b, cin, h, w    int // input
	cout, k, s, pad int // kernel, stride, padding
	ho, wo          int // output
	kk, n, bn       int // cin*k*k, ho*wo, b*n
	bias, wantDX    bool
	act             bool    // leaky ReLU after the bias
	slope           float32 // its negative slope
	id              uint64
}

// convOp is y = conv(x, w) (+ b). It keeps the im2col matrix of its last
// forward pass for the weight gradient.
type convOp struct {
	opTraits
	geom
	col []float32 // kk x bn
	tmp []float32 // cout x bn
	out *tensor.Dense
	run int // forward runs so far

	// the incoming gradient regrouped as cout x bn (and masked by the
	// activation's derivative), shared by the gradient ops of a run
	dyc    []float32
	dycRun int
}

// Conv2d returns the cross-correlation of x (batch x cin x h x w) with w
// (cout x cin x k x k) at the given stride and zero padding, plus b (1 x
// cout x 1 x 1) if b is not nil, as gorgonia's Conv2d followed by a
// broadcast addition computes it. The gradient with respect to x is only
// built when x is not an input node of the graph (data needs none).
func Conv2d(x, w, b *G.Node, stride, pad int) (*G.Node, error) {
	return conv2d(x, w, b, stride, pad, false, 0)
}

// Conv2dLeaky is Conv2d followed by a leaky ReLU of the given negative
// slope (0 <= slope < 1), fused into the same op: its gradient masks the
// incoming gradient by the output's sign.
func Conv2dLeaky(x, w, b *G.Node, stride, pad int, slope float64) (*G.Node, error) {
	if !(slope >= 0 && slope < 1) {
		return nil, fmt.Errorf("nnops: leaky slope %v out of [0, 1)", slope)
	}
	return conv2d(x, w, b, stride, pad, true, float32(slope))
}

func conv2d(x, w, b *G.Node, stride, pad int, act bool, slope float32) (*G.Node, error) {
	xs, ws := x.Shape(), w.Shape()
	if len(xs) != 4 || len(ws) != 4 || ws[2] != ws[3] || ws[1] != xs[1] || stride < 1 || pad < 0 {
		return nil, fmt.Errorf("nnops: conv of %v with kernel %v (stride %d, pad %d) not supported", xs, ws, stride, pad)
	}
	g := geom{b: xs[0], cin: xs[1], h: xs[2], w: xs[3], cout: ws[0], k: ws[2], s: stride, pad: pad,
		wantDX: x.Op() != nil, act: act, slope: slope, id: opSeq.Add(1)}
	g.ho = (g.h+2*pad-g.k)/stride + 1
	g.wo = (g.w+2*pad-g.k)/stride + 1
	if g.ho < 1 || g.wo < 1 {
		return nil, fmt.Errorf("nnops: conv output of %v with kernel %v is empty", xs, ws)
	}
	g.kk, g.n = g.cin*g.k*g.k, g.ho*g.wo
	g.bn = g.b * g.n
	in := []*G.Node{x, w}
	if b != nil {
		if bs := b.Shape(); bs.TotalSize() != g.cout || len(bs) != 4 {
			return nil, fmt.Errorf("nnops: conv bias of shape %v for %d channels", bs, g.cout)
		}
		g.bias = true
		in = append(in, b)
	}
	return G.ApplyOp(&convOp{geom: g, opTraits: traits("nnops.conv%d", g.id)}, in...)
}

func (op *convOp) Arity() int {
	if op.bias {
		return 3
	}
	return 2
}
func (op *convOp) Type() hm.Type { return fnType(4, op.Arity()) }
func (op *convOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.b, op.cout, op.ho, op.wo}, nil
}
func (op *convOp) String() string {
	return fmt.Sprintf("nnops.Conv2d<k%d s%d p%d %d->%d act=%v>", op.k, op.s, op.pad, op.cin, op.cout, op.act)
}

func (op *convOp) Do(inputs ...G.Value) (G.Value, error) {
	x, w, err := f32Pair(inputs[0], inputs[1], op.b*op.cin*op.h*op.w, op.cout*op.kk)
	if err != nil {
		return nil, err
	}
	var b []float32
	if op.bias {
		if b, err = f32(inputs[2], op.cout); err != nil {
			return nil, err
		}
	}
	if op.col == nil {
		op.col = make([]float32, op.kk*op.bn)
		op.tmp = make([]float32, op.cout*op.bn)
		op.out = tensor.New(tensor.WithShape(op.b, op.cout, op.ho, op.wo), tensor.Of(tensor.Float32))
	}
	op.run++
	forImages(op.b, op.kk*op.n, func(i int) { op.im2col(x, i) })
	sgemm.Gemm(false, false, op.cout, op.bn, op.kk, w, op.kk, op.col, op.bn, false, op.tmp, op.bn)
	y := op.out.Data().([]float32)
	forImages(op.b, op.cout*op.n, func(i int) {
		for c := 0; c < op.cout; c++ {
			dst := y[(i*op.cout+c)*op.n : (i*op.cout+c+1)*op.n]
			src := op.tmp[c*op.bn+i*op.n : c*op.bn+(i+1)*op.n]
			var bc float32
			if b != nil {
				bc = b[c]
			}
			if !op.act {
				for j, v := range src {
					dst[j] = v + bc
				}
				continue
			}
			sb := math.Float32bits(op.slope)
			for j, v := range src {
				v += bc
				dst[j] = v * leaky(v, sb)
			}
		}
	})
	return op.out, nil
}

// im2col fills image i's columns of op.col: row (c, ky, kx), column
// i*n + oy*wo + ox holds x[i, c, oy*s+ky-pad, ox*s+kx-pad] (0 outside).
func (op *convOp) im2col(x []float32, i int) {
	for c := 0; c < op.cin; c++ {
		plane := x[(i*op.cin+c)*op.h*op.w : (i*op.cin+c+1)*op.h*op.w]
		for ky := 0; ky < op.k; ky++ {
			for kx := 0; kx < op.k; kx++ {
				row := op.col[((c*op.k+ky)*op.k+kx)*op.bn+i*op.n:]
				for oy := 0; oy < op.ho; oy++ {
					dst := row[oy*op.wo : oy*op.wo+op.wo]
					iy := oy*op.s + ky - op.pad
					if iy < 0 || iy >= op.h {
						clear(dst)
						continue
					}
					src := plane[iy*op.w : iy*op.w+op.w]
					lo, hi := op.validX(kx)
					clear(dst[:lo])
					clear(dst[hi:])
					if op.s == 1 {
						copy(dst[lo:hi], src[lo+kx-op.pad:])
						continue
					}
					ix := lo*op.s + kx - op.pad
					for ox := lo; ox < hi; ox++ {
						dst[ox] = src[ix]
						ix += op.s
					}
				}
			}
		}
	}
}

// validX is the range [lo, hi) of output columns whose input column
// ox*s+kx-pad lies inside the image.
func (op *convOp) validX(kx int) (lo, hi int) {
	off := kx - op.pad
	lo = 0
	if off < 0 {
		lo = (-off + op.s - 1) / op.s
	}
	hi = op.wo
	if last := (op.w - 1 - off); last < (hi-1)*op.s {
		hi = last/op.s + 1
		if last < 0 {
			hi = 0
		}
	}
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

func (op *convOp) DiffWRT(n int) []bool {
	d := []bool{op.wantDX, true, true}
	return d[:n]
}

func (op *convOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	var gb G.Op
	if op.bias {
		gb = newConvGrad(op, gradB)
	}
	return xwGrads(inputs, output, grad, op.wantDX, newConvGrad(op, gradX), newConvGrad(op, gradW), gb)
}

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
