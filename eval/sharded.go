package eval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"path"
	"path/filepath"
	"reflect"
	"slices"

	"github.com/medqr/medqr/data"
	"github.com/medqr/medqr/eval/shard"
)

// Sharded and streamed runs (package eval/shard): shard I of N evaluates
// the images whose content hash it owns, a chunk at a time, and writes a
// Partial; Merge puts the partials of shards 0..N-1 back into the Results
// that Run computes on all images, byte for byte. Exactness rests on two
// facts: every per-image row and every trial depends only on the config and
// the image's index in the evaluation list (keys, nonces and draws are
// seeded by index), and the summaries are recomputed by Merge from all the
// rows in index order, as Run computes them, never averaged over shards.

// ShardKind is the shard.Meta kind of an eval shard.
const ShardKind = "eval"

// FilePartial is the partial result in a shard's output folder.
const FilePartial = "partial.json"

// PartialSchema names the layout of Partial.
const PartialSchema = "medqr-eval-partial/v1"

// Source is the evaluation list: names and content hashes of every image,
// and the pixels of any one on demand.
type Source interface {
	Len() int
	Name(i int) string
	// Key is the image's content hash (the manifest's SHA-256), which
	// decides its shard.
	Key(i int) string
	Image(i int) (*image.Gray, error)
}

// Partial is one shard's share of a run: the rows of the images it owns
// and the trials on them, in index order.
type Partial struct {
	Schema string `json:"schema"`
	Config Config `json:"config"`
	// Images is the whole evaluation list, Owned the shard's images.
	shard.Units
	Reference Reference `json:"reference"`
	// Plaintext holds the plaintext rows of the owned images.
	Plaintext []ImageStats       `json:"plaintext"`
	Subjects  []PartialSubject   `json:"subjects"`
	First     *PartialFirstImage `json:"first_image,omitempty"`
}

// PartialSubject is one subject's share.
type PartialSubject struct {
	SubjectInfo
	PerImage    []ImageStats `json:"per_image"` // aligned with Partial.Owned
	PlainTrials []int        `json:"plaintext_trials"`
	PlainSens   []Trial      `json:"plaintext_sensitivity"`
	KeyTrials   []int        `json:"key_trials"`
	KeySens     []Trial      `json:"key_sensitivity"`
}

// PartialFirstImage is the first image and each subject's output of it,
// kept by the shard that owns image 0 for the plots.
type PartialFirstImage struct {
	Plain   []byte            `json:"plain"`
	Outputs []PartialFirstOut `json:"outputs"`
}

// PartialFirstOut is one subject's output of the first image.
type PartialFirstOut struct {
	Subject string `json:"subject"`
	Samples []byte `json:"samples"`
	W       int    `json:"w"`
	H       int    `json:"h"`
}

// Nulls caches the null distributions of a run (exact entropy moments and
// simulated local-entropy nulls, both pure functions of the config and the
// sizes) across the chunks of a streamed run.
type Nulls struct {
	entropy map[int][2]float64
	local   map[int]*LocalNull
}

// NewNulls returns an empty cache.
func NewNulls() *Nulls {
	return &Nulls{entropy: map[int][2]float64{}, local: map[int]*LocalNull{}}
}

// DefaultChunk is the number of images RunShard holds at once.
const DefaultChunk = 256

// ShardUnits is the number of progress units RunShard reports.
func ShardUnits(cfg Config, src Source, s shard.Spec, subjects int) int {
	n := src.Len()
	own := func(i int) bool { return s.Owns(src.Key(i)) }
	k, pt, kt := 0, 0, 0
	for i := 0; i < n; i++ {
		if own(i) {
			k++
		}
	}
	for t := 0; t < cfg.PlaintextTrials; t++ {
		if own(t % n) {
			pt++
		}
	}
	for t := 0; t < cfg.KeyTrials; t++ {
		if own(t % n) {
			kt++
		}
	}
	return k + subjects*(k+pt+kt)
}

// RunShard evaluates shard s of the images of src: the images it owns,
// chunk images at a time (chunk < 1: DefaultChunk), so memory stays
// bounded whatever the size of the dataset. A zero s runs every image.
func RunShard(ctx context.Context, cfg Config, src Source, subs []Subject, s shard.Spec, chunk int, progress func(int)) (*Partial, error) {
	n := src.Len()
	if n == 0 {
		return nil, fmt.Errorf("eval: no images")
	}
	if chunk < 1 {
		chunk = DefaultChunk
	}
	images := make([]Image, n)
	p := &Partial{Schema: PartialSchema, Config: cfg, Units: shard.Units{Images: make([]string, n)}}
	for i := range images {
		images[i].Name = src.Name(i)
		p.Images[i] = images[i].Name
		if s.Owns(src.Key(i)) {
			p.Owned = append(p.Owned, i)
		}
	}
	for _, sub := range subs {
		p.Subjects = append(p.Subjects, PartialSubject{SubjectInfo: sub.Info(),
			PlainTrials: []int{}, PlainSens: []Trial{}, KeyTrials: []int{}, KeySens: []Trial{}, PerImage: []ImageStats{}})
	}
	p.Plaintext = []ImageStats{}
	nulls := NewNulls()
	// a shard that owns nothing still writes the reference values
	if len(p.Owned) == 0 {
		res, err := run(ctx, cfg, images, subs, progress, func(int) bool { return false }, nulls)
		if err != nil {
			return nil, err
		}
		p.Reference = res.Reference
		return p, nil
	}
	for lo := 0; lo < len(p.Owned); lo += chunk {
		part := p.Owned[lo:min(lo+chunk, len(p.Owned))]
		in := map[int]bool{}
		for _, i := range part {
			g, err := src.Image(i)
			if err != nil {
				return nil, err
			}
			images[i].Gray = g
			in[i] = true
		}
		res, err := run(ctx, cfg, images, subs, progress, func(i int) bool { return in[i] }, nulls)
		if err != nil {
			return nil, err
		}
		if lo == 0 {
			p.Reference = res.Reference
		}
		for _, i := range part {
			p.Plaintext = append(p.Plaintext, res.Plaintext.PerImage[i])
		}
		for k, sr := range res.Subjects {
			ps := &p.Subjects[k]
			for _, i := range part {
				ps.PerImage = append(ps.PerImage, sr.PerImage[i])
			}
			for t := range sr.PlainSens {
				if in[t%n] {
					ps.PlainTrials = append(ps.PlainTrials, t)
					ps.PlainSens = append(ps.PlainSens, sr.PlainSens[t])
				}
			}
			for t := range sr.KeySens {
				if in[t%n] {
					ps.KeyTrials = append(ps.KeyTrials, t)
					ps.KeySens = append(ps.KeySens, sr.KeySens[t])
				}
			}
			if in[0] {
				if p.First == nil {
					p.First = &PartialFirstImage{Plain: sr.firstPlain}
				}
				p.First.Outputs = append(p.First.Outputs, PartialFirstOut{Subject: sr.Name, Samples: sr.firstCipher, W: sr.firstW, H: sr.firstH})
			}
		}
		for _, i := range part {
			images[i].Gray = nil
		}
	}
	// trials were collected chunk by chunk: put them in trial order
	for k := range p.Subjects {
		ps := &p.Subjects[k]
		sortTrials(ps.PlainTrials, ps.PlainSens)
		sortTrials(ps.KeyTrials, ps.KeySens)
	}
	return p, nil
}

func sortTrials(idx []int, ts []Trial) {
	for i := 1; i < len(idx); i++ {
		for j := i; j > 0 && idx[j] < idx[j-1]; j-- {
			idx[j], idx[j-1] = idx[j-1], idx[j]
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}

// WritePartial writes dir/partial.json (dir is created).
func WritePartial(dir string, p *Partial) error {
	if err := ensureDir(dir); err != nil {
		return err
	}
	b, err := shard.EncodePartial(p)
	if err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(dir, FilePartial), b)
}

// ReadPartial reads dir/partial.json and checks its schema and shape.
func ReadPartial(dir string) (*Partial, error) {
	return shard.ReadPartial(dir, FilePartial, ParsePartial)
}

// ParsePartial decodes a Partial and checks that its indices and rows are
// consistent; it never returns a Partial together with an error.
func ParsePartial(b []byte) (*Partial, error) {
	var p Partial
	if err := shard.DecodePartial(b, PartialSchema, &p); err != nil {
		return nil, err
	}
	n := len(p.Images)
	inc := shard.CheckIndices
	if err := inc("image", p.Owned, n); err != nil {
		return nil, err
	}
	if len(p.Plaintext) != len(p.Owned) {
		return nil, fmt.Errorf("bad partial results: %d plaintext rows for %d images", len(p.Plaintext), len(p.Owned))
	}
	for _, s := range p.Subjects {
		switch {
		case len(s.PerImage) != len(p.Owned):
			return nil, fmt.Errorf("bad partial results: subject %s has %d rows for %d images", s.Name, len(s.PerImage), len(p.Owned))
		case len(s.PlainTrials) != len(s.PlainSens) || len(s.KeyTrials) != len(s.KeySens):
			return nil, fmt.Errorf("bad partial results: subject %s has trials without numbers", s.Name)
		}
		if err := inc("plaintext trial", s.PlainTrials, p.Config.PlaintextTrials); err != nil {
			return nil, err
		}
		if err := inc("key trial", s.KeyTrials, p.Config.KeyTrials); err != nil {
			return nil, err
		}
	}
	return &p, nil
}

// Merge combines the partials of every shard of one run into the Results
// of the unsharded run. It refuses partials that disagree on the config,
// the image list, the reference values or the subjects, and any image or
// trial that no partial (or two) holds.
func Merge(parts []*Partial) (*Results, error) {
	if len(parts) == 0 {
		return nil, errors.New("eval: nothing to merge")
	}
	p0 := parts[0]
	n := len(p0.Images)
	for k, p := range parts[1:] {
		switch {
		case !reflect.DeepEqual(p.Config, p0.Config):
			return nil, fmt.Errorf("eval: partial %d has another config than partial 0", k+1)
		case !slices.Equal(p.Images, p0.Images):
			return nil, fmt.Errorf("eval: partial %d evaluates another image list than partial 0", k+1)
		case !sameJSON(p.Reference, p0.Reference):
			return nil, fmt.Errorf("eval: partial %d has other reference values than partial 0", k+1)
		case len(p.Subjects) != len(p0.Subjects):
			return nil, fmt.Errorf("eval: partial %d has %d subjects, partial 0 has %d", k+1, len(p.Subjects), len(p0.Subjects))
		}
		for j := range p.Subjects {
			if p.Subjects[j].Name != p0.Subjects[j].Name {
				return nil, fmt.Errorf("eval: partial %d has subject %s where partial 0 has %s", k+1, p.Subjects[j].Name, p0.Subjects[j].Name)
			}
		}
	}
	cfg := p0.Config
	res := &Results{Schema: ResultsSchema, Config: cfg, Images: append([]string{}, p0.Images...), Reference: p0.Reference}
	have := make([]int, n) // partial+1 holding each image
	for k, p := range parts {
		for _, i := range p.Owned {
			if have[i] != 0 {
				return nil, fmt.Errorf("eval: image %s is in partials %d and %d", p0.Images[i], have[i]-1, k)
			}
			have[i] = k + 1
		}
	}
	for i, h := range have {
		if h == 0 {
			return nil, fmt.Errorf("eval: no partial holds image %s", p0.Images[i])
		}
	}
	plain := SubjectResult{SubjectInfo: plaintextInfo, PerImage: make([]ImageStats, n)}
	var first *PartialFirstImage
	for _, p := range parts {
		for j, i := range p.Owned {
			plain.PerImage[i] = p.Plaintext[j]
		}
		if p.First != nil {
			first = p.First
		}
	}
	if first != nil {
		plain.firstPlain = first.Plain
	}
	plain.Summary = summarize(plain)
	res.Plaintext = plain
	for j, s0 := range p0.Subjects {
		sr := SubjectResult{SubjectInfo: s0.SubjectInfo,
			PerImage: make([]ImageStats, n), PlainSens: make([]Trial, cfg.PlaintextTrials), KeySens: make([]Trial, cfg.KeyTrials)}
		gotP, gotK := make([]bool, cfg.PlaintextTrials), make([]bool, cfg.KeyTrials)
		for k, p := range parts {
			ps := p.Subjects[j]
			for r, i := range p.Owned {
				sr.PerImage[i] = ps.PerImage[r]
			}
			for r, t := range ps.PlainTrials {
				if gotP[t] {
					return nil, fmt.Errorf("eval: %s plaintext trial %d is in two partials (the second is %d)", s0.Name, t, k)
				}
				gotP[t], sr.PlainSens[t] = true, ps.PlainSens[r]
			}
			for r, t := range ps.KeyTrials {
				if gotK[t] {
					return nil, fmt.Errorf("eval: %s key trial %d is in two partials (the second is %d)", s0.Name, t, k)
				}
				gotK[t], sr.KeySens[t] = true, ps.KeySens[r]
			}
		}
		for t, ok := range gotP {
			if !ok {
				return nil, fmt.Errorf("eval: %s plaintext trial %d is in no partial", s0.Name, t)
			}
		}
		for t, ok := range gotK {
			if !ok {
				return nil, fmt.Errorf("eval: %s key trial %d is in no partial", s0.Name, t)
			}
		}
		if first != nil {
			sr.firstPlain = first.Plain
			for _, o := range first.Outputs {
				if o.Subject == s0.Name {
					sr.firstCipher, sr.firstW, sr.firstH = o.Samples, o.W, o.H
				}
			}
		}
		sr.Summary = summarize(sr)
		res.Subjects = append(res.Subjects, sr)
	}
	return res, nil
}

// sameJSON compares two values as they are written (NaN equals NaN).
func sameJSON(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// CacheSource is a Source over a dataset split, read image by image from
// the dataset cache of one shard's images (data.CacheReader).
type CacheSource struct {
	names, keys []string
	pos         []int // index in the cache of each image; -1 when not cached
	cache       *data.CacheReader
}

// OpenShardSource lists the evaluation images of c (its split, in manifest
// order, capped at MaxImages) and opens the cache of the images that shard
// s owns (every sample of the dataset that s owns, all splits: what
// "medqr dataset cache --shard" builds), building it in cacheDir ("" for
// the default) when it is missing. Only that shard's images are ever read.
func OpenShardSource(c DataConfig, s shard.Spec, cacheDir string) (*CacheSource, error) {
	m, err := data.Index(c.Dir)
	if err != nil {
		return nil, fmt.Errorf("failed to load the %s split of %s: %w", c.Split, c.Dir, err)
	}
	var samples []data.Sample
	if c.Split == "all" {
		samples = m.Samples
	} else if samples, err = m.Split(c.Split); err != nil {
		return nil, fmt.Errorf("failed to load the %s split of %s: %w", c.Split, c.Dir, err)
	}
	if c.MaxImages > 0 && len(samples) > c.MaxImages {
		samples = samples[:c.MaxImages]
	}
	if len(samples) == 0 {
		return nil, fmt.Errorf("the %s split of %s is empty", c.Split, c.Dir)
	}
	sub := ShardManifest(m, s)
	if cacheDir == "" {
		cacheDir = data.DefaultCacheDir()
	}
	// a valid cache is verified in one streaming pass, a missing one built
	// a window of images at a time
	cr, err := data.OpenCache(data.CachePath(sub, c.Size, cacheDir), sub, c.Size)
	if err != nil {
		p, err := data.BuildCacheStream(sub, c.Size, cacheDir)
		if err != nil {
			return nil, err
		}
		if cr, err = data.OpenCache(p, sub, c.Size); err != nil {
			return nil, err
		}
	}
	at := map[string]int{}
	for i := 0; i < cr.Len(); i++ {
		at[cr.Path(i)] = i
	}
	src := &CacheSource{cache: cr}
	for _, smp := range samples {
		src.names = append(src.names, path.Clean(smp.Path))
		src.keys = append(src.keys, smp.SHA256)
		i, ok := at[smp.Path]
		if !ok {
			i = -1
		}
		src.pos = append(src.pos, i)
	}
	return src, nil
}

// ShardManifest is the part of m that shard s owns (all of m for a zero s).
func ShardManifest(m *data.Manifest, s shard.Spec) *data.Manifest {
	if !s.Enabled() {
		return m
	}
	return m.Subset(func(x data.Sample) bool { return s.Owns(x.SHA256) })
}

// Len implements Source.
func (c *CacheSource) Len() int { return len(c.names) }

// Name implements Source.
func (c *CacheSource) Name(i int) string { return c.names[i] }

// Key implements Source.
func (c *CacheSource) Key(i int) string { return c.keys[i] }

// Image implements Source; it fails for an image outside the shard.
func (c *CacheSource) Image(i int) (*image.Gray, error) {
	if c.pos[i] < 0 {
		return nil, fmt.Errorf("eval: image %s is not in this shard's cache", c.names[i])
	}
	return c.cache.Image(c.pos[i])
}

// Close closes the cache file.
func (c *CacheSource) Close() error { return c.cache.Close() }

// WriteShard writes a shard's folder: partial.json and shard.json (the
// shard, the config hash, the code version and the wall time).
func WriteShard(dir string, p *Partial, s shard.Spec, code string, seconds float64) error {
	b, err := shard.EncodePartial(p)
	if err != nil {
		return err
	}
	return shard.Write(dir, ShardKind, s, p.Config, code, len(p.Owned), len(p.Images), seconds, map[string][]byte{FilePartial: b})
}

// MergeShards reads the shard folders of one run, checks them (package
// shard: same config and code version, every shard once) and merges their
// partials. It returns the shards' metas in shard order.
func MergeShards(dirs []string) (*Results, []shard.Meta, error) {
	return shard.Merge(ShardKind, dirs, ReadPartial, Merge)
}

// ShardConfig is the config the shards of p's run agree on (shard.Partial).
func (p *Partial) ShardConfig() any { return p.Config }
