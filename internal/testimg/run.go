package testimg

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// Run runs the external program name with args and returns what it wrote
// to standard output. A program that fails (cannot start, exits non-zero)
// fails the test with the command line, the error and what the program
// wrote to standard error.
func Run(t testing.TB, name string, args ...string) []byte {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return out
}
