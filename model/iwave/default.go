package iwave

import (
	"embed"
	"fmt"
	"path"
	"sync"
)

// The shipped weights, both trained by `make train-iwave` (`make train`):
// the learned lifting steps and the decoder post-filter. weights/earlier/
// keeps every pair shipped before, one folder per model id (lift.iwl and
// postfilter.iwq), so payloads made with them still decode.
var (
	//go:embed weights/lift.iwl
	shippedLift []byte
	//go:embed weights/postfilter.iwq
	shippedWeights []byte
	//go:embed weights/earlier
	earlierWeights embed.FS
)

var (
	defaultOnce  sync.Once
	defaultCodec *Codec
	defaultErr   error
)

// loadLifted decodes one pair of weights files into a codec.
func loadLifted(lift, filter []byte) (*Codec, error) {
	lf, err := DecodeLift(lift)
	if err != nil {
		return nil, fmt.Errorf("lifting weights: %w", err)
	}
	pf, err := DecodeWeights(filter)
	if err != nil {
		return nil, fmt.Errorf("post-filter weights: %w", err)
	}
	return NewLifted(lf, pf), nil
}

// earlierCodecs loads every pair of weights/earlier, checking that each
// folder is named after the model id its files give.
func earlierCodecs() ([]*Codec, error) {
	dirs, err := earlierWeights.ReadDir("weights/earlier")
	if err != nil {
		return nil, err
	}
	var out []*Codec
	for _, d := range dirs {
		dir := path.Join("weights/earlier", d.Name())
		lift, err := earlierWeights.ReadFile(path.Join(dir, "lift.iwl"))
		if err != nil {
			return nil, err
		}
		filter, err := earlierWeights.ReadFile(path.Join(dir, "postfilter.iwq"))
		if err != nil {
			return nil, err
		}
		c, err := loadLifted(lift, filter)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", dir, err)
		}
		if id := fmt.Sprintf("%02x%02x", c.id[0], c.id[1]); id != d.Name() {
			return nil, fmt.Errorf("%s: files give model id %s", dir, id)
		}
		out = append(out, c)
	}
	return out, nil
}

// DefaultE returns the codec with the shipped learned lifting steps and
// post-filter, which also decodes the payloads of every earlier shipped
// pair, or the error that the embedded weights files produced.
func DefaultE() (*Codec, error) {
	defaultOnce.Do(func() {
		c, err := loadLifted(shippedLift, shippedWeights)
		if err != nil {
			defaultErr = fmt.Errorf("iwave: embedded %w", err)
			return
		}
		earlier, err := earlierCodecs()
		if err != nil {
			defaultErr = fmt.Errorf("iwave: embedded earlier weights: %w", err)
			return
		}
		defaultCodec = c.WithEarlier(earlier...)
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
