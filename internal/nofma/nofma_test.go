package nofma

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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

func TestBlankImports(t *testing.T) {
	const tail = "\nvar x = 1\n"
	tests := []struct {
		name, src string
		allowed   []string
		wantErr   string
	}{
		{"single", "package p\n\nimport \"math\"\n" + tail, []string{"math"}, ""},
		{"block", "package p\n\nimport (\n\t\"encoding/binary\"\n\t\"math\"\n)\n" + tail, []string{"encoding/binary", "math"}, ""},
		{"any", "package p\n\nimport (\n\t\"os\"\n)\n" + tail, nil, ""},
		{"none", "package p\n" + tail, []string{}, ""},
		{"refused", "package p\n\nimport (\n\t\"math\"\n\t\"os\"\n)\n" + tail, []string{"math"}, `imports "os"`},
	}
	for _, tc := range tests {
		got, err := blankImports(tc.src, tc.allowed)
		switch {
		case tc.wantErr != "":
			if err == nil || err.Error() != tc.wantErr || got != "" {
				t.Errorf("%s: %q, %v; want error %q", tc.name, got, err, tc.wantErr)
			}
		case err != nil || strings.Contains(got, "import") || strings.Count(got, "\n") != strings.Count(tc.src, "\n") || !strings.HasSuffix(got, tail):
			t.Errorf("%s: %q, %v", tc.name, got, err)
		}
	}
}
