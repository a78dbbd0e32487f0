package detnn

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medqr/medqr/internal/nofma"
)

func TestExp(t *testing.T) {
	for _, x := range []float64{-700, -50, -20.5, -1, -0.34657359, -1e-9, 0, 1e-12, 0.5, 0.34657359, 1, 2.5, 10, 88.7, 300, 700} {
		got, want := Exp(x), math.Exp(x)
		if rel := math.Abs(got-want) / want; rel > 4e-16 {
			t.Errorf("Exp(%g) = %v, math.Exp %v (relative error %.2g)", x, got, want, rel)
		}
	}
	if Exp(800) != Exp(700) || Exp(-800) != Exp(-700) {
		t.Error("Exp does not clamp to [-700, 700]")
	}
	if !math.IsNaN(Exp(math.NaN())) {
		t.Error("Exp(NaN) is not NaN")
	}
}

func TestActivations(t *testing.T) {
	for x := -30.0; x <= 30; x += 0.37 {
		if d := math.Abs(Tanh(x) - math.Tanh(x)); d > 1e-15 {
			t.Errorf("Tanh(%g) off by %g", x, d)
		}
		if d := math.Abs(Sigmoid(x) - 1/(1+math.Exp(-x))); d > 1e-15 {
			t.Errorf("Sigmoid(%g) off by %g", x, d)
		}
	}
}

func TestFrac32(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want uint32
	}{{0.5, 1 << 31}, {-0.25, 1 << 30}, {3.75, 3 << 30}, {0, 0}, {0x1p-32, 1}, {0x1p-33, 0}} {
		if got := Frac32(c.v); got != c.want {
			t.Errorf("Frac32(%v) = %#x, want %#x", c.v, got, c.want)
		}
	}
}

func TestDerive(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	a, _ := Derive(key, "lstm", "logistic", 16)
	b, _ := Derive(key, "lstm", "other", 16)
	c, _ := Derive(key, "sae", "logistic", 16)
	if bytes.Equal(a, b) || bytes.Equal(a, c) {
		t.Error("different labels give the same bytes")
	}
	if _, err := Derive(nil, "lstm", "x", 16); err == nil {
		t.Error("empty key accepted")
	}
	s1, s2 := make([]byte, 100), make([]byte, 100)
	DeriveStream(key, "deepkeygen", "initial-image", s1)
	DeriveStream(key, "deepkeygen", "initial-image", s2)
	if !bytes.Equal(s1, s2) || bytes.Equal(s1, make([]byte, 100)) {
		t.Error("DeriveStream is not a deterministic nonzero stream")
	}
	if got := Label("sae", "perm"); got != "medqr.org/baselines/sae/v1/perm" {
		t.Errorf("label %q", got)
	}
}

// testArch is a two-tensor architecture for the container tests.
type testArch struct {
	N int `json:"n"`
}

func (a testArch) Validate() error {
	if a.N < 1 || a.N > 100 {
		return fmt.Errorf("n %d outside 1..100", a.N)
	}
	return nil
}

func (a testArch) Specs() []Tensor {
	return []Tensor{{Name: "w", Dims: []int{a.N, 2}}, {Name: "b", Dims: []int{a.N}}}
}

func testFile(t testing.TB) []byte {
	b, err := EncodeWeights("test", testArch{N: 3}, map[string][]float32{"w": {1, 2, 3, 4, 5, 6}, "b": {-1, 0.5, 1e-3}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWeightsRoundTrip(t *testing.T) {
	var a testArch
	ts, err := DecodeWeights(testFile(t), "test", "hint", &a)
	if err != nil {
		t.Fatal(err)
	}
	if a.N != 3 || len(ts["w"]) != 6 || ts["w"][5] != 6 || ts["b"][2] != float64(float32(1e-3)) {
		t.Fatalf("decoded %+v %v", a, ts)
	}
}

// TestWeightsRefused flips every byte of a valid file (the checksum must
// catch each) and tries structural errors with a valid checksum.
func TestWeightsRefused(t *testing.T) {
	good := testFile(t)
	for i := range good {
		b := append([]byte(nil), good...)
		b[i] ^= 0x10
		var a testArch
		if ts, err := DecodeWeights(b, "test", "hint", &a); !errors.Is(err, ErrWeights) || ts != nil {
			t.Fatalf("byte %d flipped: got %v, %v", i, ts, err)
		}
	}
	reseal := func(body []byte) []byte {
		s := append([]byte(nil), body...)
		return append(s, sha256Sum(s)...)
	}
	body := good[:len(good)-32]
	for _, c := range []struct {
		name string
		b    []byte
		kind string
	}{
		{"wrong kind", good, "other"},
		{"truncated", reseal(body[:len(body)-3]), "test"},
		{"trailing", reseal(append(append([]byte(nil), body...), 0)), "test"},
		{"version 2", reseal(append(append([]byte(Magic), 2), body[len(Magic)+1:]...)), "test"},
		{"empty", nil, "test"},
		{"bad magic", reseal(append([]byte("XXXXXXX"), body[len(Magic):]...)), "test"},
	} {
		var a testArch
		if ts, err := DecodeWeights(c.b, c.kind, "make x", &a); !errors.Is(err, ErrWeights) || ts != nil {
			t.Errorf("%s: got %v, %v", c.name, ts, err)
		} else if c.b != nil && !strings.Contains(err.Error(), "make x") {
			t.Errorf("%s: error %q does not name the regenerating command", c.name, err)
		}
	}
	if _, err := EncodeWeights("test", testArch{N: 1}, map[string][]float32{"w": {1, float32(math.NaN())}, "b": {0}}); err == nil {
		t.Error("NaN weight encoded")
	}
}

func FuzzDecodeWeights(f *testing.F) {
	f.Add(testFile(f))
	seeds, _ := filepath.Glob("../../cipherimg/*/weights/*.mlw")
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil && len(b) > 0 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var a testArch
		ts, err := DecodeWeights(b, "test", "hint", &a)
		if err != nil {
			if ts != nil || !errors.Is(err, ErrWeights) {
				t.Fatalf("error %v with result %v", err, ts)
			}
			return
		}
		m := map[string][]float32{}
		for k, v := range ts {
			for _, x := range v {
				m[k] = append(m[k], float32(x))
			}
		}
		again, err := EncodeWeights("test", a, m)
		if err != nil {
			t.Fatalf("decoded file does not re-encode: %v", err)
		}
		if _, err := DecodeWeights(again, "test", "hint", &testArch{}); err != nil {
			t.Fatalf("re-encoded file does not decode: %v", err)
		}
	})
}

// TestNoFMA: Go may fuse a*b+c into one multiply-add on arm64, ppc64le,
// s390x and riscv64 (and on amd64 at GOAMD64=v3), which rounds otherwise.
// Two cheap checks that fail if a fusion can happen:
//
//  1. the pure-Go arithmetic of this package (math.go, gemm.go and the
//     gemm_other.go it runs on those processors) and iwave's wavelet
//     lifting (model/iwave/lift.go) are compiled alone with
//     `go tool compile -S` for the four architectures, their few outside
//     names stubbed, and no fused instruction may come from their lines,
//     while a probe a*b+c must show one (else the check is blind);
//  2. in the learned ciphers' inference files every float product is
//     rounded on its own: type-checked (with go list -export's data), each
//     must be the operand of an explicit float conversion, which the Go
//     specification says prevents fusion.
func TestNoFMA(t *testing.T) {
	nofma.Check(t,
		nofma.Unit{Pkg: "detnn", Files: []string{"math.go", "gemm.go", "gemm_other.go"}, Stubs: detnnStubs},
		nofma.Unit{Pkg: "iwave", Files: []string{"../../model/iwave/lift.go"}, Stubs: liftStubs})
	gobin := nofma.GoTool(t)
	ciphers := []string{"../../cipherimg/lstm/lstm.go", "../../cipherimg/sae/sae.go", "../../cipherimg/deepkeygen/net.go", "../../cipherimg/deepkeygen/deepkeygen.go"}
	imp := exportImporter(t, gobin, ciphers)
	for _, f := range ciphers {
		for _, p := range unroundedProducts(t, imp, f) {
			t.Errorf("%s: float product not rounded on its own (wrap it in float64(...)): may fuse on arm64", p)
		}
	}
}

// exportImporter returns an importer reading the compiler's export data
// of the dependencies of the packages holding files (built for this
// machine by go list -export, as the tests build them anyway).
func exportImporter(t *testing.T, gobin string, files []string) types.Importer {
	t.Helper()
	args := []string{"list", "-export", "-deps", "-f", "{{.ImportPath}}={{.Export}}"}
	for _, f := range files {
		args = append(args, "./"+filepath.Dir(f))
	}
	out, err := exec.Command(gobin, args...).Output()
	if err != nil {
		t.Fatalf("go list -export: %v", err)
	}
	export := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if path, file, ok := strings.Cut(line, "="); ok && file != "" {
			export[path] = file
		}
	}
	return importer.ForCompiler(token.NewFileSet(), "gc", func(path string) (io.ReadCloser, error) {
		f, ok := export[path]
		if !ok {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(f)
	})
}

// unroundedProducts type-checks the package holding file and returns the
// positions, in file, of float multiplications (x*y or x *= y) that are
// not the operand of a float conversion.
func unroundedProducts(t *testing.T, imp types.Importer, file string) []string {
	t.Helper()
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, filepath.Dir(file), func(fi fs.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	var target *ast.File
	for _, p := range pkgs {
		for name, f := range p.Files {
			files = append(files, f)
			if filepath.Base(name) == filepath.Base(file) {
				target = f
			}
		}
	}
	if target == nil {
		t.Fatalf("%s not found", file)
	}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}}
	conf := types.Config{Importer: imp}
	if _, err := conf.Check(filepath.Dir(file), fset, files, info); err != nil {
		t.Fatalf("type-checking %s: %v", file, err)
	}
	isFloat := func(e ast.Expr) bool {
		tv, ok := info.Types[e]
		if !ok || tv.Value != nil { // constants are exact
			return false
		}
		b, ok := tv.Type.Underlying().(*types.Basic)
		return ok && b.Info()&types.IsFloat != 0
	}
	var bad []string
	var stack []ast.Node
	ast.Inspect(target, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		switch e := n.(type) {
		case *ast.AssignStmt:
			if e.Tok == token.MUL_ASSIGN && isFloat(e.Lhs[0]) {
				bad = append(bad, fset.Position(e.Pos()).String())
			}
		case *ast.BinaryExpr:
			if e.Op == token.MUL && isFloat(e) && !roundedBy(stack, info) {
				bad = append(bad, fset.Position(e.Pos()).String())
			}
		}
		stack = append(stack, n)
		return true
	})
	return bad
}

// roundedBy reports whether the innermost enclosing node of stack, past
// parentheses, is a conversion to a float type.
func roundedBy(stack []ast.Node, info *types.Info) bool {
	for i := len(stack) - 1; i >= 0; i-- {
		switch p := stack[i].(type) {
		case *ast.ParenExpr:
			continue
		case *ast.CallExpr:
			tv, ok := info.Types[p.Fun]
			if !ok || !tv.IsType() || len(p.Args) != 1 {
				return false
			}
			b, ok := tv.Type.Underlying().(*types.Basic)
			return ok && b.Info()&types.IsFloat != 0
		default:
			return false
		}
	}
	return false
}

// detnnStubs stands in for what math.go and gemm.go import: only names
// and types matter to the check (integer operations only).
const detnnStubs = `package detnn

type mathStub struct{}

func (mathStub) Ldexp(f float64, e int) float64 { return f }
func (mathStub) Abs(x float64) float64           { return x }
func (mathStub) Floor(x float64) float64         { return float64(int64(x)) }

var math mathStub

type fmtStub struct{}

func (fmtStub) Sprintf(format string, a ...any) string { return format }

var fmt fmtStub
`

// liftStubs stands in for what model/iwave/lift.go uses from the rest of
// its package.
const liftStubs = `package iwave

const (
	LiftRow = iota
	LiftColLow
	LiftColHigh
)

type LiftGeom struct{ Base, DBase, SA, SC, NA, ND, C0, C1 int }

type Lift struct{}

func (l *Lift) apply(n int, g LiftGeom, x []float64, sign float64) {}

func LevelGeoms(w, cw, ch int) [3]LiftGeom { return [3]LiftGeom{} }
`

func sha256Sum(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}
