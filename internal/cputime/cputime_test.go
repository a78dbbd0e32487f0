package cputime

import "testing"

func TestNowAdvances(t *testing.T) {
	if !Available() {
		t.Skip("no CPU clock on this platform")
	}
	start := Now()
	x := 0
	for i := 0; i < 50_000_000; i++ {
		x += i ^ x
	}
	if Now() <= start {
		t.Fatalf("CPU time did not advance after a busy loop (x=%d)", x)
	}
}

func BenchmarkTimer(b *testing.B) {
	t := Start(1 << 10)
	s := 0
	for b.Loop() {
		for i := range 1 << 10 {
			s += i
		}
	}
	t.Report(b)
	_ = s
}
