package model

import "math"

// RevStack is a stack of additive coupling blocks (RevNet, Gomez et al.
// 2017). A block maps the two halves (x1, x2) of a feature map to
//
//	y1 = x1 + F(x2)
//	y2 = x2 + G(y1)
//
// and is inverted exactly by x2 = y2 - G(y1), x1 = y1 - F(x2), whatever F
// and G are (here conv3x3 -> leaky ReLU -> conv3x3). In float mode the
// inverse recovers the input up to float32 rounding; in integer mode
// (ForwardInt/InverseInt, where F and G are rounded to integers) it is
// bit-exact.
type RevStack struct {
	Blocks []RevBlock
	Slope  float32
}

// RevBlock holds the two residual functions of one coupling block.
type RevBlock struct {
	F, G Residual
}

// Residual is conv3x3 -> leaky ReLU -> conv3x3, keeping the channel count.
type Residual struct {
	W1, B1, W2, B2 []float32
	C              int
}

func (r *Residual) apply(x *Tensor, slope float32) *Tensor {
	h := leaky(conv3(x, r.W1, r.B1, r.C, 1, nil), slope)
	return conv3(h, r.W2, r.B2, r.C, 1, nil)
}

// Forward runs the stack on (x1, x2) and returns (y1, y2); the inputs are
// not modified.
func (s *RevStack) Forward(x1, x2 *Tensor) (*Tensor, *Tensor) {
	a, b := x1.Clone(), x2.Clone()
	for i := range s.Blocks {
		blk := &s.Blocks[i]
		addInto(a, blk.F.apply(b, s.Slope))
		addInto(b, blk.G.apply(a, s.Slope))
	}
	return a, b
}

// Inverse undoes Forward.
func (s *RevStack) Inverse(y1, y2 *Tensor) (*Tensor, *Tensor) {
	a, b := y1.Clone(), y2.Clone()
	for i := len(s.Blocks) - 1; i >= 0; i-- {
		blk := &s.Blocks[i]
		subFrom(b, blk.G.apply(a, s.Slope))
		subFrom(a, blk.F.apply(b, s.Slope))
	}
	return a, b
}

// IntTensor is an integer feature map in CHW order.
type IntTensor struct {
	C, H, W int
	Data    []int32
}

func (t *IntTensor) float() *Tensor {
	u := NewTensor(t.C, t.H, t.W)
	for i, v := range t.Data {
		u.Data[i] = float32(v)
	}
	return u
}

func (t *IntTensor) clone() *IntTensor {
	u := &IntTensor{C: t.C, H: t.H, W: t.W, Data: make([]int32, len(t.Data))}
	copy(u.Data, t.Data)
	return u
}

func addRounded(a *IntTensor, f *Tensor, sign int32) {
	for i, v := range f.Data {
		a.Data[i] += sign * int32(math.Round(float64(v)))
	}
}

// ForwardInt is the integer-to-integer version of Forward: the residuals are
// rounded to integers, so InverseInt recovers x1, x2 bit for bit (the
// lifting construction of integer wavelets).
func (s *RevStack) ForwardInt(x1, x2 *IntTensor) (*IntTensor, *IntTensor) {
	a, b := x1.clone(), x2.clone()
	for i := range s.Blocks {
		blk := &s.Blocks[i]
		addRounded(a, blk.F.apply(b.float(), s.Slope), 1)
		addRounded(b, blk.G.apply(a.float(), s.Slope), 1)
	}
	return a, b
}

// InverseInt undoes ForwardInt exactly.
func (s *RevStack) InverseInt(y1, y2 *IntTensor) (*IntTensor, *IntTensor) {
	a, b := y1.clone(), y2.clone()
	for i := len(s.Blocks) - 1; i >= 0; i-- {
		blk := &s.Blocks[i]
		addRounded(b, blk.G.apply(a.float(), s.Slope), -1)
		addRounded(a, blk.F.apply(b.float(), s.Slope), -1)
	}
	return a, b
}

func subFrom(a, b *Tensor) {
	for i, v := range b.Data {
		a.Data[i] -= v
	}
}
