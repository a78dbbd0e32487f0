package store

import (
	"cmp"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"math"

	"github.com/medqr/medqr/codec"
	"github.com/medqr/medqr/data"
	"github.com/medqr/medqr/qr"
	"github.com/medqr/medqr/seal"
)

// Lossy multi-code mode (Options.Codes, Options.PSNR) spreads one lossy
// payload over several numbered symbols at a larger working size. It adds
// no format: the payload is sealed by seal.SealMessage into numbered
// containers and written as medqr-ID-NNofMM.png plus a sheet, exactly like
// a lossless set, and Decrypt reads it the same way (separate files in any
// order, the sheet, or a photo).

// DefaultPSNRCodes is the most symbols Options.PSNR tries when Options.Codes
// does not set the limit: 16 level-L codes hold a 1024x1024 image.
const DefaultPSNRCodes = 16

// SizeForCodes is the default working size of a lossy set of n symbols:
// 256 x floor(sqrt(n)), so that each 256x256 tile of the image has about
// one symbol's bytes (the bits per pixel of single-code mode). 1-3 codes
// give 256, 4-8 give 512, 9-15 give 768, 16-24 give 1024, 64 give 2048.
func SizeForCodes(n int) int {
	k := 1
	for (k+1)*(k+1) <= n {
		k++
	}
	return data.DefaultSize * k
}

// MessageBudget is the largest payload that s seals into at most n
// containers of symbolCapacity bytes (0 when none fits): symbol 0 holds
// PayloadBudget bytes, each further symbol its capacity less a header and a
// tag (see seal.SymbolCount).
func MessageBudget(n, symbolCapacity int, s seal.Sealer) int {
	first := seal.PayloadBudget(symbolCapacity, s)
	rest := symbolCapacity - seal.HeaderSize - seal.TagSize
	if n < 1 || first < 1 || rest < 1 {
		return 0
	}
	return first + (n-1)*rest
}

// PSNRError reports that no lossy set of up to Max symbols reaches the PSNR
// asked for (Options.PSNR).
type PSNRError struct {
	Want      float64  // dB asked for
	Best      float64  // the best PSNR any set tried reached
	BestCodes int      // symbols of that set
	BestSize  int      // its working size
	Max       int      // the most symbols tried
	Level     qr.Level // the level of the codes
}

func (e *PSNRError) Error() string {
	return fmt.Sprintf("store: no set of up to %d level-%s QR codes reaches %.1f dB PSNR (the best, %d codes at %dx%d, gives %.2f dB)",
		e.Max, e.Level, e.Want, e.BestCodes, e.BestSize, e.BestSize, e.Best)
}

// multiCoded is a lossy set's image and payload, chosen by codeMulti.
type multiCoded struct {
	img     *image.Gray // the image coded, at the working size
	payload []byte
	rec     image.Image // the payload decoded
	codes   int         // the symbol limit the payload was fitted to
	psnr    float64     // of the decoded payload against img
	notes   []string
}

// codeMulti codes src with c as a lossy set: at Options.Codes symbols, or,
// with Options.PSNR, at the fewest symbols (and the size they imply) whose
// decoded image reaches that PSNR. The working size is Options.Size, or
// SizeForCodes of the symbol count, never more than the shorter side of
// src (an upscaled image would spend bytes on detail that is not there).
func codeMulti(c codec.Codec, src *image.Gray, o Options, level qr.Level, s seal.Sealer, maxSym int) (*multiCoded, error) {
	side := min(src.Rect.Dx(), src.Rect.Dy())
	capacity := qr.Capacity(level)
	want := func(n int) int { // the size asked for, before the cap
		if o.Size > 0 {
			return o.Size
		}
		return SizeForCodes(n)
	}
	sizeFor := func(n int) int { return min(want(n), side) }
	// done adds what the user should know about the set chosen.
	done := func(m *multiCoded, note string) *multiCoded {
		if w := want(m.codes); w > side {
			m.notes = append(m.notes, fmt.Sprintf("the source is %dx%d: coded at %dx%d, not %dx%d (medqr never upscales)",
				src.Rect.Dx(), src.Rect.Dy(), side, side, w, w))
		}
		if note != "" {
			m.notes = append(m.notes, note)
		}
		return m
	}
	imgs := map[int]*image.Gray{}
	try := func(n int) (*multiCoded, error) {
		size := sizeFor(n)
		img, ok := imgs[size]
		if !ok {
			img = data.Preprocess(src, size)
			imgs[size] = img
		}
		p, err := c.Encode(img, MessageBudget(n, capacity, s))
		if err != nil {
			return nil, err
		}
		rec, err := c.Decode(p)
		if err != nil {
			return nil, fmt.Errorf("the %s codec cannot decode its own payload: %w", c.Name(), err)
		}
		return &multiCoded{img: img, payload: p, rec: rec, codes: n, psnr: psnrGray(img, rec)}, nil
	}

	if o.PSNR <= 0 {
		m, err := try(o.Codes)
		if err != nil {
			return nil, fmt.Errorf("failed to fit the image into %d level-%s QR codes: %w", o.Codes, level, err)
		}
		return done(m, ""), nil
	}

	maxN := o.Codes
	if maxN == 0 {
		maxN = DefaultPSNRCodes
	}
	maxN = min(maxN, maxSym)
	best := &PSNRError{Want: o.PSNR, Best: math.Inf(-1), Max: maxN, Level: level}
	tried := 0
	// reach codes n symbols and reports whether the set reaches the
	// target; a codec that cannot fit n symbols at all does not.
	reach := func(n int) (*multiCoded, bool, error) {
		tried++
		m, err := try(n)
		if errors.Is(err, codec.ErrBudget) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		if m.psnr > best.Best {
			best.Best, best.BestCodes, best.BestSize = m.psnr, n, m.img.Rect.Dx()
		}
		return m, m.psnr >= o.PSNR, nil
	}
	// Symbol counts with the same working size form a group, in which
	// PSNR grows with the count: try each group's largest count, and
	// bisect within the first group that reaches the target.
	for lo := 1; lo <= maxN; {
		hi := lo
		for hi < maxN && sizeFor(hi+1) == sizeFor(lo) {
			hi++
		}
		m, ok, err := reach(hi)
		if err != nil {
			return nil, err
		}
		if ok {
			a, b := lo, hi // the smallest reaching count is in [a, b]; b reaches
			for a < b {
				mid := (a + b) / 2
				mm, okm, err := reach(mid)
				if err != nil {
					return nil, err
				}
				if okm {
					b, m = mid, mm
				} else {
					a = mid + 1
				}
			}
			return done(m, fmt.Sprintf("target %g dB PSNR: %d codes at %dx%d give %.2f dB (%d sets tried, up to %d codes)",
				o.PSNR, m.codes, m.img.Rect.Dx(), m.img.Rect.Dy(), m.psnr, tried, maxN)), nil
		}
		lo = hi + 1
	}
	if best.BestCodes == 0 {
		return nil, fmt.Errorf("failed to fit the image into %d level-%s QR codes: %w", maxN, level, codec.ErrBudget)
	}
	return nil, best
}

// psnrGray is codec.PSNRGray of rec against ref for any decoded image
// type (-Inf when the sizes differ). Package eval has the research
// metrics; store cannot import it (eval measures store).
func psnrGray(ref *image.Gray, rec image.Image) float64 {
	g, ok := rec.(*image.Gray)
	if !ok {
		g = image.NewGray(rec.Bounds())
		draw.Draw(g, g.Rect, rec, rec.Bounds().Min, draw.Src)
	}
	if g.Rect.Dx() != ref.Rect.Dx() || g.Rect.Dy() != ref.Rect.Dy() {
		return math.Inf(-1)
	}
	return codec.PSNRGray(ref, g)
}

// checkMultiOptions refuses lossy multi-code options that contradict each
// other or the codec.
func checkMultiOptions(c codec.Codec, o Options) error {
	switch {
	case o.Codes < 0 || o.PSNR < 0 || math.IsNaN(o.PSNR) || math.IsInf(o.PSNR, 0):
		return fmt.Errorf("%w: codes %d, PSNR %g", ErrOptions, o.Codes, o.PSNR)
	case o.Codes == 0 && o.PSNR == 0:
		return nil
	case c.ID() == codec.IDLossless || o.Multi:
		return fmt.Errorf("%w: a set of lossy codes (codes or a PSNR target) with the lossless codec, which takes as many codes as it needs", ErrOptions)
	case o.Codes > cmp.Or(o.MaxSymbols, DefaultMaxSymbols):
		return fmt.Errorf("%w: %d codes, more than the limit of %d", ErrOptions, o.Codes, cmp.Or(o.MaxSymbols, DefaultMaxSymbols))
	}
	return nil
}
