package shardtest

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// recorder is a testing.TB that keeps what SameFiles reports.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// tree writes files (slash paths to contents) below a new folder.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for rel, c := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestSameFiles(t *testing.T) {
	base := map[string]string{"report.json": "{}", "plots/a.png": "A", "plots/b.png": "B"}
	onlyPNG := func(rel string) bool { return strings.HasSuffix(rel, ".png") }
	for _, tc := range []struct {
		name string
		b    map[string]string
		keep func(string) bool
		n    int
		errs []string // a substring of each report, in order
	}{
		{name: "same", b: base, n: 3},
		{name: "differs", b: map[string]string{"report.json": "{}", "plots/a.png": "A", "plots/b.png": "b"}, n: 3, errs: []string{"plots/b.png differs"}},
		{name: "missing", b: map[string]string{"report.json": "{}", "plots/a.png": "A"}, n: 3, errs: []string{"plots/b.png: in"}},
		{name: "extra", b: map[string]string{"report.json": "{}", "plots/a.png": "A", "plots/b.png": "B", "x.csv": ""}, n: 3, errs: []string{"x.csv: only in"}},
		{name: "kept only", b: map[string]string{"report.json": "[]", "plots/a.png": "A", "plots/b.png": "B"}, keep: onlyPNG, n: 2},
		{name: "kept differs", b: map[string]string{"plots/a.png": "a", "plots/b.png": "B", "plots/c.png": ""}, keep: onlyPNG, n: 2, errs: []string{"plots/a.png differs", "plots/c.png: only in"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{TB: t}
			if n := SameFiles(r, tree(t, base), tree(t, tc.b), tc.keep); n != tc.n {
				t.Errorf("compared %d files, want %d", n, tc.n)
			}
			if len(r.errs) != len(tc.errs) || !slices.EqualFunc(r.errs, tc.errs, strings.Contains) {
				t.Errorf("reports %q, want ones containing %q", r.errs, tc.errs)
			}
		})
	}
}
