// Package shard splits a research run (eval, attacks, rd, the dataset cache)
// over N workers that never talk to each other, and checks that a set of
// partial results can be merged into exactly what one unsharded run writes.
//
// A shard is written "I/N" (0 <= I < N). A work unit belongs to shard
// I when SHA-256("medqr-shard/v1\x00" + key) read as a big-endian integer
// of its first 8 bytes is I modulo N, where key is the unit's content hash
// (a dataset sample's SHA-256 from its manifest) or, for units that are not
// images, a fixed name such as "attacks/tamper". The assignment depends only
// on the unit, so every shard agrees on the split without coordination, and
// an image keeps its shard when others are added or renamed. The labelled
// re-hash keeps shard and dataset split (package data uses the same content
// hash modulo 100) independent.
//
// Every shard writes its output folder with a Meta file (FileMeta, JSON,
// with a format version) naming the kind of run, the shard, a hash of the
// effective config, the code version and the executable's hash. Check accepts a set of Metas only
// when they agree on all of these and cover 0..N-1 exactly once; the run
// packages (eval, attacks) then recombine their statistics from the
// per-unit rows, never from per-shard averages.
//
// WriteFileAtomic and WriteFiles write the output folders of those run
// packages, sharded or not: each file through a temporary name and a
// rename, so a failed run leaves no half-written file.
package shard

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Spec is one shard of a run: Index of Count. The zero Spec means "not
// sharded" (Enabled is false).
type Spec struct {
	Index int
	Count int
}

// MaxCount bounds N: far beyond any cluster, small enough that a typo such
// as "0/40000000" is caught.
const MaxCount = 100000

// Parse reads "I/N" with 0 <= I < N <= MaxCount.
func Parse(s string) (Spec, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Spec{}, fmt.Errorf("shard %q: want I/N, e.g. 0/4", s)
	}
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	switch {
	case err1 != nil || err2 != nil:
		return Spec{}, fmt.Errorf("shard %q: I and N must be integers", s)
	case n < 1 || n > MaxCount:
		return Spec{}, fmt.Errorf("shard %q: N must be between 1 and %d", s, MaxCount)
	case i < 0 || i >= n:
		return Spec{}, fmt.Errorf("shard %q: I must be between 0 and N-1 = %d", s, n-1)
	}
	return Spec{Index: i, Count: n}, nil
}

// String is the "I/N" form ("" for the zero Spec).
func (s Spec) String() string {
	if !s.Enabled() {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// Set implements flag.Value.
func (s *Spec) Set(v string) error {
	p, err := Parse(v)
	if err != nil {
		return err
	}
	*s = p
	return nil
}

// Enabled reports whether s selects a shard.
func (s Spec) Enabled() bool { return s.Count > 0 }

// Of returns the shard that the unit with key belongs to among n shards.
func Of(key string, n int) int {
	if n <= 1 {
		return 0
	}
	h := sha256.Sum256([]byte("medqr-shard/v1\x00" + key))
	return int(binary.BigEndian.Uint64(h[:8]) % uint64(n))
}

// Owns reports whether the unit with key belongs to s. Every unit belongs
// to the zero Spec (an unsharded run).
func (s Spec) Owns(key string) bool {
	if !s.Enabled() {
		return true
	}
	return Of(key, s.Count) == s.Index
}

// FileMeta is the name of the Meta file in a shard's output folder.
const FileMeta = "shard.json"

// MetaFormat and MetaVersion identify the layout of FileMeta.
const (
	MetaFormat  = "medqr-shard"
	MetaVersion = 1
)

// Meta describes one shard's output folder.
type Meta struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	// Kind is the run that wrote the folder: "eval", "attacks", ...
	Kind   string `json:"kind"`
	Shard  int    `json:"shard"`
	Shards int    `json:"shards"`
	// Config is the hex SHA-256 of the effective config (ConfigHash).
	Config string `json:"config_sha256"`
	// Code is the code version of the binary that ran the shard, and
	// Binary the SHA-256 of its executable: shards merge only when their
	// binaries are the same file (a code version read from git at run time
	// can change between shards while the binary does not).
	Code   string `json:"code_version"`
	Binary string `json:"binary_sha256,omitempty"`
	// Units is the number of work units this shard ran, and Total the
	// number of units of the whole run.
	Units int `json:"units"`
	Total int `json:"total_units"`
	// Seconds is the shard's wall time (a measurement, not compared).
	Seconds float64 `json:"seconds"`
}

// NewMeta returns the Meta of shard s of a run of kind.
func NewMeta(kind string, s Spec, configHash, code string) Meta {
	return Meta{Format: MetaFormat, Version: MetaVersion, Kind: kind, Shard: s.Index, Shards: s.Count, Config: configHash, Code: code, Binary: executableHash()}
}

var exeHash = sync.OnceValue(func() string {
	p, err := os.Executable()
	if err != nil {
		return ""
	}
	f, err := os.Open(p)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return fmt.Sprintf("%x", h.Sum(nil))
})

// executableHash is the hex SHA-256 of the running executable ("" when it
// cannot be read).
func executableHash() string { return exeHash() }

// ConfigHash is the hex SHA-256 of cfg's JSON encoding: equal configs give
// equal hashes (encoding/json writes struct fields in a fixed order).
func ConfigHash(cfg any) (string, error) {
	b, err := json.Marshal(cfg)
	if err != nil {
		return "", fmt.Errorf("failed to encode config: %w", err)
	}
	h := sha256.Sum256(b)
	return fmt.Sprintf("%x", h), nil
}

// WriteMeta writes dir/FileMeta (through a temporary file and a rename).
func WriteMeta(dir string, m Meta) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("failed to encode shard meta: %w", err)
	}
	return WriteFileAtomic(filepath.Join(dir, FileMeta), append(b, '\n'))
}

// ReadMeta reads dir/FileMeta and checks its format and version.
func ReadMeta(dir string) (Meta, error) {
	p := filepath.Join(dir, FileMeta)
	b, err := os.ReadFile(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return Meta{}, fmt.Errorf("%s is not a shard folder: no %s (run with --shard I/N)", dir, FileMeta)
		}
		return Meta{}, fmt.Errorf("failed to read shard meta: %w", err)
	}
	m, err := ParseMeta(b)
	if err != nil {
		return Meta{}, fmt.Errorf("%s: %w", p, err)
	}
	return m, nil
}

// ParseMeta decodes a Meta and checks its format, version and shard
// numbers; unknown fields are errors.
func ParseMeta(b []byte) (Meta, error) {
	var m Meta
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Meta{}, fmt.Errorf("bad shard meta: %w", err)
	}
	if dec.More() {
		return Meta{}, errors.New("bad shard meta: data after the object")
	}
	switch {
	case m.Format != MetaFormat:
		return Meta{}, fmt.Errorf("bad shard meta: format %q, want %q", m.Format, MetaFormat)
	case m.Version != MetaVersion:
		return Meta{}, fmt.Errorf("shard meta version %d, this medqr reads version %d: rerun the shard with this medqr", m.Version, MetaVersion)
	case m.Shards < 1 || m.Shards > MaxCount || m.Shard < 0 || m.Shard >= m.Shards:
		return Meta{}, fmt.Errorf("bad shard meta: shard %d of %d", m.Shard, m.Shards)
	case m.Kind == "":
		return Meta{}, errors.New("bad shard meta: no kind")
	case m.Units < 0 || m.Total < m.Units:
		return Meta{}, fmt.Errorf("bad shard meta: %d units of %d", m.Units, m.Total)
	}
	return m, nil
}

// MissingError reports shards absent from a merge.
type MissingError struct {
	Shards []int // missing shard indices, ascending
	Count  int
}

func (e *MissingError) Error() string {
	s := make([]string, len(e.Shards))
	for i, x := range e.Shards {
		s[i] = strconv.Itoa(x)
	}
	noun := "shard"
	if len(s) > 1 {
		noun = "shards"
	}
	return fmt.Sprintf("%s %s of %d missing", noun, strings.Join(s, ", "), e.Count)
}

// DuplicateError reports a shard given twice.
type DuplicateError struct {
	Shard int
	Count int
	Dirs  [2]string
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("shard %d of %d given twice (%s and %s)", e.Shard, e.Count, e.Dirs[0], e.Dirs[1])
}

// MismatchError reports shards that belong to different runs.
type MismatchError struct {
	Field string // "kind", "shard count", "config" or "code version"
	Dirs  [2]string
	Vals  [2]string
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("%s differs between %s (%s) and %s (%s): every shard must come from one run", e.Field, e.Dirs[0], e.Vals[0], e.Dirs[1], e.Vals[1])
}

// Check verifies that metas (read from dirs, in the same order) are the
// shards 0..N-1 of one run of kind: same kind, shard count, config hash and
// code version, none missing and none twice, and that their units add up
// to the run's total. It returns the metas ordered by shard index.
func Check(kind string, dirs []string, metas []Meta) ([]Meta, error) {
	if len(metas) == 0 || len(metas) != len(dirs) {
		return nil, errors.New("no shard folders")
	}
	first := metas[0]
	for i, m := range metas {
		codeA, codeB := first.Code, m.Code
		if first.Binary != "" && m.Binary != "" {
			codeA, codeB = first.Code+", binary "+first.Binary[:min(12, len(first.Binary))], m.Code+", binary "+m.Binary[:min(12, len(m.Binary))]
			if first.Binary == m.Binary {
				codeB = codeA
			}
		}
		for _, f := range []struct{ name, a, b string }{
			{"kind", kind, m.Kind},
			{"shard count", strconv.Itoa(first.Shards), strconv.Itoa(m.Shards)},
			{"config", first.Config, m.Config},
			{"code version", codeA, codeB},
			{"total units", strconv.Itoa(first.Total), strconv.Itoa(m.Total)},
		} {
			if f.a != f.b {
				d0 := dirs[0]
				if f.name == "kind" {
					d0 = "this merge"
				}
				return nil, &MismatchError{Field: f.name, Dirs: [2]string{d0, dirs[i]}, Vals: [2]string{f.a, f.b}}
			}
		}
	}
	n := first.Shards
	byIndex := make([]int, n)
	for i := range byIndex {
		byIndex[i] = -1
	}
	for i, m := range metas {
		if j := byIndex[m.Shard]; j >= 0 {
			return nil, &DuplicateError{Shard: m.Shard, Count: n, Dirs: [2]string{dirs[j], dirs[i]}}
		}
		byIndex[m.Shard] = i
	}
	var missing []int
	for s, j := range byIndex {
		if j < 0 {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		return nil, &MissingError{Shards: missing, Count: n}
	}
	out := make([]Meta, n)
	units := 0
	for s, j := range byIndex {
		out[s] = metas[j]
		units += metas[j].Units
	}
	if units != first.Total {
		return nil, fmt.Errorf("the shards ran %d units, the run has %d: a shard folder is incomplete", units, first.Total)
	}
	return out, nil
}

// ReadAll reads the Meta of every folder and Checks them; it returns the
// folders and metas ordered by shard index.
func ReadAll(kind string, dirs []string) ([]string, []Meta, error) {
	metas := make([]Meta, len(dirs))
	for i, d := range dirs {
		m, err := ReadMeta(d)
		if err != nil {
			return nil, nil, err
		}
		metas[i] = m
	}
	ordered, err := Check(kind, dirs, metas)
	if err != nil {
		return nil, nil, err
	}
	out := make([]string, len(ordered))
	for i, m := range metas {
		out[m.Shard] = dirs[i]
	}
	return out, ordered, nil
}

// WriteFileAtomic writes data to a temporary file beside path (mode 0644)
// and renames it over path, so a failure leaves no half-written file.
func WriteFileAtomic(path string, data []byte) error {
	return WriteFileAtomicMode(path, data, 0o644)
}

// WriteFileAtomicMode is WriteFileAtomic with the file's mode given: 0600
// for what only its owner may read, such as cached encodings of images.
func WriteFileAtomicMode(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), perm)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	return nil
}

// Load reads and checks the shard folders of one run of kind (ReadAll),
// then each folder's partial results with read, which returns the partial,
// the config it was run with (hashed with ConfigHash) and the number of
// units it holds: both must match the folder's Meta. It returns the
// partials and the metas in shard order.
func Load[P any](kind string, dirs []string, read func(dir string) (P, any, int, error)) ([]P, []Meta, error) {
	dirs, metas, err := ReadAll(kind, dirs)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", kind, err)
	}
	parts := make([]P, len(dirs))
	for k, d := range dirs {
		p, cfg, units, err := read(d)
		if err != nil {
			return nil, nil, err
		}
		hash, err := ConfigHash(cfg)
		if err != nil {
			return nil, nil, err
		}
		if hash != metas[k].Config || units != metas[k].Units {
			return nil, nil, fmt.Errorf("%s: %s: its partial results do not match its %s", kind, d, FileMeta)
		}
		parts[k] = p
	}
	return parts, metas, nil
}

// Partial is what Merge needs of a shard's partial results: the config its
// run was made with (hashed with ConfigHash) and the number of units it
// holds (Units provides ShardUnits).
type Partial interface {
	ShardConfig() any
	ShardUnits() int
}

// Merge reads the shard folders of one run of kind (Load, each partial
// read with read) and merges the partials, in shard order, with merge. It
// returns the merged result and the metas in shard order.
func Merge[P Partial, R any](kind string, dirs []string, read func(dir string) (P, error), merge func([]P) (R, error)) (R, []Meta, error) {
	var zero R
	parts, metas, err := Load(kind, dirs, func(d string) (P, any, int, error) {
		p, err := read(d)
		if err != nil {
			var none P
			return none, nil, 0, err
		}
		return p, p.ShardConfig(), p.ShardUnits(), nil
	})
	if err != nil {
		return zero, nil, err
	}
	r, err := merge(parts)
	if err != nil {
		return zero, nil, err
	}
	return r, metas, nil
}

// Write writes a shard's folder: files (WriteFiles) and then the Meta of
// shard s of a run of kind, with the hash of cfg, the code version, the
// units it ran of total and its wall time.
func Write(dir, kind string, s Spec, cfg any, code string, units, total int, seconds float64, files map[string][]byte) error {
	hash, err := ConfigHash(cfg)
	if err != nil {
		return err
	}
	if err := WriteFiles(dir, files); err != nil {
		return err
	}
	m := NewMeta(kind, s, hash, code)
	m.Units, m.Total, m.Seconds = units, total, seconds
	return WriteMeta(dir, m)
}

// WriteFiles writes a folder of files: dir and the folders inside it are
// created as needed, and each of files (a path under dir -> contents) is
// written through WriteFileAtomic, in sorted order.
func WriteFiles(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("failed to create %s: %w", dir, err)
	}
	for _, n := range slices.Sorted(maps.Keys(files)) {
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("failed to create %s: %w", filepath.Dir(p), err)
		}
		if err := WriteFileAtomic(p, files[n]); err != nil {
			return err
		}
	}
	return nil
}

// ReadPartial reads a shard's partial results, dir/name, and parses them
// with parse; a parse error names the file.
func ReadPartial[P any](dir, name string, parse func([]byte) (P, error)) (P, error) {
	var zero P
	fp := filepath.Join(dir, name)
	b, err := os.ReadFile(fp)
	if err != nil {
		return zero, fmt.Errorf("failed to read partial results: %w", err)
	}
	p, err := parse(b)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", fp, err)
	}
	return p, nil
}

// EncodePartial is the contents of a partial results file: v as JSON on one
// line and a newline. DecodePartial reads it back.
func EncodePartial(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("failed to encode partial results: %w", err)
	}
	return append(b, '\n'), nil
}

// DecodePartial decodes partial results b into v after checking that b's
// "schema" field is want.
func DecodePartial(b []byte, want string, v any) error {
	var h struct {
		Schema string `json:"schema"`
	}
	if err := json.Unmarshal(b, &h); err != nil {
		return fmt.Errorf("bad partial results: %w", err)
	}
	if h.Schema != want {
		return fmt.Errorf("partial results schema %q, this medqr reads %q: rerun the shard with this medqr", h.Schema, want)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("bad partial results: %w", err)
	}
	return nil
}

// Units says which work units of a run a shard's partial results hold.
type Units struct {
	Images []string `json:"images"` // every unit of the run, in order
	Owned  []int    `json:"owned"`  // the shard's: indices into Images, ascending
}

// ShardUnits is the number of units the shard holds, len(Owned).
func (u Units) ShardUnits() int { return len(u.Owned) }

// CheckIndices reports the first of idx that is outside [0, n) or not above
// the one before it; what names the indices in the error.
func CheckIndices(what string, idx []int, n int) error {
	for j, i := range idx {
		if i < 0 || i >= n || (j > 0 && i <= idx[j-1]) {
			return fmt.Errorf("bad partial results: %s index %d out of order or range", what, i)
		}
	}
	return nil
}
