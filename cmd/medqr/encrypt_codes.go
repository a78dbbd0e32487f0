package main

import (
	"errors"
	"fmt"
	"math"

	"github.com/medqr/medqr/codec"
	"github.com/medqr/medqr/qr"
	"github.com/medqr/medqr/store"
)

// The flags of lossy multi-code mode (encrypt --codes N, --psnr P): their
// checks and the hints of their errors.

// maxPSNRFlag bounds --psnr: no lossy codec gets near it, and the PSNR of
// an exact copy is infinite.
const maxPSNRFlag = 99

// checkCodesFlags refuses --codes and --psnr values and combinations that
// cannot work, before any input is read.
func checkCodesFlags(o encryptOptions, codecName string) error {
	switch {
	case o.codes < 0 || o.codes > store.DefaultMaxSymbols:
		return usageError{fmt.Sprintf("--codes %d outside 1..%d", o.codes, store.DefaultMaxSymbols)}
	case math.IsNaN(o.psnr) || o.psnr < 0 || o.psnr > maxPSNRFlag:
		return usageError{fmt.Sprintf("--psnr %g outside 1..%d dB", o.psnr, maxPSNRFlag)}
	case (o.codes > 0 || o.psnr > 0) && codecName == "lossless":
		return usageError{"--codes and --psnr spread a lossy image over several codes; --lossless already takes as many codes as it needs"}
	}
	return nil
}

// codesError adds the next step to a failure of lossy multi-code mode
// (nil for other errors), naming the input once.
func codesError(err error, in string, o encryptOptions, level qr.Level) error {
	var pe *store.PSNRError
	switch {
	case errors.As(err, &pe) && pe.Max < store.DefaultMaxSymbols:
		more := fmt.Sprintf("allow more codes with --codes %d (at most %d)", min(4*pe.Max, store.DefaultMaxSymbols), store.DefaultMaxSymbols)
		if level != qr.L {
			return withHint(fmt.Errorf("%s: %w", in, err), "%s, pass --level L (it holds the most), or lower --psnr", more)
		}
		return withHint(fmt.Errorf("%s: %w", in, err), "%s, or lower --psnr", more)
	case errors.As(err, &pe):
		return withHint(fmt.Errorf("%s: %w", in, err), "lower --psnr, or pass --lossless for the exact pixels")
	case (o.codes > 0 || o.psnr > 0) && errors.Is(err, codec.ErrBudget):
		if level != qr.L {
			return withHint(fmt.Errorf("%s: %w", in, err), "pass more --codes, a smaller --size, or --level L, which holds the most")
		}
		return withHint(fmt.Errorf("%s: %w", in, err), "pass more --codes or a smaller --size")
	}
	return nil
}
