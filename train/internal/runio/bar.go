package runio

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Bar is a trainer's progress bar (schollz/progressbar: count, steps per
// second, ETA, at most two redraws a second). A nil *Bar draws nothing, so a run without a
// progress writer needs no checks.
type Bar struct {
	bar *progressbar.ProgressBar
	w   io.Writer
}

// NewBar returns a bar of steps steps on w, described by desc, with done
// of them already counted (a resumed run); nil when w is nil.
func NewBar(w io.Writer, desc string, steps, done int) *Bar {
	if w == nil {
		return nil
	}
	b := progressbar.NewOptions(steps, progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc), progressbar.OptionShowCount(),
		progressbar.OptionShowIts(), progressbar.OptionSetItsString("step"),
		progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(500*time.Millisecond))
	b.Set(done)
	return &Bar{bar: b, w: w}
}

// Add counts one step.
func (b *Bar) Add() {
	if b != nil {
		b.bar.Add(1)
	}
}

// Finish completes the bar and ends its line.
func (b *Bar) Finish() {
	if b != nil {
		b.bar.Finish()
		fmt.Fprintln(b.w)
	}
}
