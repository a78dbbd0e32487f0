//go:build unix

package cipherimg_test

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user + system) of the whole process. The
// benchmarks report throughput per CPU-second besides wall-clock MB/s,
// because on a shared machine the wall clock mostly measures the load.
func cpuTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
