// Package qr turns arbitrary bytes into QR code images and back.
//
// Contract:
//
//   - Encode writes payload as one byte-mode QR symbol (ISO/IEC 18004:2015),
//     version 1 to 40 as needed, at error-correction level L, M, Q or H, with a
//     quiet zone of 4 modules and pxPerModule pixels per module (at least 4).
//     Any payload of 1 to Capacity(level) bytes fits; longer payloads fail with
//     ErrTooLarge, empty ones with ErrEmpty. The symbol is, module for module,
//     the one github.com/skip2/go-qrcode renders (encode.go does the same
//     work several times faster), whose segment optimiser may put digit or
//     upper-case runs in numeric or alphanumeric mode; it never needs more bits
//     than one byte-mode segment, so Capacity holds for every byte pattern.
//   - Decode finds one symbol in an image and returns its bytes exactly. It
//     reads with github.com/makiuchi-d/gozxing, forcing ISO-8859-1 so that
//     every byte maps to one rune and back, and tries several strategies
//     (default, pure barcode, try harder, then pre-filters: median filter,
//     global thresholds, rescaling) before giving up with ErrNotFound. It never
//     returns bytes that failed the symbol's Reed-Solomon check, but it does
//     not authenticate them: integrity is the sealed container's job.
//   - ReadBack reads the PNG file of a symbol rendered as above (Symbol.PNG,
//     EncodeSymbolPNG) and returns its bytes only if every pixel lies on
//     the module grid and the grid is an exact, error-free symbol: the
//     check a writer makes before handing a file out. ReadExact makes the
//     same checks on an image at any module size and level (a reader's
//     fast path for such images), and DecodeBilevelPNG decodes the 1-bit
//     PNGs this package writes faster than image/png, to the same pixels.
//   - DecodeAll finds every symbol in one image (a Sheet, or a photo of
//     several codes) using gozxing's multi-code reader plus a split of the
//     image along blank rows and columns.
//   - Sheet lays several symbols out on one white page that DecodeAll reads.
//
// Decode, DecodeAll and Sheet never panic on any image.
package qr

import (
	"errors"
	"fmt"
	"image"
	"strings"
)

// Level is a QR error-correction level: 'L' (about 7 % of codewords
// recoverable), 'M' (15 %), 'Q' (25 %) or 'H' (30 %).
type Level byte

// The four error-correction levels.
const (
	L Level = 'L'
	M Level = 'M'
	Q Level = 'Q'
	H Level = 'H'
)

// DefaultLevel is the level used when none is chosen.
const DefaultLevel = M

// Levels lists the levels from the most capacity to the most robustness.
var Levels = []Level{L, M, Q, H}

// Rendering limits for Encode.
const (
	// QuietZone is the white border, in modules, around every symbol.
	QuietZone = 4
	// MinPxPerModule is the smallest module size Encode renders.
	MinPxPerModule = 4
	// DefaultPxPerModule is used when Encode is given pxPerModule <= 0.
	DefaultPxPerModule = 4
	// MaxPxPerModule bounds the image size (a version-40 symbol at 32 px per
	// module is 5920 x 5920 pixels).
	MaxPxPerModule = 32
)

// Errors returned by this package; they are wrapped with details, so test
// them with errors.Is.
var (
	// ErrNotFound means no decodable QR symbol was found in the image.
	ErrNotFound = errors.New("qr: no decodable QR code found")
	// ErrTooLarge means the payload exceeds the capacity of the level.
	ErrTooLarge = errors.New("qr: payload too large for one QR code")
	// ErrEmpty means the payload is empty: QR codes carry at least one byte.
	ErrEmpty = errors.New("qr: empty payload")
	// ErrLevel means an unknown error-correction level.
	ErrLevel = errors.New("qr: unknown error-correction level")
)

// capacities are the version-40 byte-mode capacities of ISO/IEC 18004
// Table 7 (data codewords minus the 4-bit mode and 16-bit count headers).
var capacities = map[Level]int{L: 2953, M: 2331, Q: 1663, H: 1273}

// ParseLevel parses "L", "M", "Q" or "H" (any case, surrounding space
// ignored).
func ParseLevel(s string) (Level, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	if len(t) == 1 {
		if l := Level(t[0]); l.Valid() {
			return l, nil
		}
	}
	return 0, fmt.Errorf("%w %q (want L, M, Q or H)", ErrLevel, s)
}

// Valid reports whether l is one of L, M, Q, H.
func (l Level) Valid() bool {
	_, ok := capacities[l]
	return ok
}

// String returns "L", "M", "Q" or "H", or "Level(0xNN)" for an invalid level.
func (l Level) String() string {
	if l.Valid() {
		return string(rune(l))
	}
	return fmt.Sprintf("Level(%#02x)", byte(l))
}

// Capacity returns how many payload bytes one version-40 symbol at level l
// holds in byte mode: 2953 (L), 2331 (M), 1663 (Q) or 1273 (H); 0 for an
// invalid level.
func Capacity(l Level) int { return capacities[l] }

// Symbol is the module grid of one encoded symbol, quiet zone included.
type Symbol struct {
	Version int
	Level   Level
	// Modules[y][x] is true for a dark module; len(Modules) is
	// 17+4*Version+2*QuietZone.
	Modules [][]bool
}

// EncodeSymbol encodes payload at level l into the smallest QR version that
// holds it and returns the module grid.
func EncodeSymbol(payload []byte, l Level) (*Symbol, error) {
	if !l.Valid() {
		return nil, fmt.Errorf("%w %v", ErrLevel, l)
	}
	if len(payload) == 0 {
		return nil, ErrEmpty
	}
	if c := Capacity(l); len(payload) > c {
		return nil, fmt.Errorf("%w: %d bytes exceed the %d bytes of a version-40 symbol at level %v (pick a lower level or split the payload)",
			ErrTooLarge, len(payload), c, l)
	}
	v, modules, err := encodeModules(payload, l)
	if err != nil {
		// Cannot happen for 1..Capacity bytes (see the package doc); kept
		// as an error rather than a panic.
		return nil, fmt.Errorf("qr: failed to encode %d bytes at level %v: %w", len(payload), l, err)
	}
	return &Symbol{Version: v, Level: l, Modules: modules}, nil
}

// Image renders the symbol with px pixels per module: dark modules 0, light
// 255.
func (s *Symbol) Image(px int) *image.Gray {
	n := len(s.Modules)
	img := image.NewGray(image.Rect(0, 0, n*px, n*px))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for my, row := range s.Modules {
		for mx, dark := range row {
			if !dark {
				continue
			}
			for y := my * px; y < (my+1)*px; y++ {
				off := y*img.Stride + mx*px
				clear(img.Pix[off : off+px])
			}
		}
	}
	return img
}

// Encode renders payload as one QR symbol at level l with pxPerModule pixels
// per module (DefaultPxPerModule when <= 0; MinPxPerModule to
// MaxPxPerModule otherwise) and a quiet zone of QuietZone modules. The
// image is (17+4*version+8)*pxPerModule pixels square.
func Encode(payload []byte, l Level, pxPerModule int) (*image.Gray, error) {
	s, px, err := encodeSized(payload, l, pxPerModule)
	if err != nil {
		return nil, err
	}
	return s.Image(px), nil
}

// EncodeSymbolPNG is EncodeSymbol followed by Symbol.PNG at the module
// size Encode would use for pxPerModule (which it returns): the symbol and
// the PNG file EncodePNG writes, without rendering an image.
func EncodeSymbolPNG(payload []byte, l Level, pxPerModule int) (*Symbol, []byte, int, error) {
	s, px, err := encodeSized(payload, l, pxPerModule)
	if err != nil {
		return nil, nil, 0, err
	}
	file, err := s.PNG(px)
	if err != nil {
		return nil, nil, 0, err
	}
	return s, file, px, nil
}

// encodeSized checks the module size as Encode does (<= 0: the default)
// and encodes the symbol.
func encodeSized(payload []byte, l Level, pxPerModule int) (*Symbol, int, error) {
	if pxPerModule <= 0 {
		pxPerModule = DefaultPxPerModule
	}
	if pxPerModule < MinPxPerModule || pxPerModule > MaxPxPerModule {
		return nil, 0, fmt.Errorf("qr: %d pixels per module is outside %d..%d", pxPerModule, MinPxPerModule, MaxPxPerModule)
	}
	s, err := EncodeSymbol(payload, l)
	if err != nil {
		return nil, 0, err
	}
	return s, pxPerModule, nil
}
