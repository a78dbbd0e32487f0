package train

import "math"

// Adam is the Adam optimiser (Kingma & Ba 2015) with global-norm gradient
// clipping. Its state is plain slices so checkpoints can save and restore
// it exactly (gorgonia's solver keeps its moments private).
type Adam struct {
	Beta1, Beta2, Eps float64
	Clip              float64 // global L2 norm bound; 0 disables clipping
	Step              int
	M, V              [][]float32
}

// NewAdam returns an optimiser for parameters of the given sizes.
func NewAdam(sizes []int, clip float64) *Adam {
	a := &Adam{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, Clip: clip}
	for _, n := range sizes {
		a.M = append(a.M, make([]float32, n))
		a.V = append(a.V, make([]float32, n))
	}
	return a
}

// Update applies one step with learning rate lr to params given grads and
// returns the gradient norm before clipping.
func (a *Adam) Update(params, grads [][]float32, lr float64) float64 {
	var ss float64
	for _, g := range grads {
		for _, v := range g {
			ss += float64(v) * float64(v)
		}
	}
	norm := math.Sqrt(ss)
	scale := 1.0
	if a.Clip > 0 && norm > a.Clip {
		scale = a.Clip / norm
	}
	a.Step++
	c1 := 1 - math.Pow(a.Beta1, float64(a.Step))
	c2 := 1 - math.Pow(a.Beta2, float64(a.Step))
	b1, b2 := float32(a.Beta1), float32(a.Beta2)
	stepSize := float32(lr / c1)
	sc := float32(scale)
	ic2 := float32(1 / c2)
	eps := float32(a.Eps)
	for i, p := range params {
		m, v, g := a.M[i], a.V[i], grads[i]
		for j := range p {
			gj := g[j] * sc
			m[j] = b1*m[j] + (1-b1)*gj
			v[j] = b2*v[j] + (1-b2)*gj*gj
			p[j] -= stepSize * m[j] / (float32(math.Sqrt(float64(v[j]*ic2))) + eps)
		}
	}
	return norm
}

// LR is the learning rate at step s: linear warm-up over warmup steps, then
// cosine decay from max to min at total steps.
func LR(s, warmup, total int, max, min float64) float64 {
	if s < warmup {
		return max * float64(s+1) / float64(warmup)
	}
	if total <= warmup {
		return max
	}
	t := float64(s-warmup) / float64(total-warmup)
	if t > 1 {
		t = 1
	}
	return min + (max-min)*0.5*(1+math.Cos(math.Pi*t))
}

func sizesOf(p [][]float32) []int {
	s := make([]int, len(p))
	for i := range p {
		s[i] = len(p[i])
	}
	return s
}
