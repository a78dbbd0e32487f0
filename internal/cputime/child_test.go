package cputime

import (
	"os/exec"
	"strings"
	"testing"
)

func TestChild(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh on PATH")
	}
	for _, c := range []struct {
		name, script string
		busy         bool     // the child computes for a while: CPU time > 0
		errs         []string // what the error names; nil: no error
	}{
		{name: "quick", script: "exit 0"},
		{name: "busy", script: "i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done", busy: true},
		{name: "fails", script: "echo partial; echo broken >&2; exit 3", errs: []string{"sh -c echo partial", "exit status 3", "partial\nbroken\n"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, err := Child(exec.Command("sh", "-c", c.script))
			if c.errs == nil {
				if err != nil || d < 0 || (c.busy && d == 0) {
					t.Fatalf("Child = %v, %v; want a CPU time (> 0: %v) and no error", d, err, c.busy)
				}
				return
			}
			if err == nil || d != 0 {
				t.Fatalf("Child = %v, %v; want 0 and an error", d, err)
			}
			for _, want := range c.errs {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
	if _, err := Child(exec.Command("medqr-no-such-program")); err == nil || !strings.Contains(err.Error(), "medqr-no-such-program") {
		t.Errorf("a missing program: error %v does not name it", err)
	}
}
