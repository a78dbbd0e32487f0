package iwave

import (
	_ "embed"
	"fmt"
	"sync"
)

// The shipped post-filter, trained by `make train-iwave`.
//
//go:embed weights/postfilter.iwq
var shippedWeights []byte

var (
	defaultOnce  sync.Once
	defaultCodec *Codec
	defaultErr   error
)

// DefaultE returns the codec with the shipped post-filter, or the error
// that the embedded weights file produced.
func DefaultE() (*Codec, error) {
	defaultOnce.Do(func() {
		pf, err := DecodeWeights(shippedWeights)
		if err != nil {
			defaultErr = fmt.Errorf("iwave: embedded weights: %w", err)
			return
		}
		defaultCodec = New(pf)
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
