package model

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
)

// Weights file format, version 1 (all integers little-endian):
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

// Encode serialises cfg and tensors into the weights format. Tensors are
// written in the order of cfg.Params().
func EncodeWeights(cfg Config, tensors map[string][]float32) ([]byte, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.WriteString(weightsMagic)
	le := binary.LittleEndian
	buf.Write(le.AppendUint32(nil, WeightsVersion))
	js, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("model: failed to encode config: %w", err)
	}
	buf.Write(le.AppendUint32(nil, uint32(len(js))))
	buf.Write(js)
	params := cfg.Params()
	buf.Write(le.AppendUint32(nil, uint32(len(params))))
	for _, p := range params {
		t, ok := tensors[p.Name]
		if !ok || len(t) != size(p.Shape) {
			return nil, fmt.Errorf("model: tensor %q missing or of wrong size", p.Name)
		}
		buf.Write(le.AppendUint16(nil, uint16(len(p.Name))))
		buf.WriteString(p.Name)
		buf.WriteByte(byte(len(p.Shape)))
		for _, d := range p.Shape {
			buf.Write(le.AppendUint32(nil, uint32(d)))
		}
		for _, v := range t {
			buf.Write(le.AppendUint32(nil, math.Float32bits(v)))
		}
	}
	sum := sha256.Sum256(buf.Bytes())
	buf.Write(sum[:])
	return buf.Bytes(), nil
}

// DecodeWeights parses a weights file and checks it against its own
// architecture config.
func DecodeWeights(b []byte) (Config, map[string][]float32, error) {
	var cfg Config
	if len(b) > maxWeightsBytes {
		return cfg, nil, weightsErr("file of %d bytes exceeds the %d-byte limit", len(b), maxWeightsBytes)
	}
	if len(b) < len(weightsMagic)+4+32 || string(b[:len(weightsMagic)]) != weightsMagic {
		return cfg, nil, weightsErr("not a medqr weights file (bad magic)")
	}
	le := binary.LittleEndian
	if v := le.Uint32(b[8:]); v != WeightsVersion {
		return cfg, nil, weightsErr("weights format version %d, this build reads version %d", v, WeightsVersion)
	}
	body, sum := b[:len(b)-32], b[len(b)-32:]
	if want := sha256.Sum256(body); !bytes.Equal(want[:], sum) {
		return cfg, nil, weightsErr("checksum mismatch (file truncated or corrupted)")
	}
	r := &reader{b: body[12:]}
	n := int(r.u32())
	js := r.bytes(n)
	if r.err != nil {
		return cfg, nil, weightsErr("truncated config")
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return cfg, nil, weightsErr("bad architecture config: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, nil, weightsErr("%v", err)
	}
	want := cfg.Params()
	count := int(r.u32())
	if r.err != nil || count != len(want) {
		return cfg, nil, weightsErr("%d tensors, architecture needs %d", count, len(want))
	}
	tensors := make(map[string][]float32, count)
	for _, p := range want {
		name := string(r.bytes(int(r.u16())))
		nd := int(r.u8())
		dims := make([]int, 0, nd)
		for i := 0; i < nd && r.err == nil; i++ {
			dims = append(dims, int(r.u32()))
		}
		if r.err != nil {
			return cfg, nil, weightsErr("truncated tensor header")
		}
		if name != p.Name || !equalInts(dims, p.Shape) {
			return cfg, nil, weightsErr("tensor %q %v does not match architecture tensor %q %v", name, dims, p.Name, p.Shape)
		}
		raw := r.bytes(4 * size(dims))
		if r.err != nil {
			return cfg, nil, weightsErr("truncated tensor %q", name)
		}
		t := make([]float32, size(dims))
		for i := range t {
			t[i] = math.Float32frombits(le.Uint32(raw[4*i:]))
		}
		tensors[name] = t
	}
	if len(r.b) != 0 {
		return cfg, nil, weightsErr("%d trailing bytes", len(r.b))
	}
	return cfg, tensors, nil
}

// Load reads a weights file from disk and builds the model.
func Load(path string) (*Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("model: failed to read weights: %w", err)
	}
	m, err := FromBytes(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
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

type reader struct {
	b   []byte
	err error
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b) {
		r.err = io.ErrUnexpectedEOF
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) u8() uint8 {
	v := r.bytes(1)
	if v == nil {
		return 0
	}
	return v[0]
}

func (r *reader) u16() uint16 {
	v := r.bytes(2)
	if v == nil {
		return 0
	}
	return binary.LittleEndian.Uint16(v)
}

func (r *reader) u32() uint32 {
	v := r.bytes(4)
	if v == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(v)
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func sha256Of(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}
