package iwave

import (
	_ "embed"
	"fmt"
	"sync"
)

// The shipped weights, both trained by `make train-iwave` (`make train`):
// the learned lifting steps and the decoder post-filter.
var (
	//go:embed weights/lift.iwl
	shippedLift []byte
	//go:embed weights/postfilter.iwq
	shippedWeights []byte
)

var (
	defaultOnce  sync.Once
	defaultCodec *Codec
	defaultErr   error
)

// DefaultE returns the codec with the shipped learned lifting steps and
// post-filter, or the error that the embedded weights files produced.
func DefaultE() (*Codec, error) {
	defaultOnce.Do(func() {
		lf, err := DecodeLift(shippedLift)
		if err != nil {
			defaultErr = fmt.Errorf("iwave: embedded lifting weights: %w", err)
			return
		}
		pf, err := DecodeWeights(shippedWeights)
		if err != nil {
			defaultErr = fmt.Errorf("iwave: embedded post-filter weights: %w", err)
			return
		}
		defaultCodec = NewLifted(lf, pf)
	})
	return defaultCodec, defaultErr
}

// Default is DefaultE for the shipped build, whose embedded weights are
// checked by the tests: it panics if they do not load.
func Default() *Codec {
	c, err := DefaultE()
	if err != nil {
		panic(err)
	}
	return c
}
