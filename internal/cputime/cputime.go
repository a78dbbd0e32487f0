// Package cputime reads the process CPU time (user + system, getrusage),
// which benchmarks report beside Go's wall-clock ns/op: on a machine shared
// with other jobs the wall clock mostly measures waiting for a core, CPU
// time does not. Child measures a child process (an external tool run for
// comparison) the same way.
package cputime

import "time"

// Now returns the CPU time the process has used so far, or 0 where the
// platform cannot tell (then Available is false).
func Now() time.Duration { return now() }

// Available reports whether Now measures anything on this platform.
func Available() bool { return available }
