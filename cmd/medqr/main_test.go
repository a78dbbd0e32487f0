package main

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"medqr": func() { os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// repoRoot is the module root, two levels above this package.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// TestScripts runs the end-to-end CLI tests in testdata/script/*.txt. Each
// script sees $SAMPLES (the shipped sample data) and $SHARED (../shared/data,
// possibly absent).
func TestScripts(t *testing.T) {
	root, err := filepath.Abs(repoRoot())
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(e *testscript.Env) error {
			e.Setenv("SAMPLES", filepath.Join(root, "data", "samples"))
			e.Setenv("SHARED", filepath.Join(root, "..", "shared", "data"))
			return nil
		},
	})
}
