package rd

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/medqr/medqr/eval"
	"github.com/medqr/medqr/eval/shard"
)

// Sharded runs (package eval/shard): shard I of N codes the images whose
// content hash it owns and writes a Partial, the cells of its images and
// the byte statistics of each summary row pooled over them (integer counts
// and sums). Merge puts the cells back in image order and adds the pooled
// statistics up, and the summary is computed from them as Run computes it:
// means and medians over every image's cell in sorted order, never an
// average of shard averages. The merged report is Run's, byte for byte.

// ShardKind is the shard.Meta kind of an rd shard.
const ShardKind = "rd"

// FilePartial is the partial result in a shard's output folder.
const FilePartial = "rd-partial.json"

// PartialSchema names the layout of Partial.
const PartialSchema = "medqr-rd-partial/v1"

// ShardChunk is the number of images RunShard holds at once.
const ShardChunk = 256

// PartialConfig is what the shards of one run must agree on; its hash is
// the shard's config hash.
type PartialConfig struct {
	Data   string         `json:"data"`
	Split  string         `json:"split"`
	Levels []Level        `json:"levels"`
	Codecs []string       `json:"codecs"`
	Kinds  []string       `json:"kinds"`
	Keys   []string       `json:"keys"` // Method.Key: the external tools' settings
	Limit  map[string]int `json:"limit,omitempty"`
}

// Partial is one shard's share of a run.
type Partial struct {
	Schema string        `json:"schema"`
	Config PartialConfig `json:"config"`
	// Images is the whole image list, Owned the shard's images.
	shard.Units
	// Pixels is the images' pixel count (0 when the shard owns none).
	Pixels int `json:"pixels_per_image"`
	// Cells are the owned images' cells in report order: by image, then
	// codec (those whose subset holds the image), then level.
	Cells []Cell `json:"cells"`
	// Pooled is each summary row's byte statistics over the owned images
	// that fit, indexed [level*len(Codecs)+codec].
	Pooled []PooledStats `json:"byte_stats"`
	// Seconds is the time spent per codec (a measurement, not compared).
	Seconds []float64 `json:"codec_seconds"`
}

// partialConfig is the part of cfg that a merge checks.
func partialConfig(cfg Config) PartialConfig {
	pc := PartialConfig{Data: cfg.Data, Split: cfg.Split, Levels: cfg.Levels, Limit: cfg.Limit}
	for _, m := range cfg.Methods {
		pc.Codecs = append(pc.Codecs, m.Name)
		pc.Kinds = append(pc.Kinds, m.Kind)
		pc.Keys = append(pc.Keys, m.Key)
	}
	return pc
}

// units counts the (image, codec) units of image i.
func (cfg Config) units(i, n int) int {
	k := 0
	for _, m := range cfg.Methods {
		if i < cfg.subset(m, n) {
			k++
		}
	}
	return k
}

// RunShard codes the images of src that shard s owns (a zero s: all of
// them), ShardChunk images at a time, and returns the shard's Partial.
// Images outside the shard are never read.
func RunShard(ctx context.Context, cfg Config, src eval.Source, s shard.Spec) (*Partial, error) {
	n := src.Len()
	imgs := make([]Image, n)
	for i := range imgs {
		imgs[i].Name = src.Name(i)
	}
	cfg, _, err := prepare(cfg, imgs)
	if err != nil {
		return nil, err
	}
	p := &Partial{Schema: PartialSchema, Config: partialConfig(cfg), Units: shard.Units{Owned: []int{}}, Cells: []Cell{}}
	total := 0
	for i := range imgs {
		p.Images = append(p.Images, imgs[i].Name)
		if s.Owns(src.Key(i)) {
			p.Owned = append(p.Owned, i)
			total += cfg.units(i, n)
		}
	}
	nm := len(cfg.Methods)
	p.Pooled = make([]PooledStats, len(cfg.Levels)*nm)
	times := make([]time.Duration, nm)
	base := 0
	progress := cfg.Progress
	for lo := 0; lo < len(p.Owned); lo += ShardChunk {
		part := p.Owned[lo:min(lo+ShardChunk, len(p.Owned))]
		in := map[int]bool{}
		for _, i := range part {
			if imgs[i].Img, err = src.Image(i); err != nil {
				return nil, err
			}
			in[i] = true
		}
		c := cfg
		if progress != nil {
			c.Progress = func(done, _ int) { progress(base+done, total) }
		}
		_, px, err := prepare(c, imgs) // only this chunk's images carry pixels
		if err != nil {
			return nil, err
		}
		if p.Pixels != 0 && px != p.Pixels {
			return nil, fmt.Errorf("rd: images of %d and %d pixels: all must be the same size", p.Pixels, px)
		}
		p.Pixels = px
		cells, t, err := measure(ctx, c, imgs, func(i int) bool { return in[i] })
		if err != nil {
			return nil, err
		}
		for mi := range times {
			times[mi] += t[mi]
		}
		for _, i := range part {
			for mi, m := range cfg.Methods {
				if i >= cfg.subset(m, n) {
					continue
				}
				row := cells[i*nm+mi]
				p.Cells = append(p.Cells, row...)
				for li, c := range row {
					if c.Fail == "" && c.stats != nil {
						p.Pooled[li*nm+mi].Stats.Merge(c.stats)
						p.Pooled[li*nm+mi].Exposed = true
					}
				}
			}
			imgs[i].Img = nil
			base += cfg.units(i, n)
		}
	}
	for _, t := range times {
		p.Seconds = append(p.Seconds, t.Seconds())
	}
	return p, nil
}

// WriteShard writes a shard's folder: FilePartial and shard.json.
func WriteShard(dir string, p *Partial, s shard.Spec, code string, seconds float64) error {
	b, err := shard.EncodePartial(p)
	if err != nil {
		return fmt.Errorf("rd: %w", err)
	}
	return shard.Write(dir, ShardKind, s, p.Config, code, len(p.Owned), len(p.Images), seconds,
		map[string][]byte{FilePartial: b})
}

// ReadPartial reads dir's FilePartial.
func ReadPartial(dir string) (*Partial, error) {
	return shard.ReadPartial(dir, FilePartial, ParsePartial)
}

// ParsePartial decodes a Partial and checks that its indices, cells and
// rows are consistent with its config; it never returns a Partial together
// with an error.
func ParsePartial(b []byte) (*Partial, error) {
	var p Partial
	if err := shard.DecodePartial(b, PartialSchema, &p); err != nil {
		return nil, err
	}
	pc, n := p.Config, len(p.Images)
	nm := len(pc.Codecs)
	switch {
	case nm == 0 || len(pc.Levels) == 0:
		return nil, errors.New("bad rd partial results: no codecs or no levels")
	case len(pc.Kinds) != nm || len(pc.Keys) != nm || len(p.Seconds) != nm:
		return nil, errors.New("bad rd partial results: codecs, kinds, keys and timings differ in number")
	case len(p.Pooled) != len(pc.Levels)*nm:
		return nil, fmt.Errorf("bad rd partial results: %d byte-statistic rows for %d levels and %d codecs", len(p.Pooled), len(pc.Levels), nm)
	case p.Pixels < 0:
		return nil, errors.New("bad rd partial results: negative pixel count")
	}
	cfg := p.Config.config()
	if err := shard.CheckIndices("image", p.Owned, n); err != nil {
		return nil, err
	}
	want := 0
	for _, i := range p.Owned {
		want += cfg.units(i, n) * len(pc.Levels)
	}
	if len(p.Cells) != want {
		return nil, fmt.Errorf("bad rd partial results: %d cells, its images and codecs make %d", len(p.Cells), want)
	}
	return &p, nil
}

// config is the Config a partial was run with, as far as a merge needs it:
// the methods' names and kinds, the levels and the limits.
func (pc PartialConfig) config() Config {
	cfg := Config{Data: pc.Data, Split: pc.Split, Levels: pc.Levels, Limit: pc.Limit}
	for i, name := range pc.Codecs {
		cfg.Methods = append(cfg.Methods, Method{Name: name, Kind: pc.Kinds[i], Key: pc.Keys[i]})
	}
	return cfg
}

// Merge combines the partials of every shard of one run into the Report
// of the unsharded run. It refuses partials of other configs or image
// lists, an image that no partial (or two) holds, and cells that are not
// the ones their place says.
func Merge(parts []*Partial) (*Report, error) {
	if len(parts) == 0 {
		return nil, errors.New("rd: nothing to merge")
	}
	p0 := parts[0]
	n := len(p0.Images)
	cfg := p0.Config.config()
	nm, nl := len(cfg.Methods), len(cfg.Levels)
	cells := make([][]Cell, n*nm)
	pooled := make([]PooledStats, nl*nm)
	times := make([]time.Duration, nm)
	holder := make([]int, n) // partial+1 holding each image
	px := 0
	for k, p := range parts {
		switch {
		case !reflect.DeepEqual(p.Config, p0.Config):
			return nil, fmt.Errorf("rd: partial %d has another config than partial 0", k)
		case !slices.Equal(p.Images, p0.Images):
			return nil, fmt.Errorf("rd: partial %d codes another image list than partial 0", k)
		case p.Pixels != 0 && px != 0 && p.Pixels != px:
			return nil, fmt.Errorf("rd: partial %d has images of %d pixels, another %d", k, p.Pixels, px)
		}
		px = max(px, p.Pixels)
		next := 0
		for _, i := range p.Owned {
			if holder[i] != 0 {
				return nil, fmt.Errorf("rd: image %s is in partials %d and %d", p0.Images[i], holder[i]-1, k)
			}
			holder[i] = k + 1
			for mi, m := range cfg.Methods {
				if i >= cfg.subset(m, n) {
					continue
				}
				row := p.Cells[next : next+nl]
				next += nl
				for li, c := range row {
					if c.Image != p0.Images[i] || c.Codec != m.Name || c.Level != cfg.Levels[li].Level {
						return nil, fmt.Errorf("rd: partial %d: cell %s/%s/%s stands where %s/%s/%s belongs", k, c.Image, c.Codec, c.Level, p0.Images[i], m.Name, cfg.Levels[li].Level)
					}
				}
				cells[i*nm+mi] = row
			}
		}
		for r, ps := range p.Pooled {
			pooled[r].Stats.Merge(&ps.Stats)
			pooled[r].Exposed = pooled[r].Exposed || ps.Exposed
		}
		for mi, s := range p.Seconds {
			times[mi] += time.Duration(s * float64(time.Second))
		}
	}
	for i, h := range holder {
		if h == 0 {
			return nil, fmt.Errorf("rd: no partial holds image %s", p0.Images[i])
		}
	}
	return assemble(cfg, slices.Clone(p0.Images), px, cells, pooled, times), nil
}

// MergeShards reads the shard folders of one run, checks them (package
// shard: same config and code version, every shard once) and merges their
// partials. It returns the shards' metas in shard order.
func MergeShards(dirs []string) (*Report, []shard.Meta, error) {
	return shard.Merge(ShardKind, dirs, ReadPartial, Merge)
}

// ShardConfig is the config the shards of p's run agree on (shard.Partial).
func (p *Partial) ShardConfig() any { return p.Config }
