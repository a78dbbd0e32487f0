// Package codec defines the pluggable image codecs that turn an image into
// the payload sealed inside medqr's container, and back.
//
// A Codec is identified on the wire by a one-byte id carried in the sealed
// container's header (bound as associated data), so a payload is always
// decoded by the codec that produced it:
//
//	id 1  lossless  exact pixels, 8- and 16-bit gray (MED prediction + adaptive binary range coding)
//	id 2  jpeg      Go's image/jpeg, gray, largest quality that fits the budget, headers implied
//	id 3  learned   the trained encoder/decoder of package model (registered by learned.go)
//	id 4  iwave     learned lifting wavelet + context coding + trained decoder post-filter (model/iwave; iwave.go)
//
// Contract: Encode returns at most budget bytes (budget <= 0 means no limit)
// holding the best quality the codec can fit, or an error wrapping ErrBudget
// when nothing fits. Decode never panics on any input: a payload the codec
// cannot parse yields a *FormatError and no image. Every payload starts with a
// small self-describing header (format version, dimensions) documented on each
// codec, so Decode needs nothing but the payload bytes.
package codec

import (
	"errors"
	"fmt"
	"image"
	"sort"
	"strings"
	"sync"
)

// Codec ids as written in the container header. They are part of the file
// format: never renumber them.
const (
	IDLossless uint8 = 1
	IDJPEG     uint8 = 2
	IDLearned  uint8 = 3
)

// Codec turns an image into a payload of at most budget bytes and back.
type Codec interface {
	// ID is the codec's id in the container header.
	ID() uint8
	// Name is the codec's name on the command line ("jpeg", "lossless", ...).
	Name() string
	// Encode returns the best-quality payload of at most budget bytes
	// (budget <= 0: no limit), or an error wrapping ErrBudget.
	Encode(img image.Image, budget int) ([]byte, error)
	// Decode reconstructs the image from a payload made by Encode.
	Decode(payload []byte) (image.Image, error)
}

// ErrBudget reports that the image cannot be coded within the byte budget.
var ErrBudget = errors.New("codec: image does not fit the byte budget")

// ErrUnknown reports a codec id or name that is not registered.
var ErrUnknown = errors.New("codec: unknown codec")

// FormatError reports a payload that the codec named by Codec cannot parse.
type FormatError struct {
	Codec  string
	Reason string
}

func (e *FormatError) Error() string {
	return "codec: invalid " + e.Codec + " payload: " + e.Reason
}

func formatErr(codec, format string, args ...any) error {
	return &FormatError{Codec: codec, Reason: fmt.Sprintf(format, args...)}
}

// MaxPixels bounds the images codecs accept and the dimensions a payload may
// declare, so a hostile header cannot make Decode allocate without limit.
// 8192x8192 pixels (128 MiB at 16 bits) covers any chest radiograph.
const MaxPixels = 8192 * 8192

// checkDims validates dimensions read from a payload header or an image.
func checkDims(codec string, w, h int) error {
	if w <= 0 || h <= 0 {
		return formatErr(codec, "empty image %dx%d", w, h)
	}
	if w > MaxPixels/h {
		return formatErr(codec, "image %dx%d exceeds the %d-pixel limit", w, h, MaxPixels)
	}
	return nil
}

var (
	mu     sync.RWMutex
	byID   = map[uint8]Codec{}
	byName = map[string]Codec{}
)

// Register makes c available to Lookup and ByName. It panics when the id or
// name is already taken: that is a programming error, found at start-up.
func Register(c Codec) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := byID[c.ID()]; dup {
		panic(fmt.Sprintf("codec: duplicate id %d (%s)", c.ID(), c.Name()))
	}
	if _, dup := byName[c.Name()]; dup {
		panic("codec: duplicate name " + c.Name())
	}
	byID[c.ID()] = c
	byName[c.Name()] = c
}

// Lookup returns the codec with the given container id.
func Lookup(id uint8) (Codec, error) {
	mu.RLock()
	defer mu.RUnlock()
	if c, ok := byID[id]; ok {
		return c, nil
	}
	return nil, fmt.Errorf("%w: id %d (registered: %s)", ErrUnknown, id, namesLocked())
}

// ByName returns the codec with the given command-line name.
func ByName(name string) (Codec, error) {
	mu.RLock()
	defer mu.RUnlock()
	if c, ok := byName[name]; ok {
		return c, nil
	}
	return nil, fmt.Errorf("%w %q (registered: %s)", ErrUnknown, name, namesLocked())
}

// Names lists the registered codec names in sorted order.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	return strings.Split(namesLocked(), ", ")
}

func namesLocked() string {
	n := make([]string, 0, len(byName))
	for k := range byName {
		n = append(n, k)
	}
	sort.Strings(n)
	return strings.Join(n, ", ")
}

func init() {
	Register(JPEG{})
	Register(Lossless{})
}
