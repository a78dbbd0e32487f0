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
