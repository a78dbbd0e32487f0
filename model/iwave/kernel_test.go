package iwave

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/blas"
	blasgonum "gonum.org/v1/gonum/blas/gonum"
)

// gonumAsm reports whether gonum runs its amd64 assembly, whose order of
// summation the transform keeps (package detnn): Ddot of a vector whose
// order matters tells.
func gonumAsm() bool {
	a := []float64{1e16, 1, -1e16, 1}
	return runtime.GOARCH == "amd64" && blasgonum.Implementation{}.Ddot(4, a, 1, []float64{1, 1, 1, 1}, 1) == 2
}

// applyGonum is the first implementation of Lift.apply: each line's
// samples through gonum's Dgemm, Dgemm and Dgemv, one line after another.
func applyGonum(l *Lift, n int, g LiftGeom, x []float64, sign float64) {
	if g.ND == 0 || g.C1 <= g.C0 || g.NA == 0 {
		return
	}
	impl := blasgonum.Implementation{}
	h, rows := l.Config.Hidden, g.ND
	f := make([]float64, rows*LiftFeatures)
	h1, h2, out := make([]float64, rows*h), make([]float64, rows*h), make([]float64, rows)
	relu := func(v []float64) {
		for i, x := range v {
			if x < 0 {
				v[i] = x * l.Config.Leak
			}
		}
	}
	w := &l.W[n]
	for c := g.C0; c < g.C1; c++ {
		for i := 0; i < rows; i++ {
			g.Features(x, i, c, (*[LiftFeatures]float64)(f[i*LiftFeatures:]))
		}
		impl.Dgemm(blas.NoTrans, blas.Trans, rows, h, LiftFeatures, 1, f, LiftFeatures, w[0], LiftFeatures, 0, h1, h)
		relu(h1)
		impl.Dgemm(blas.NoTrans, blas.Trans, rows, h, h, 1, h1, h, w[1], h, 0, h2, h)
		relu(h2)
		impl.Dgemv(blas.NoTrans, rows, h, 1, h2, h, w[2], 1, 0, out, 1)
		for i := 0; i < rows; i++ {
			x[g.Index(i, c)] += sign * out[i]
		}
	}
}

// TestApplyMatchesGonum: every learned step of every level, forward and
// inverse, gives the bits the gonum implementation gave, for the shipped
// width and for widths that take the other paths (odd, over 64 with
// lines long enough for Dgemm's blocked sums), with lines of up to 200 samples.
func TestApplyMatchesGonum(t *testing.T) {
	if !gonumAsm() {
		t.Skip("gonum runs its pure-Go loops here; TestTransformGolden checks this processor")
	}
	rng := rand.New(rand.NewPCG(16, 4))
	for _, c := range []struct {
		hidden, w, h int
	}{{32, 256, 64}, {32, 400, 12}, {7, 37, 300}, {80, 400, 24}, {1, 9, 8}} {
		lf, _ := randomLift(t, LiftConfig{Hidden: c.hidden, Leak: 0.1}, 0.4)
		cw, ch := c.w, c.h
		for level := 0; level < Levels(c.w, c.h); level++ {
			for n, g := range LevelGeoms(c.w, cw, ch) {
				for _, sign := range []float64{1, -1} {
					x := make([]float64, c.w*c.h)
					for i := range x {
						x[i] = rng.NormFloat64() * 40
					}
					want := append([]float64(nil), x...)
					applyGonum(lf, n, g, want, sign)
					lf.apply(n, g, x, sign)
					for i := range x {
						if math.Float64bits(x[i]) != math.Float64bits(want[i]) {
							t.Fatalf("hidden %d, %dx%d, level %d, net %d, sign %v: sample %d = %v, gonum %v", c.hidden, c.w, c.h, level+1, n, sign, i, x[i], want[i])
						}
					}
				}
			}
			cw, ch = (cw+1)/2, (ch+1)/2
		}
	}
}

// transformDigest hashes the shipped codec's forward transform of the
// sample X-ray and the inverse of that, with the learned steps done by
// apply.
func transformDigest(t *testing.T, apply func(l *Lift) liftStep) string {
	g := loadGray(t, "cxr256.png")
	step := apply(Default().Lift())
	x := make([]float64, len(g.Pix))
	for i, v := range g.Pix {
		x[i] = float64(v) - 128
	}
	s := sha256.New()
	put := func() {
		for _, v := range x {
			s.Write(binary.LittleEndian.AppendUint64(nil, math.Float64bits(v)))
		}
	}
	levels := Levels(256, 256)
	forward(x, 256, 256, levels, step, nil)
	put()
	inverse(x, 256, 256, levels, step)
	put()
	return hex.EncodeToString(s.Sum(nil))
}

var updateTransform = flag.Bool("update-transform", false, "rewrite testdata/transform.txt with the gonum implementation's digest (amd64)")

// TestTransformGolden: on every processor the shipped transform of the
// sample X-ray gives the bits of the gonum implementation on amd64:
// compared with it directly where gonum runs its assembly, and everywhere
// with testdata/transform.txt, which that comparison writes
// (go test -run TestTransformGolden -update-transform on amd64) for the
// shipped model it names.
func TestTransformGolden(t *testing.T) {
	got := transformDigest(t, func(l *Lift) liftStep { return l.apply })
	id := Default().ID()
	model := hex.EncodeToString(id[:])
	if gonumAsm() {
		ref := transformDigest(t, func(l *Lift) liftStep {
			return func(n int, g LiftGeom, x []float64, sign float64) { applyGonum(l, n, g, x, sign) }
		})
		if got != ref {
			t.Fatalf("transform digest %s, gonum implementation %s", got, ref)
		}
		if *updateTransform {
			text := "# sha256 of the shipped model's ForwardLift and InverseLift of testdata/cxr256.png (kernel_test.go)\nmodel " + model + "\nsha256 " + ref + "\n"
			if err := os.WriteFile("testdata/transform.txt", []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	} else if *updateTransform {
		t.Fatal("-update-transform needs amd64 with gonum's assembly")
	}
	b, err := os.ReadFile("testdata/transform.txt")
	if err != nil {
		t.Fatal(err)
	}
	var wantModel, want string
	for _, line := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("model ")); ok {
			wantModel = string(v)
		}
		if v, ok := bytes.CutPrefix(line, []byte("sha256 ")); ok {
			want = string(v)
		}
	}
	if wantModel != model {
		// New shipped weights: on amd64 the direct comparison above is
		// the check; elsewhere there is nothing to compare with until the
		// file is regenerated.
		t.Skipf("testdata/transform.txt is for model %s, the shipped weights are model %s: regenerate it (go test ./model/iwave -run TransformGolden -update-transform, on amd64)", wantModel, model)
	}
	if got != want {
		t.Fatalf("transform digest %s, testdata/transform.txt has %s", got, want)
	}
}
