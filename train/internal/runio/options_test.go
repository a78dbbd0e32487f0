package runio

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
)

// TestLogger: Logger returns the caller's logger, or one that writes
// nowhere when Log is nil.
func TestLogger(t *testing.T) {
	var buf bytes.Buffer
	mine := logrus.New()
	mine.SetOutput(&buf)
	for _, tc := range []struct {
		name string
		opt  Options
		want string
	}{
		{"caller's logger", Options{Log: mine}, "msg=hello"},
		{"nil", Options{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			buf.Reset()
			l := tc.opt.Logger()
			if l == nil {
				t.Fatal("nil logger")
			}
			l.Info("hello")
			if got := buf.String(); !strings.Contains(got, tc.want) || (tc.want == "" && got != "") {
				t.Fatalf("log output %q, want %q", got, tc.want)
			}
		})
	}
}
