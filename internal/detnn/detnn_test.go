package detnn

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
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

// TestNoFMA compiles the packages whose arithmetic must be bit-exact for
// the architectures where Go fuses multiply-adds (detnn for all four, the
// cipher packages for arm64) and fails if a fused instruction appears in
// their source files. A probe with a plain a*b+c
// shows the check would see a fusion.
func TestNoFMA(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles for four architectures")
	}
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		t.Skip("go tool not found")
	}
	fused := regexp.MustCompile(`(?i)\b(FN?MADDD?|FN?MSUBD?|WFMA|WFMS|FMADDS)\b`)
	probe := t.TempDir()
	os.WriteFile(filepath.Join(probe, "go.mod"), []byte("module probe\ngo 1.26\n"), 0o644)
	os.WriteFile(filepath.Join(probe, "p.go"), []byte("package probe\n\nfunc F(a, b, c float64) float64 { return a*b + c }\n"), 0o644)
	pkgs := []string{".", "../../cipherimg/lstm", "../../cipherimg/sae", "../../cipherimg/deepkeygen"}
	files := regexp.MustCompile(`(math|derive|lstm|sae|net|deepkeygen)\.go`)
	for _, arch := range []string{"arm64", "ppc64le", "s390x", "riscv64"} {
		asm := func(dir string, pkgs ...string) string {
			cmd := exec.Command(gobin, append([]string{"build", "-gcflags=-S", "-o", os.DevNull}, pkgs...)...)
			if len(pkgs) > 1 {
				cmd = exec.Command(gobin, append([]string{"build", "-gcflags=-S"}, pkgs...)...)
			}
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "GOARCH="+arch, "GOOS=linux", "CGO_ENABLED=0")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s: go build: %v\n%s", arch, err, out)
			}
			return string(out)
		}
		if !fused.MatchString(asm(probe, ".")) {
			t.Fatalf("%s: probe a*b+c shows no fused instruction; the check is blind", arch)
		}
		// The cipher packages (with their dependencies) compile for arm64
		// only, to keep make test short; detnn itself for all four.
		check := pkgs[:1]
		if arch == "arm64" {
			check = pkgs
		}
		for _, line := range strings.Split(asm(".", check...), "\n") {
			if files.MatchString(line) && fused.MatchString(line) {
				t.Errorf("%s: fused multiply-add: %s", arch, strings.TrimSpace(line))
			}
		}
	}
}

func sha256Sum(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}
