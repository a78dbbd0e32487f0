// Package weightsfile reads and writes the container that medqr's weights
// files share (model's learned codec, model/iwave's post-filter and
// lifting steps, internal/detnn's learned baseline ciphers). All integers
// are little-endian:
//
//	magic    Format.Magic
//	version  Format.VersionBytes bytes (1 or 4)
//	kind     only when Format.Kind: a length byte, then the kind
//	cfgLen   uint32, config: the JSON architecture config of cfgLen bytes
//	count    Format.CountBytes bytes (2 or 4): number of tensors
//	count times: name length (Format.NameBytes bytes, 1 or 2), name,
//	             ndim uint8, ndim x uint32 dims, prod(dims) x float32
//	sha256   32 bytes over everything above
//
// The tensors stand in the order the architecture lists them, so the
// bytes of a file are a function of its config and values. The checksum
// catches damage, not tampering: the weights are public (Kerckhoffs).
// Decode refuses a file that is too large, has another magic or version, a
// wrong checksum, a config with unknown fields or trailing data, a config
// its Validate refuses, tensors other than the architecture's (names,
// shapes, count), non-finite values or trailing bytes; its errors describe
// the problem, and callers wrap them with their own sentinel error and the
// command that regenerates the file.
package weightsfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
)

// Format is one family's magic, version and field widths.
type Format struct {
	Magic        string
	Version      uint32
	VersionBytes int  // 1 or 4
	Kind         bool // a kind string follows the version
	CountBytes   int  // 2 or 4
	NameBytes    int  // 1 or 2
	Max          int  // the largest file Decode reads
}

// Spec names one tensor and its shape.
type Spec struct {
	Name string
	Dims []int
}

// Size is the number of values of a tensor of shape dims.
func Size(dims []int) int {
	p := 1
	for _, v := range dims {
		p *= v
	}
	return p
}

// Config is an architecture config: Decode unmarshals into it, then
// validates it.
type Config interface {
	Validate() error
}

var le = binary.LittleEndian

func appendUint(b []byte, n int, v uint32) []byte {
	switch n {
	case 1:
		return append(b, byte(v))
	case 2:
		return le.AppendUint16(b, uint16(v))
	}
	return le.AppendUint32(b, v)
}

// Encode writes the file of kind ("" when the format has none) with config
// cfg and the tensors specs lists, taken from data by name. A missing
// tensor, a tensor of the wrong size or a non-finite value is an error.
func (f Format) Encode(kind string, cfg any, specs []Spec, data map[string][]float32) ([]byte, error) {
	if f.Kind && (len(kind) == 0 || len(kind) > 255) {
		return nil, fmt.Errorf("kind %q must have 1 to 255 bytes", kind)
	}
	js, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("failed to encode config: %w", err)
	}
	b := []byte(f.Magic)
	b = appendUint(b, f.VersionBytes, f.Version)
	if f.Kind {
		b = append(append(b, byte(len(kind))), kind...)
	}
	b = le.AppendUint32(b, uint32(len(js)))
	b = append(b, js...)
	b = appendUint(b, f.CountBytes, uint32(len(specs)))
	for _, s := range specs {
		t, ok := data[s.Name]
		if !ok || len(t) != Size(s.Dims) {
			return nil, fmt.Errorf("tensor %q has %d values, want %d", s.Name, len(t), Size(s.Dims))
		}
		b = appendUint(b, f.NameBytes, uint32(len(s.Name)))
		b = append(append(b, s.Name...), byte(len(s.Dims)))
		for _, d := range s.Dims {
			b = le.AppendUint32(b, uint32(d))
		}
		for _, v := range t {
			if x := float64(v); math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("tensor %q holds a non-finite value", s.Name)
			}
			b = le.AppendUint32(b, math.Float32bits(v))
		}
	}
	sum := sha256.Sum256(b)
	return append(b, sum[:]...), nil
}

// ErrMagic is wrapped by Decode's error for a file of another kind
// altogether (no magic).
var ErrMagic = errors.New("bad magic")

// Decode checks and parses a file of kind (ignored when the format has
// none): it decodes the JSON config into cfg (unknown fields are errors),
// validates it, then reads the tensors specs() lists, in order. No partial
// result is returned with an error.
func (f Format) Decode(b []byte, kind string, cfg Config, specs func() []Spec) (map[string][]float32, error) {
	if len(b) > f.Max {
		return nil, fmt.Errorf("file of %d bytes exceeds %d", len(b), f.Max)
	}
	if len(b) < len(f.Magic) || string(b[:len(f.Magic)]) != f.Magic {
		return nil, fmt.Errorf("not a weights file of this kind (%w)", ErrMagic)
	}
	if len(b) < len(f.Magic)+f.VersionBytes+4+f.CountBytes+sha256.Size {
		return nil, fmt.Errorf("file of %d bytes is too short", len(b))
	}
	body, sum := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	if s := sha256.Sum256(body); !bytes.Equal(s[:], sum) {
		return nil, errors.New("checksum mismatch (file damaged or truncated)")
	}
	r := reader{b: body[len(f.Magic):]}
	if v := r.uint(f.VersionBytes); v != f.Version {
		return nil, fmt.Errorf("weights format version %d, this build reads version %d", v, f.Version)
	}
	if f.Kind {
		if k := r.take(int(r.uint(1))); r.err == nil && string(k) != kind {
			return nil, fmt.Errorf("weights for %q, want %q", k, kind)
		}
	}
	js := r.take(int(r.uint(4)))
	if r.err != nil {
		return nil, r.err
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(cfg); err != nil {
		return nil, fmt.Errorf("architecture config: %v", err)
	}
	if dec.More() {
		return nil, errors.New("architecture config has trailing data")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("architecture: %v", err)
	}
	want := specs()
	if n := int(r.uint(f.CountBytes)); r.err == nil && n != len(want) {
		return nil, fmt.Errorf("%d tensors, the architecture needs %d", n, len(want))
	}
	out := make(map[string][]float32, len(want))
	for _, s := range want {
		name := r.take(int(r.uint(f.NameBytes)))
		dims := make([]int, r.uint(1))
		for i := range dims {
			dims[i] = int(r.uint(4))
		}
		if r.err != nil {
			return nil, r.err
		}
		if string(name) != s.Name || !slices.Equal(dims, s.Dims) {
			return nil, fmt.Errorf("tensor %q %v does not match the architecture's %q %v", name, dims, s.Name, s.Dims)
		}
		vb := r.take(4 * Size(s.Dims))
		if r.err != nil {
			return nil, r.err
		}
		t := make([]float32, Size(s.Dims))
		for j := range t {
			t[j] = math.Float32frombits(le.Uint32(vb[4*j:]))
			if x := float64(t[j]); math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("tensor %q holds a non-finite value", s.Name)
			}
		}
		out[s.Name] = t
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%d trailing bytes", len(r.b))
	}
	return out, nil
}

// reader takes fields off the front of b; after the first short read err
// is set and every later read returns zero values.
type reader struct {
	b   []byte
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b) {
		r.err = errors.New("truncated file")
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) uint(n int) uint32 {
	v := r.take(n)
	switch {
	case v == nil:
		return 0
	case n == 1:
		return uint32(v[0])
	case n == 2:
		return uint32(le.Uint16(v))
	}
	return le.Uint32(v)
}
