package iwave

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
)

// Both weights files (the post-filter's and the lifting steps') share one
// container, version 1 (integers little-endian):
//
//	magic    8 bytes  per file kind
//	version  uint32   1
//	cfgLen   uint32   length of the JSON architecture config that follows
//	config   cfgLen bytes
//	count    uint32   number of tensors
//	count times: nameLen uint16, name, ndim uint8, ndim x uint32 dims,
//	             prod(dims) x float32
//	sha256   32 bytes over everything above

// archConfig is a weights file's architecture config (decoded into a
// pointer to FilterConfig or LiftConfig): it validates itself and lists the
// tensors it needs.
type archConfig interface {
	Validate() error
	specs() []tensorSpec
}

// tensorSpec names one tensor and its shape.
type tensorSpec struct {
	name string
	dims []int
}

func prod(d []int) int {
	p := 1
	for _, v := range d {
		p *= v
	}
	return p
}

// encodeWeightsFile writes the container; tensors must hold a value slice
// of the right size for every spec.
func encodeWeightsFile(magic string, version uint32, cfg any, specs []tensorSpec, tensors map[string][]float32) ([]byte, error) {
	le := binary.LittleEndian
	var buf bytes.Buffer
	buf.WriteString(magic)
	buf.Write(le.AppendUint32(nil, version))
	js, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("iwave: failed to encode config: %w", err)
	}
	buf.Write(le.AppendUint32(nil, uint32(len(js))))
	buf.Write(js)
	buf.Write(le.AppendUint32(nil, uint32(len(specs))))
	for _, s := range specs {
		t := tensors[s.name]
		if len(t) != prod(s.dims) {
			return nil, fmt.Errorf("iwave: tensor %q has %d values, want %d", s.name, len(t), prod(s.dims))
		}
		buf.Write(le.AppendUint16(nil, uint16(len(s.name))))
		buf.WriteString(s.name)
		buf.WriteByte(byte(len(s.dims)))
		for _, v := range s.dims {
			buf.Write(le.AppendUint32(nil, uint32(v)))
		}
		for _, v := range t {
			buf.Write(le.AppendUint32(nil, math.Float32bits(v)))
		}
	}
	sum := sha256.Sum256(buf.Bytes())
	buf.Write(sum[:])
	return buf.Bytes(), nil
}

// decodeWeightsFile checks and parses the container. It decodes the JSON
// config into cfg (unknown fields are errors), validates it, then reads the
// tensors its specs list, in order. kind
// ("" or "lifting ") prefixes the error messages. Every error wraps
// ErrWeights and names the command that regenerates the file.
func decodeWeightsFile(b []byte, magic string, version uint32, kind string, cfg archConfig) (map[string][]float32, error) {
	if len(b) > maxWeights {
		return nil, weightsErr("%sfile of %d bytes exceeds %d", kind, len(b), maxWeights)
	}
	if len(b) < len(magic)+12+sha256.Size {
		return nil, weightsErr("%sfile of %d bytes is too short", kind, len(b))
	}
	if string(b[:len(magic)]) != magic {
		return nil, weightsErr("not an iwave %sweights file (magic %q)", kind, b[:len(magic)])
	}
	body, sum := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	if s := sha256.Sum256(body); !bytes.Equal(s[:], sum) {
		return nil, weightsErr("%sfile checksum mismatch (file damaged)", kind)
	}
	le := binary.LittleEndian
	if v := le.Uint32(body[len(magic):]); v != version {
		return nil, weightsErr("%sweights format version %d, this build reads version %d", kind, v, version)
	}
	r := body[len(magic)+4:]
	take := func(n int) ([]byte, error) {
		if n < 0 || n > len(r) {
			return nil, weightsErr("truncated %sfile", kind)
		}
		out := r[:n]
		r = r[n:]
		return out, nil
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
		return nil, weightsErr("%sarchitecture config: %v", kind, err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, weightsErr("%sarchitecture: %v", kind, err)
	}
	cb, err := take(4)
	if err != nil {
		return nil, err
	}
	want := cfg.specs()
	if n := int(le.Uint32(cb)); n != len(want) {
		return nil, weightsErr("%d %stensors, architecture needs %d", n, kind, len(want))
	}
	tensors := make(map[string][]float32, len(want))
	for _, s := range want {
		nb, err := take(2)
		if err != nil {
			return nil, err
		}
		name, err := take(int(le.Uint16(nb)))
		if err != nil {
			return nil, err
		}
		if string(name) != s.name {
			return nil, weightsErr("%stensor %q where %q was expected", kind, name, s.name)
		}
		nd, err := take(1)
		if err != nil {
			return nil, err
		}
		if int(nd[0]) != len(s.dims) {
			return nil, weightsErr("%stensor %q has %d dimensions, want %d", kind, s.name, nd[0], len(s.dims))
		}
		for _, v := range s.dims {
			db, err := take(4)
			if err != nil {
				return nil, err
			}
			if int(le.Uint32(db)) != v {
				return nil, weightsErr("%stensor %q has the wrong shape for the architecture", kind, s.name)
			}
		}
		vb, err := take(4 * prod(s.dims))
		if err != nil {
			return nil, err
		}
		t := make([]float32, prod(s.dims))
		for j := range t {
			t[j] = math.Float32frombits(le.Uint32(vb[4*j:]))
			if f := float64(t[j]); math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, weightsErr("%stensor %q holds a non-finite value", kind, s.name)
			}
		}
		tensors[s.name] = t
	}
	if len(r) != 0 {
		return nil, weightsErr("%d trailing bytes in the %sfile", len(r), kind)
	}
	return tensors, nil
}
