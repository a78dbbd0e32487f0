// Package nofma checks, for tests, that Go code compiles to no fused
// multiply-add on the processors where Go may fuse x*y+z into one
// instruction that rounds once (arm64, ppc64le, s390x, riscv64): code whose
// results must be the same bits on every machine (keystream's chaotic maps,
// internal/detnn's kernels, model/iwave's lifting) is checked this way.
//
// Each Unit's files are compiled alone with "go tool compile -S" for the
// four architectures, their imports blanked out and stood in for by the
// unit's stubs, so that no standard library package has to be built for a
// foreign architecture (well under a few seconds on a cold build cache
// instead of minutes). A fused instruction from a checked file's lines fails
// the test; a probe a*b+c that shows none means the check is blind and fails
// it too.
package nofma

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// Arches are the architectures on which Go fuses multiply-adds by default.
var Arches = []string{"arm64", "ppc64le", "s390x", "riscv64"}

// fused matches the fused multiply-add instructions of Arches in
// `go tool compile -S` output.
var fused = regexp.MustCompile(`(?i)\b(FN?MADDD?|FN?MSUBD?|WFMA|WFMS|FMADDS)\b`)

var (
	importDecl   = regexp.MustCompile(`(?m)^import ("[^"]*"|\((?s:[^)]*)\))\s*$`)
	importedPath = regexp.MustCompile(`"[^"]*"`)
)

// A Unit is a set of files of one package compiled together.
type Unit struct {
	Pkg   string   // package name
	Files []string // checked files, relative to the test's folder
	Stubs string   // source of package Pkg standing in for what Files import
	// Imports, when not nil, lists the only import paths Files may have
	// (those Stubs cover): another one fails the test.
	Imports []string
}

const probe = "package probe\n\nfunc F(a, b, c float64) float64 { return a*b + c }\n"

// Check compiles the units for every architecture in Arches, after a probe,
// and fails t for each fused instruction in the units' files. It skips the
// test where the go tool is not found.
func Check(t *testing.T, units ...Unit) {
	t.Helper()
	gobin := GoTool(t)
	dir := t.TempDir()
	units = append([]Unit{{Pkg: "probe", Stubs: probe}}, units...)
	for _, u := range units {
		write(t, dir, u.Pkg+"-stubs.go", u.Stubs)
		for _, f := range u.Files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			src, err := blankImports(string(b), u.Imports)
			if err != nil {
				t.Fatalf("%s: %v: add what it uses to the stubs", f, err)
			}
			write(t, dir, u.Pkg+"-"+filepath.Base(f), src)
		}
	}
	for _, arch := range Arches {
		for _, u := range units {
			srcs := []string{u.Pkg + "-stubs.go"}
			for _, f := range u.Files {
				srcs = append(srcs, u.Pkg+"-"+filepath.Base(f))
			}
			cmd := exec.Command(gobin, append([]string{"tool", "compile", "-S", "-p", u.Pkg, "-o", filepath.Join(dir, u.Pkg+".o")}, srcs...)...)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "GOARCH="+arch, "GOOS=linux")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s: go tool compile %v: %v (extend the stubs)\n%s", arch, u.Files, err, out)
			}
			found := false
			for _, line := range strings.Split(string(out), "\n") {
				if !fused.MatchString(line) {
					continue
				}
				found = true
				if u.Files != nil && !strings.Contains(line, "-stubs.go") {
					t.Errorf("%s: fused multiply-add: %s", arch, strings.TrimSpace(line))
				}
			}
			if u.Files == nil && !found {
				t.Fatalf("%s: probe a*b+c shows no fused instruction; the check is blind", arch)
			}
		}
	}
}

// GoTool returns the path of the go command of this toolchain, or skips t.
func GoTool(t *testing.T) string {
	t.Helper()
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		t.Skip("go tool not found")
	}
	return gobin
}

// blankImports returns src with its import declarations replaced by as
// many empty lines (line numbers kept), or an error naming an import outside
// allowed (when allowed is not nil).
func blankImports(src string, allowed []string) (string, error) {
	var err error
	out := importDecl.ReplaceAllStringFunc(src, func(decl string) string {
		for _, imp := range importedPath.FindAllString(decl, -1) {
			if allowed != nil && !slices.Contains(allowed, strings.Trim(imp, `"`)) && err == nil {
				err = fmt.Errorf("imports %s", imp)
			}
		}
		return strings.Repeat("\n", strings.Count(decl, "\n"))
	})
	if err != nil {
		return "", err
	}
	return out, nil
}

func write(t *testing.T, dir, name, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
