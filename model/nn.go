package model

import (
	"gonum.org/v1/gonum/blas"
	blasgonum "gonum.org/v1/gonum/blas/gonum"
)

// Tensor is a dense float32 feature map in CHW order (batch size 1).
type Tensor struct {
	C, H, W int
	Data    []float32
}

// NewTensor returns a zeroed c x h x w tensor.
func NewTensor(c, h, w int) *Tensor {
	return &Tensor{C: c, H: h, W: w, Data: make([]float32, c*h*w)}
}

// Clone returns a deep copy of t.
func (t *Tensor) Clone() *Tensor {
	u := &Tensor{C: t.C, H: t.H, W: t.W, Data: make([]float32, len(t.Data))}
	copy(u.Data, t.Data)
	return u
}

var gemm = blasgonum.Implementation{}

// conv3 is a 3x3 convolution (cross-correlation, as gorgonia.Conv2d) with
// zero padding 1 and the given stride. w has shape (out, in, 3, 3); b has
// length out or is nil. When acc is non-nil the result is added into acc
// (which must have the output shape) and acc is returned.
func conv3(x *Tensor, w []float32, b []float32, out, stride int, acc *Tensor) *Tensor {
	const k = 3
	ho := (x.H+2-k)/stride + 1
	wo := (x.W+2-k)/stride + 1
	n := ho * wo
	kk := x.C * k * k
	col := make([]float32, kk*n)
	for c := 0; c < x.C; c++ {
		plane := x.Data[c*x.H*x.W : (c+1)*x.H*x.W]
		for ky := 0; ky < k; ky++ {
			for kx := 0; kx < k; kx++ {
				row := col[((c*k+ky)*k+kx)*n : ((c*k+ky)*k+kx+1)*n]
				for oy := 0; oy < ho; oy++ {
					iy := oy*stride + ky - 1
					r := row[oy*wo : (oy+1)*wo]
					if iy < 0 || iy >= x.H {
						continue // already zero
					}
					src := plane[iy*x.W : (iy+1)*x.W]
					if stride == 1 {
						// ix = ox + kx - 1
						lo, hi := 0, wo
						if kx == 0 {
							lo = 1
						}
						if kx == 2 {
							hi = wo - 1
						}
						copy(r[lo:hi], src[lo+kx-1:hi+kx-1])
						continue
					}
					for ox := 0; ox < wo; ox++ {
						ix := ox*stride + kx - 1
						if ix >= 0 && ix < x.W {
							r[ox] = src[ix]
						}
					}
				}
			}
		}
	}
	y := acc
	beta := float32(1)
	if y == nil {
		y = NewTensor(out, ho, wo)
		beta = 0
	}
	gemm.Sgemm(blas.NoTrans, blas.NoTrans, out, n, kk, 1, w, kk, col, n, beta, y.Data, n)
	if b != nil {
		for o := 0; o < out; o++ {
			bv := b[o]
			d := y.Data[o*n : (o+1)*n]
			for i := range d {
				d[i] += bv
			}
		}
	}
	return y
}

// leaky applies the leaky rectifier f(x) = max(x, slope*x) in place.
func leaky(t *Tensor, slope float32) *Tensor {
	for i, v := range t.Data {
		if v < 0 {
			t.Data[i] = v * slope
		}
	}
	return t
}

// pixelShuffle rearranges (4C, H, W) into (C, 2H, 2W): channel c*4+i*2+j
// lands at (c, 2y+i, 2x+j), exactly as the training graph's
// Reshape/Transpose/Reshape does.
func pixelShuffle(t *Tensor) *Tensor {
	c := t.C / 4
	u := NewTensor(c, 2*t.H, 2*t.W)
	for ch := 0; ch < c; ch++ {
		for i := 0; i < 2; i++ {
			for j := 0; j < 2; j++ {
				src := t.Data[(ch*4+i*2+j)*t.H*t.W:]
				for y := 0; y < t.H; y++ {
					dst := u.Data[ch*u.H*u.W+(2*y+i)*u.W+j:]
					s := src[y*t.W : (y+1)*t.W]
					for x, v := range s {
						dst[2*x] = v
					}
				}
			}
		}
	}
	return u
}

func addInto(a, b *Tensor) {
	for i, v := range b.Data {
		a.Data[i] += v
	}
}
