package testimg

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// fatalTB records the first Fatalf of a helper under test and stops its
// goroutine, as testing.T does.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// fatalOf runs fn with a fatalTB in its own goroutine and returns the
// message it failed with ("" when it did not fail).
func fatalOf(t *testing.T, fn func(testing.TB)) string {
	f := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	return f.msg
}

func TestRun(t *testing.T) {
	Tool(t, "sh", "dash")
	for _, c := range []struct {
		script  string
		out     string
		failure []string // what the failure message names; nil: no failure
	}{
		{script: "echo out; echo note >&2", out: "out\n"},
		{script: "printf ''", out: ""},
		{script: "echo out; echo broken >&2; exit 3", failure: []string{"sh -c echo out;", "exit status 3", "\nbroken\n"}},
	} {
		var out []byte
		msg := fatalOf(t, func(tb testing.TB) { out = Run(tb, "sh", "-c", c.script) })
		if c.failure == nil {
			if msg != "" || string(out) != c.out {
				t.Errorf("%q: Run = %q, failure %q; want %q and no failure", c.script, out, msg, c.out)
			}
			continue
		}
		for _, want := range c.failure {
			if !strings.Contains(msg, want) {
				t.Errorf("%q: failure %q does not contain %q", c.script, msg, want)
			}
		}
	}
	if msg := fatalOf(t, func(tb testing.TB) { Run(tb, "medqr-no-such-program") }); !strings.Contains(msg, "medqr-no-such-program") {
		t.Errorf("a missing program: failure %q does not name it", msg)
	}
}
