package nofma

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBlankImports(t *testing.T) {
	for _, c := range []struct {
		name, src string
		allowed   []string
	}{
		{"single", "package p\n\nimport \"math\"\n\nvar x = 1\n", []string{"math"}},
		{"block", "package p\n\nimport (\n\t\"encoding/binary\"\n\t\"math\"\n)\n\nvar x = 1\n", []string{"encoding/binary", "math"}},
		{"any", "package p\n\nimport (\n\t\"os\"\n)\n\nvar x = 1\n", nil},
		{"none", "package p\n\nvar x = 1\n", []string{}},
	} {
		f := filepath.Join(t.TempDir(), "f.go")
		if err := os.WriteFile(f, []byte(c.src), 0o644); err != nil {
			t.Fatal(err)
		}
		got := blankImports(t, f, c.allowed)
		if strings.Contains(got, "import") || strings.Count(got, "\n") != strings.Count(c.src, "\n") || !strings.HasSuffix(got, "var x = 1\n") {
			t.Errorf("%s: %q", c.name, got)
		}
	}
}

// TestCheckProbe runs the check on a unit without fusions: it passes
// only if the probe shows a fused instruction on every architecture.
func TestCheckProbe(t *testing.T) {
	f := filepath.Join(t.TempDir(), "round.go")
	src := "package round\n\nfunc F(a, b, c float64) float64 { return float64(a*b) + c }\n"
	if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	Check(t, Unit{Pkg: "round", Files: []string{f}, Stubs: "package round\n", Imports: []string{}})
}
