package detnn

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// A weights file of a learned baseline cipher (integers little-endian):
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

func prod(d []int) int {
	p := 1
	for _, v := range d {
		p *= v
	}
	return p
}

// EncodeWeights writes the container for kind with the config cfg and the
// tensors cfg.Specs() lists, taken from ts by name.
func EncodeWeights(kind string, cfg Arch, ts map[string][]float32) ([]byte, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("detnn: %w", err)
	}
	if len(kind) == 0 || len(kind) > 255 {
		return nil, fmt.Errorf("detnn: kind %q must have 1 to 255 bytes", kind)
	}
	le := binary.LittleEndian
	var b bytes.Buffer
	b.WriteString(Magic)
	b.WriteByte(Version)
	b.WriteByte(byte(len(kind)))
	b.WriteString(kind)
	js, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("detnn: failed to encode config: %w", err)
	}
	b.Write(le.AppendUint32(nil, uint32(len(js))))
	b.Write(js)
	specs := cfg.Specs()
	b.Write(le.AppendUint16(nil, uint16(len(specs))))
	for _, s := range specs {
		t := ts[s.Name]
		if len(t) != prod(s.Dims) {
			return nil, fmt.Errorf("detnn: tensor %q has %d values, want %d", s.Name, len(t), prod(s.Dims))
		}
		b.WriteByte(byte(len(s.Name)))
		b.WriteString(s.Name)
		b.WriteByte(byte(len(s.Dims)))
		for _, d := range s.Dims {
			b.Write(le.AppendUint32(nil, uint32(d)))
		}
		for _, v := range t {
			if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, fmt.Errorf("detnn: tensor %q holds a non-finite value", s.Name)
			}
			b.Write(le.AppendUint32(nil, math.Float32bits(v)))
		}
	}
	sum := sha256.Sum256(b.Bytes())
	b.Write(sum[:])
	return b.Bytes(), nil
}

func weightsErr(hint, format string, a ...any) error {
	return fmt.Errorf("%w: %s (%s)", ErrWeights, fmt.Sprintf(format, a...), hint)
}

// DecodeWeights checks and parses a container of the given kind: it decodes
// the JSON config into cfg (unknown fields are errors), validates it, then
// reads the tensors cfg.Specs() lists, in order, widened to float64. Every
// error wraps ErrWeights and ends with hint, the command that regenerates
// the file. No partial result is returned with an error.
func DecodeWeights(b []byte, kind, hint string, cfg Arch) (map[string][]float64, error) {
	if len(b) > MaxWeights {
		return nil, weightsErr(hint, "%s file of %d bytes exceeds %d", kind, len(b), MaxWeights)
	}
	if len(b) < len(Magic)+2+4+2+sha256.Size {
		return nil, weightsErr(hint, "%s file of %d bytes is too short", kind, len(b))
	}
	if string(b[:len(Magic)]) != Magic {
		return nil, weightsErr(hint, "not a learned-cipher weights file (magic %q)", b[:len(Magic)])
	}
	body, sum := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	if s := sha256.Sum256(body); !bytes.Equal(s[:], sum) {
		return nil, weightsErr(hint, "%s file checksum mismatch (file damaged)", kind)
	}
	if v := body[len(Magic)]; v != Version {
		return nil, weightsErr(hint, "weights format version %d, this build reads version %d", v, Version)
	}
	r := body[len(Magic)+1:]
	take := func(n int) ([]byte, error) {
		if n < 0 || n > len(r) {
			return nil, weightsErr(hint, "truncated %s file", kind)
		}
		out := r[:n]
		r = r[n:]
		return out, nil
	}
	le := binary.LittleEndian
	kl, err := take(1)
	if err != nil {
		return nil, err
	}
	k, err := take(int(kl[0]))
	if err != nil {
		return nil, err
	}
	if string(k) != kind {
		return nil, weightsErr(hint, "weights for %q, want %q", k, kind)
	}
	lb, err := take(4)
	if err != nil {
		return nil, err
	}
	js, err := take(int(le.Uint32(lb)))
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(cfg); err != nil {
		return nil, weightsErr(hint, "%s architecture config: %v", kind, err)
	}
	if dec.More() {
		return nil, weightsErr(hint, "%s architecture config has trailing data", kind)
	}
	if err := cfg.Validate(); err != nil {
		return nil, weightsErr(hint, "%s architecture: %v", kind, err)
	}
	cb, err := take(2)
	if err != nil {
		return nil, err
	}
	want := cfg.Specs()
	if n := int(le.Uint16(cb)); n != len(want) {
		return nil, weightsErr(hint, "%d tensors, the %s architecture needs %d", n, kind, len(want))
	}
	out := make(map[string][]float64, len(want))
	for _, s := range want {
		nb, err := take(1)
		if err != nil {
			return nil, err
		}
		name, err := take(int(nb[0]))
		if err != nil {
			return nil, err
		}
		if string(name) != s.Name {
			return nil, weightsErr(hint, "tensor %q where %q was expected", name, s.Name)
		}
		nd, err := take(1)
		if err != nil {
			return nil, err
		}
		if int(nd[0]) != len(s.Dims) {
			return nil, weightsErr(hint, "tensor %q has %d dimensions, want %d", s.Name, nd[0], len(s.Dims))
		}
		for _, d := range s.Dims {
			db, err := take(4)
			if err != nil {
				return nil, err
			}
			if int(le.Uint32(db)) != d {
				return nil, weightsErr(hint, "tensor %q has the wrong shape for the architecture", s.Name)
			}
		}
		vb, err := take(4 * prod(s.Dims))
		if err != nil {
			return nil, err
		}
		t := make([]float64, prod(s.Dims))
		for j := range t {
			f := float64(math.Float32frombits(le.Uint32(vb[4*j:])))
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, weightsErr(hint, "tensor %q holds a non-finite value", s.Name)
			}
			t[j] = f
		}
		out[s.Name] = t
	}
	if len(r) != 0 {
		return nil, weightsErr(hint, "%d trailing bytes in the %s file", len(r), kind)
	}
	return out, nil
}
