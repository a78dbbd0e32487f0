package model

import (
	"crypto/sha256"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/medqr/medqr/internal/weightsfile"
)

// Weights file format, version 1, written and read by package
// internal/weightsfile (all integers little-endian):
//
//	magic    8 bytes  "MEDQRNN\x00"
//	version  uint32   1
//	cfgLen   uint32   length of the JSON-encoded Config that follows
//	config   cfgLen bytes
//	count    uint32   number of tensors
//	count times:
//	  nameLen uint16, name bytes, ndim uint8, ndim x uint32 dims,
//	  prod(dims) x float32 values
//	sha256   32 bytes over everything above
//
// Any mismatch (magic, version, checksum, architecture) is an error that
// wraps ErrWeights and names the command that regenerates the file.
const (
	weightsMagic   = "MEDQRNN\x00"
	WeightsVersion = 1
	// RegenerateHint is the command that rebuilds the shipped weights.
	RegenerateHint = "run `make train-learned` to regenerate model/weights/default.mqw"
)

// ErrWeights is wrapped by every weights-file error.
var ErrWeights = errors.New("model: bad weights file")

// maxWeightsBytes bounds what Decode will read, so a hostile file cannot
// make it allocate without limit.
const maxWeightsBytes = 256 << 20

//go:embed weights/default.mqw
var defaultWeights []byte

func weightsErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s (%s)", ErrWeights, fmt.Sprintf(format, args...), RegenerateHint)
}

// weightsFormat is the container, written and read by package
// internal/weightsfile: 4-byte version and tensor count, 2-byte name
// lengths, no kind string.
var weightsFormat = weightsfile.Format{Magic: weightsMagic, Version: WeightsVersion, VersionBytes: 4, CountBytes: 4, NameBytes: 2, Max: maxWeightsBytes}

func fileSpecs(cfg Config) []weightsfile.Spec {
	var out []weightsfile.Spec
	for _, p := range cfg.Params() {
		out = append(out, weightsfile.Spec{Name: p.Name, Dims: p.Shape})
	}
	return out
}

// EncodeWeights serialises cfg and tensors into the weights format.
// Tensors are written in the order of cfg.Params().
func EncodeWeights(cfg Config, tensors map[string][]float32) ([]byte, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	b, err := weightsFormat.Encode("", cfg, fileSpecs(cfg), tensors)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	return b, nil
}

// DecodeWeights parses a weights file and checks it against its own
// architecture config.
func DecodeWeights(b []byte) (Config, map[string][]float32, error) {
	var cfg Config
	ts, err := weightsFormat.Decode(b, "", &cfg, func() []weightsfile.Spec { return fileSpecs(cfg) })
	if err != nil {
		return cfg, nil, weightsErr("%v", err)
	}
	return cfg, ts, nil
}

// FromBytes parses a weights file held in memory and builds the model.
func FromBytes(b []byte) (*Model, error) {
	cfg, t, err := DecodeWeights(b)
	if err != nil {
		return nil, err
	}
	return New(cfg, t)
}

// Default returns the model built from the weights embedded in the binary
// (model/weights/default.mqw).
func Default() (*Model, error) {
	m, err := FromBytes(defaultWeights)
	if err != nil {
		return nil, fmt.Errorf("embedded weights: %w", err)
	}
	return m, nil
}

// DefaultWeightsSHA256 identifies the embedded weights file.
func DefaultWeightsSHA256() [32]byte { return sha256.Sum256(defaultWeights) }

// Save writes the model's weights file.
func (m *Model) Save(w io.Writer) error {
	b, err := EncodeWeights(m.Config, m.params)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// TensorNames lists the model's tensors in sorted order.
func (m *Model) TensorNames() []string {
	n := make([]string, 0, len(m.params))
	for k := range m.params {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

func sha256Of(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}
