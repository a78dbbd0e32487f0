package iwave

// CDF 9/7 lifting constants (Daubechies and Sweldens 1998, the JPEG 2000
// irreversible transform). Each of the four steps is an additive coupling:
// predict adds a function of the even samples to the odd ones, update adds a
// function of the odd samples to the even ones; the inverse subtracts the
// same quantity in the reverse order, so it is exact up to float rounding
// whatever the filter is.
//
// Every product is rounded on its own (an explicit float64 conversion), so
// no processor fuses it with the addition into one multiply-add: the
// transform gives the same bits everywhere (TestNoFMA).
const (
	liftAlpha = -1.586134342059924
	liftBeta  = -0.052980118572961
	liftGamma = 0.882911075530934
	liftDelta = 0.443506852043971
	liftK     = 1.230174104914001
)

// clampIdx maps an out-of-range neighbour index to the mirrored sample: the
// whole-sample symmetric extension of the signal.
func clampIdx(i, n int) int {
	if i < 0 {
		return 0
	}
	if i >= n {
		return n - 1
	}
	return i
}

// predict: d[i] += c*(s[i]+s[i+1]); sign -1 undoes it.
func predict(s, d []float64, c float64) {
	ns := len(s)
	for i := range d {
		d[i] += float64(c * (s[i] + s[clampIdx(i+1, ns)]))
	}
}

// update: s[i] += c*(d[i-1]+d[i]).
func update(s, d []float64, c float64) {
	nd := len(d)
	for i := range s {
		s[i] += float64(c * (d[clampIdx(i-1, nd)] + d[clampIdx(i, nd)]))
	}
}

// fwd1 transforms x in place into [low | high] (low has ceil(n/2) samples),
// using tmp (len >= n) as scratch.
func fwd1(x, tmp []float64) {
	n := len(x)
	if n < 2 {
		return
	}
	ns := (n + 1) / 2
	s, d := tmp[:ns], tmp[ns:n]
	for i := range s {
		s[i] = x[2*i]
	}
	for i := range d {
		d[i] = x[2*i+1]
	}
	predict(s, d, liftAlpha)
	update(s, d, liftBeta)
	predict(s, d, liftGamma)
	update(s, d, liftDelta)
	for i := range s {
		s[i] /= liftK
	}
	for i := range d {
		d[i] *= liftK
	}
	copy(x, tmp[:n])
}

// inv1 inverts fwd1.
func inv1(x, tmp []float64) {
	n := len(x)
	if n < 2 {
		return
	}
	ns := (n + 1) / 2
	s, d := x[:ns], x[ns:n]
	for i := range s {
		s[i] *= liftK
	}
	for i := range d {
		d[i] /= liftK
	}
	update(s, d, -liftDelta)
	predict(s, d, -liftGamma)
	update(s, d, -liftBeta)
	predict(s, d, -liftAlpha)
	for i := range s {
		tmp[2*i] = s[i]
	}
	for i := range d {
		tmp[2*i+1] = d[i]
	}
	copy(x, tmp[:n])
}

// Levels returns the number of decomposition levels used for a w x h image:
// up to MaxLevels, while the low band stays at least 4 samples on each side.
func Levels(w, h int) int {
	l := 0
	for l < MaxLevels && w >= 8 && h >= 8 {
		w, h = (w+1)/2, (h+1)/2
		l++
	}
	return l
}

// MaxLevels is the deepest decomposition.
const MaxLevels = 5

// Forward applies a levels-deep 2-D separable CDF 9/7 transform to the
// w x h plane x (row-major) in place, in the Mallat layout: after each level
// the low band occupies the top-left ceil(w/2) x ceil(h/2) corner.
func Forward(x []float64, w, h, levels int) { ForwardLift(x, w, h, levels, nil) }

// Inverse undoes Forward.
func Inverse(x []float64, w, h, levels int) { InverseLift(x, w, h, levels, nil) }

// ForwardLift is Forward with the learned predict steps of lf after each
// pass (lf == nil: plain CDF 9/7).
func ForwardLift(x []float64, w, h, levels int, lf *Lift) { ForwardVisit(x, w, h, levels, lf, nil) }

// ForwardVisit is ForwardLift that calls visit (if not nil) just before each
// learned predict step would run, with the level (1 = finest), the network
// (LiftRow, LiftColLow, LiftColHigh), its geometry and the plane: the
// step's inputs and targets are in x then. Training collects its samples
// this way.
func ForwardVisit(x []float64, w, h, levels int, lf *Lift, visit func(level, net int, g LiftGeom, x []float64)) {
	var apply liftStep
	if lf != nil {
		apply = lf.apply
	}
	forward(x, w, h, levels, apply, visit)
}

// liftStep adds (sign +1) or subtracts (sign -1) learned network n's
// predictions to the high-pass samples of g in x: Lift.apply, or in tests
// the first implementation it must match.
type liftStep func(n int, g LiftGeom, x []float64, sign float64)

// forward is ForwardVisit with the learned steps done by apply (nil: none).
func forward(x []float64, w, h, levels int, apply liftStep, visit func(level, net int, g LiftGeom, x []float64)) {
	step := func(level, n int, g LiftGeom) {
		if visit != nil && g.ND > 0 && g.C1 > g.C0 {
			visit(level, n, g, x)
		}
		if apply != nil {
			apply(n, g, x, 1)
		}
	}
	tmp := make([]float64, max(w, h))
	col := make([]float64, h)
	cw, ch := w, h
	for l := 0; l < levels; l++ {
		for y := 0; y < ch; y++ {
			fwd1(x[y*w:y*w+cw], tmp)
		}
		geoms := LevelGeoms(w, cw, ch)
		step(l+1, LiftRow, geoms[LiftRow])
		for c := 0; c < cw; c++ {
			for y := 0; y < ch; y++ {
				col[y] = x[y*w+c]
			}
			fwd1(col[:ch], tmp)
			for y := 0; y < ch; y++ {
				x[y*w+c] = col[y]
			}
		}
		step(l+1, LiftColLow, geoms[LiftColLow])
		step(l+1, LiftColHigh, geoms[LiftColHigh])
		cw, ch = (cw+1)/2, (ch+1)/2
	}
}

// InverseLift undoes ForwardLift with the same lf.
func InverseLift(x []float64, w, h, levels int, lf *Lift) {
	var apply liftStep
	if lf != nil {
		apply = lf.apply
	}
	inverse(x, w, h, levels, apply)
}

// inverse is InverseLift with the learned steps undone by apply (nil:
// none).
func inverse(x []float64, w, h, levels int, apply liftStep) {
	tmp := make([]float64, max(w, h))
	col := make([]float64, h)
	dims := make([][2]int, levels)
	cw, ch := w, h
	for l := 0; l < levels; l++ {
		dims[l] = [2]int{cw, ch}
		cw, ch = (cw+1)/2, (ch+1)/2
	}
	for l := levels - 1; l >= 0; l-- {
		cw, ch := dims[l][0], dims[l][1]
		geoms := LevelGeoms(w, cw, ch)
		if apply != nil {
			apply(LiftColHigh, geoms[LiftColHigh], x, -1)
			apply(LiftColLow, geoms[LiftColLow], x, -1)
		}
		for c := 0; c < cw; c++ {
			for y := 0; y < ch; y++ {
				col[y] = x[y*w+c]
			}
			inv1(col[:ch], tmp)
			for y := 0; y < ch; y++ {
				x[y*w+c] = col[y]
			}
		}
		if apply != nil {
			apply(LiftRow, geoms[LiftRow], x, -1)
		}
		for y := 0; y < ch; y++ {
			inv1(x[y*w:y*w+cw], tmp)
		}
	}
}

// Band is one subband's rectangle in the Mallat layout.
type Band struct {
	X0, Y0, W, H int
	Level        int // 1 = finest; the LL band has Level = levels
	Orient       int // 0 LL, 1 HL (horizontal high), 2 LH, 3 HH
}

// Bands lists the subbands of a w x h, levels-deep decomposition in coding
// order: LL, then from the coarsest level to the finest HL, LH, HH.
func Bands(w, h, levels int) []Band {
	ws, hs := make([]int, levels+1), make([]int, levels+1)
	ws[0], hs[0] = w, h
	for l := 1; l <= levels; l++ {
		ws[l], hs[l] = (ws[l-1]+1)/2, (hs[l-1]+1)/2
	}
	out := []Band{{0, 0, ws[levels], hs[levels], levels, 0}}
	for l := levels; l >= 1; l-- {
		lw, lh := ws[l], hs[l]
		pw, ph := ws[l-1], hs[l-1]
		out = append(out,
			Band{lw, 0, pw - lw, lh, l, 1},
			Band{0, lh, lw, ph - lh, l, 2},
			Band{lw, lh, pw - lw, ph - lh, l, 3})
	}
	return out
}
