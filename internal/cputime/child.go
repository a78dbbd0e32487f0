package cputime

import (
	"fmt"
	"os/exec"
	"time"
)

// Child runs cmd to completion and returns the CPU time (user + system)
// the child process used, its start included, as a user of the program
// pays it: the figure benchmarks put beside medqr's own CPU time. cmd's
// Stdout and Stderr must be unset: a program that fails returns an error
// naming the command line, with what it wrote to either.
func Child(cmd *exec.Cmd) (time.Duration, error) {
	if out, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("%s: %w\n%s", cmd, err, out)
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}
