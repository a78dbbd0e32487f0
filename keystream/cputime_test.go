package keystream

import (
	"github.com/medqr/medqr/internal/cputime"
	"testing"
	"time"
)

// cpuTimer reports, beside Go's wall-clock ns/op, the process CPU time per
// operation (getrusage user+system) and the MB/s it implies. On a machine
// shared with other jobs the wall clock mostly measures waiting for a core;
// CPU time does not.
type cpuTimer struct {
	start time.Duration
	bytes int64
}

func startCPU(bytes int64) *cpuTimer { return &cpuTimer{start: cputime.Now(), bytes: bytes} }

func (c *cpuTimer) report(b *testing.B) {
	d := cputime.Now() - c.start
	if d <= 0 || b.N == 0 {
		return
	}
	per := float64(d.Nanoseconds()) / float64(b.N)
	b.ReportMetric(per, "cpu-ns/op")
	if c.bytes > 0 {
		b.ReportMetric(float64(c.bytes)/per*1e3, "cpu-MB/s")
	}
}
