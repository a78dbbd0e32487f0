package cputime

import (
	"testing"
	"time"
)

// Timer measures the process CPU time of a benchmark loop, for reporting
// beside Go's wall-clock ns/op.
type Timer struct {
	start time.Duration
	bytes int64
}

// Start starts a timer for a loop whose operations each process bytes
// bytes (0: report no throughput).
func Start(bytes int64) *Timer { return &Timer{start: Now(), bytes: bytes} }

// Report adds "cpu-ns/op" and, when the timer counts bytes, "cpu-MB/s" to
// b's results; it adds nothing where the platform cannot measure CPU time.
func (t *Timer) Report(b *testing.B) {
	d := Now() - t.start
	if d <= 0 || b.N == 0 {
		return
	}
	per := float64(d.Nanoseconds()) / float64(b.N)
	b.ReportMetric(per, "cpu-ns/op")
	if t.bytes > 0 {
		b.ReportMetric(float64(t.bytes)/per*1e3, "cpu-MB/s")
	}
}

// ReportMillis adds "cpu-ms/op", the CPU time since start (a Now reading
// taken just before the loop) per operation, to b's results: the unit of
// the codec, store and qr benchmarks and of the results/codec and
// results/encryptor tables. It adds nothing where the platform cannot
// measure CPU time.
func ReportMillis(b *testing.B, start time.Duration) {
	if d := Now() - start; d > 0 && b.N > 0 {
		b.ReportMetric(float64(d.Microseconds())/1e3/float64(b.N), "cpu-ms/op")
	}
}
