package runio

import (
	"bytes"
	"strings"
	"testing"
)

// TestBar: a bar draws its count on its writer and ends its line; a nil
// bar (no writer) draws nothing and does not panic.
func TestBar(t *testing.T) {
	var buf bytes.Buffer
	for _, tc := range []struct {
		name  string
		bar   *Bar
		added int
		want  string
	}{
		{"fresh", NewBar(&buf, "train-x", 4, 0), 4, "4/4"},
		{"resumed at 3", NewBar(&buf, "train-x", 4, 3), 1, "4/4"},
		{"no writer", NewBar(nil, "train-x", 4, 0), 4, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			buf.Reset()
			if (tc.bar == nil) != (tc.want == "") {
				t.Fatalf("NewBar returned %v", tc.bar)
			}
			for range tc.added {
				tc.bar.Add()
			}
			tc.bar.Finish()
			got := buf.String()
			if tc.want == "" {
				if got != "" {
					t.Fatalf("nil bar wrote %q", got)
				}
				return
			}
			if !strings.Contains(got, "train-x") || !strings.Contains(got, tc.want) || !strings.HasSuffix(got, "\n") {
				t.Fatalf("bar wrote %q, want the description, %q and a final newline", got, tc.want)
			}
		})
	}
}
