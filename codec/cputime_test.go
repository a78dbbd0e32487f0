package codec

import (
	"github.com/medqr/medqr/internal/cputime"
	"testing"
	"time"
)

// reportCPU adds a cpu-ms/op metric measured since start.
func reportCPU(b *testing.B, start time.Duration) {
	if d := cputime.Now() - start; d > 0 && b.N > 0 {
		b.ReportMetric(float64(d.Microseconds())/1e3/float64(b.N), "cpu-ms/op")
	}
}
