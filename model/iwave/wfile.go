package iwave

import (
	"fmt"

	"github.com/medqr/medqr/internal/weightsfile"
)

// Both weights files (the post-filter's and the lifting steps') share one
// container, version 1, written and read by package internal/weightsfile
// (integers little-endian):
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

func prod(d []int) int { return weightsfile.Size(d) }

// weightsFormat is the container of both files: 4-byte version and
// tensor count, 2-byte name lengths, no kind string.
func weightsFormat(magic string, version uint32) weightsfile.Format {
	return weightsfile.Format{Magic: magic, Version: version, VersionBytes: 4, CountBytes: 4, NameBytes: 2, Max: maxWeights}
}

func fileSpecs(specs []tensorSpec) []weightsfile.Spec {
	out := make([]weightsfile.Spec, len(specs))
	for i, s := range specs {
		out[i] = weightsfile.Spec{Name: s.name, Dims: s.dims}
	}
	return out
}

// encodeWeightsFile writes the container; tensors must hold a value slice
// of the right size for every spec.
func encodeWeightsFile(magic string, version uint32, cfg any, specs []tensorSpec, tensors map[string][]float32) ([]byte, error) {
	b, err := weightsFormat(magic, version).Encode("", cfg, fileSpecs(specs), tensors)
	if err != nil {
		return nil, fmt.Errorf("iwave: %w", err)
	}
	return b, nil
}

// decodeWeightsFile checks and parses the container. It decodes the JSON
// config into cfg (unknown fields are errors), validates it, then reads the
// tensors its specs list, in order. kind ("" or "lifting ") prefixes the
// error messages. Every error wraps ErrWeights and names the command that
// regenerates the file.
func decodeWeightsFile(b []byte, magic string, version uint32, kind string, cfg archConfig) (map[string][]float32, error) {
	ts, err := weightsFormat(magic, version).Decode(b, "", cfg, func() []weightsfile.Spec { return fileSpecs(cfg.specs()) })
	if err != nil {
		return nil, weightsErr("iwave %sweights: %v", kind, err)
	}
	return ts, nil
}
