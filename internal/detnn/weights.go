package detnn

import (
	"errors"
	"fmt"

	"github.com/medqr/medqr/internal/weightsfile"
)

// A weights file of a learned baseline cipher, written and read by package
// internal/weightsfile (integers little-endian):
//
//	magic    7 bytes  "MQBLWTS"
//	version  1 byte   1
//	kindLen  1 byte, kind (the scheme name, e.g. "lstm")
//	cfgLen   uint32, config: JSON architecture config of cfgLen bytes
//	count    uint16 number of tensors
//	count times: nameLen uint8, name, ndim uint8, ndim x uint32 dims,
//	             prod(dims) x float32
//	sha256   32 bytes over everything above
//
// The checksum catches damage, not tampering: the weights are public
// (Kerckhoffs) and the file is shipped inside the binary.

// Magic and Version identify the container.
const (
	Magic   = "MQBLWTS"
	Version = 1
	// MaxWeights bounds a file before it is parsed.
	MaxWeights = 16 << 20
)

// ErrWeights is wrapped by every error of DecodeWeights.
var ErrWeights = errors.New("invalid learned-cipher weights file")

// Tensor is one named array of weights with its shape.
type Tensor struct {
	Name string
	Dims []int
	Data []float32
}

// Arch is a weights file's architecture config: it validates itself and
// lists the tensors (names and shapes, in file order) it needs.
type Arch interface {
	Validate() error
	Specs() []Tensor // Data nil
}

// format is the container, written and read by package
// internal/weightsfile: 1-byte version, a kind string, 2-byte tensor count,
// 1-byte name lengths.
var format = weightsfile.Format{Magic: Magic, Version: Version, VersionBytes: 1, Kind: true, CountBytes: 2, NameBytes: 1, Max: MaxWeights}

func fileSpecs(a Arch) []weightsfile.Spec {
	var out []weightsfile.Spec
	for _, t := range a.Specs() {
		out = append(out, weightsfile.Spec{Name: t.Name, Dims: t.Dims})
	}
	return out
}

// EncodeWeights writes the container for kind with the config cfg and the
// tensors cfg.Specs() lists, taken from ts by name.
func EncodeWeights(kind string, cfg Arch, ts map[string][]float32) ([]byte, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("detnn: %w", err)
	}
	b, err := format.Encode(kind, cfg, fileSpecs(cfg), ts)
	if err != nil {
		return nil, fmt.Errorf("detnn: %w", err)
	}
	return b, nil
}

// DecodeWeights checks and parses a container of the given kind: it decodes
// the JSON config into cfg (unknown fields are errors), validates it, then
// reads the tensors cfg.Specs() lists, in order, widened to float64. Every
// error wraps ErrWeights and ends with hint, the command that regenerates
// the file. No partial result is returned with an error.
func DecodeWeights(b []byte, kind, hint string, cfg Arch) (map[string][]float64, error) {
	ts, err := format.Decode(b, kind, cfg, func() []weightsfile.Spec { return fileSpecs(cfg) })
	if err != nil {
		return nil, fmt.Errorf("%w: %s weights: %v (%s)", ErrWeights, kind, err, hint)
	}
	out := make(map[string][]float64, len(ts))
	for name, t := range ts {
		w := make([]float64, len(t))
		for i, v := range t {
			w[i] = float64(v)
		}
		out[name] = w
	}
	return out, nil
}
