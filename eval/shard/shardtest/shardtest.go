// Package shardtest holds the check that the tests of sharded and repeated
// research runs (eval, attacks, rd, baselines) share: two output folders
// hold the same files with the same bytes. It is imported by tests only.
package shardtest

import (
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// SameFiles fails t unless folders a and b hold the same files with the
// same bytes, counting only the files whose slash-separated path below the
// folder keep accepts (nil keeps every file). It reports each file that is
// missing from b, only in b or different, and returns how many files of a
// it compared, so a caller can insist the folders were not near empty.
func SameFiles(t testing.TB, a, b string, keep func(rel string) bool) int {
	t.Helper()
	fa, fb := files(t, a, keep), files(t, b, keep)
	for _, rel := range slices.Sorted(maps.Keys(fa)) {
		y, ok := fb[rel]
		switch {
		case !ok:
			t.Errorf("%s: in %s, missing from %s", rel, a, b)
		case y != fa[rel]:
			t.Errorf("%s differs between %s and %s", rel, a, b)
		}
	}
	for _, rel := range slices.Sorted(maps.Keys(fb)) {
		if _, ok := fa[rel]; !ok {
			t.Errorf("%s: only in %s, not in %s", rel, b, a)
		}
	}
	return len(fa)
}

// files reads the kept files below root, keyed by slash-separated path.
func files(t testing.TB, root string, keep func(rel string) bool) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if keep != nil && !keep(rel) {
			return nil
		}
		b, err := os.ReadFile(p)
		out[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatalf("failed to read the run folder: %v", err)
	}
	return out
}
