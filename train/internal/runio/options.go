package runio

import (
	"io"

	"github.com/sirupsen/logrus"
)

// Options are a training run's settings that are not part of its config
// (train.Options, train/iwave's and the cipher trainers' are this type).
type Options struct {
	// Resume continues from the run folder's checkpoint.
	Resume bool
	// Log receives the run's log lines (nil: Logger discards them).
	Log logrus.FieldLogger
	// Progress is the progress bar's destination (nil: no progress bar).
	Progress io.Writer
	// StopAt, when positive, ends the run after that step as if it were
	// interrupted (checkpoint written, the trainer's ErrStopped returned;
	// resume continues).
	StopAt int
}

// Logger returns o.Log, or a logger that discards everything when it is nil.
func (o Options) Logger() logrus.FieldLogger {
	if o.Log != nil {
		return o.Log
	}
	l := logrus.New()
	l.SetOutput(io.Discard)
	return l
}
