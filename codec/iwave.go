package codec

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"sync"

	"github.com/medqr/medqr/model/iwave"
)

// IDIWave is the container id of the iwave codec (part of the file format).
const IDIWave uint8 = 4

const iwaveName = "iwave"

// IWave is the wavelet-like learned codec of package model/iwave, medqr's
// default: a CDF 9/7 lifting transform with trained predict steps (a
// reversible additive-coupling stack), one global deadzone quantiser step
// found by bisection to fit the budget, context-adaptive binary range
// coding of the coefficients, and a trained residual CNN post-filter in the
// decoder, whose gain the encoder chooses per image. The payload layout is
// documented in package model/iwave (9-byte header: version, width,
// height, step index and filter gain, model id).
//
// Encode already decodes its payload (choosing the filter gain needs the
// decoded pixels), so it keeps the image for the next Decode of those
// exact bytes: encrypt's fidelity report, rate-distortion runs and
// multi-code searches decode what they just encoded, and get the same
// pixels without a second inverse transform and post-filter pass. The
// kept images are the last few encodes', each handed out once; an image
// no Decode takes stays in memory until later encodes push it out (at most
// recentEncodes of them: store's encrypt, and so medqr serve, takes its
// own at once).
type IWave struct {
	c *iwave.Codec

	mu     sync.Mutex
	recent [recentEncodes]encoded // ring, next overwritten at next
	next   int
}

// recentEncodes bounds the decoded images an IWave keeps: enough for the
// concurrent encodes of a worker pool's encode-then-decode steps.
const recentEncodes = 4

// encoded is one payload Encode returned and the image it decodes to.
type encoded struct {
	payload []byte
	img     *image.Gray
}

// NewIWave wraps an iwave codec.
func NewIWave(c *iwave.Codec) *IWave { return &IWave{c: c} }

func (*IWave) ID() uint8    { return IDIWave }
func (*IWave) Name() string { return iwaveName }

// Encode codes img (converted to 8-bit gray) at the finest quantiser step
// whose payload fits budget bytes (budget <= 0: the finest step).
func (w *IWave) Encode(img image.Image, budget int) ([]byte, error) {
	g := toGray(img)
	if err := checkDims(iwaveName, g.Rect.Dx(), g.Rect.Dy()); err != nil {
		return nil, err
	}
	if g.Rect.Dx() > iwave.MaxSide || g.Rect.Dy() > iwave.MaxSide {
		return nil, formatErr(iwaveName, "image %dx%d exceeds the %d-pixel side limit", g.Rect.Dx(), g.Rect.Dy(), iwave.MaxSide)
	}
	p, dec, err := w.c.EncodeDecoded(g, budget)
	if errors.Is(err, iwave.ErrBudget) {
		return nil, fmt.Errorf("%w: %v", ErrBudget, err)
	}
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	w.recent[w.next] = encoded{payload: bytes.Clone(p), img: dec}
	w.next = (w.next + 1) % recentEncodes
	w.mu.Unlock()
	return p, nil
}

// takeDecoded returns and forgets the image of a payload Encode returned,
// or nil.
func (w *IWave) takeDecoded(payload []byte) *image.Gray {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, e := range w.recent {
		if e.img != nil && bytes.Equal(e.payload, payload) {
			w.recent[i] = encoded{}
			return e.img
		}
	}
	return nil
}

// Decode reconstructs the image; any payload it cannot parse yields a
// *FormatError.
func (w *IWave) Decode(payload []byte) (image.Image, error) {
	if g := w.takeDecoded(payload); g != nil {
		return g, nil
	}
	g, err := w.c.Decode(payload)
	if err != nil {
		return nil, formatErr(iwaveName, "%v", err)
	}
	return g, nil
}

func init() { Register(NewIWave(iwave.Default())) }
