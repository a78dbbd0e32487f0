package codec

import (
	"errors"
	"fmt"
	"image"

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
// decoder. The payload layout is documented in package model/iwave (9-byte
// header: version, width, height, step index, model id).
type IWave struct{ c *iwave.Codec }

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
	p, err := w.c.Encode(g, budget)
	if errors.Is(err, iwave.ErrBudget) {
		return nil, fmt.Errorf("%w: %v", ErrBudget, err)
	}
	return p, err
}

// Decode reconstructs the image; any payload it cannot parse yields a
// *FormatError.
func (w *IWave) Decode(payload []byte) (image.Image, error) {
	g, err := w.c.Decode(payload)
	if err != nil {
		return nil, formatErr(iwaveName, "%v", err)
	}
	return g, nil
}

func init() { Register(NewIWave(iwave.Default())) }
