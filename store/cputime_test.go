package store

import (
	"syscall"
	"testing"
	"time"
)

// cpuNow is the process CPU time (getrusage user+system). On a machine
// shared with other jobs the wall clock mostly measures waiting for a core;
// CPU time does not, so the benchmarks report both.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds a cpu-ms/op metric measured since start.
func reportCPU(b *testing.B, start time.Duration) {
	if d := cpuNow() - start; d > 0 && b.N > 0 {
		b.ReportMetric(float64(d.Microseconds())/1e3/float64(b.N), "cpu-ms/op")
	}
}
