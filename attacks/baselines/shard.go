package baselines

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"reflect"
	"slices"

	"github.com/medqr/medqr/eval"
	"github.com/medqr/medqr/eval/shard"
)

// Sharded runs (package eval/shard). The work has two kinds of unit: the
// statistics battery's images, split by content hash and run by
// eval.RunShard, and the schemes' own work (damage, throughput, attacks),
// one unit per scheme keyed "baselines/NAME". Every number of either
// depends only on the config and the unit (keys, nonces and draws are
// seeded by scheme, image index and purpose), so MergeShards rebuilds the
// unsharded report: eval.Merge recombines the battery from every image's
// and trial's numbers, and each scheme's results come from the shard that
// owns it. Only timings differ.

// ShardKind is the shard.Meta kind of a baselines shard.
const ShardKind = "baselines"

// FilePartial is the partial report in a shard's folder; the battery's
// partial is DirStats/eval.FilePartial.
const FilePartial = "baselines-partial.json"

// PartialSchema names the layout of Partial.
const PartialSchema = "medqr-baselines-partial/v1"

// Partial is one shard's share of a run.
type Partial struct {
	Schema string `json:"schema"`
	// Report lists every scheme; damage, timing and attacks are filled
	// for the Owned ones only, statistics for none.
	Report *Report `json:"report"`
	Owned  []int   `json:"owned_schemes"` // indices into Report.Schemes, ascending
}

// SchemeKey is the shard key of a scheme's own work.
func SchemeKey(name string) string { return "baselines/" + name }

// loadAll reads every image of src (the attacks and the damage need the
// first ones whichever shard runs them).
func loadAll(src eval.Source) ([]eval.Image, error) {
	images := make([]eval.Image, src.Len())
	for i := range images {
		g, err := src.Image(i)
		if err != nil {
			return nil, err
		}
		images[i] = eval.Image{Name: src.Name(i), Gray: g}
	}
	return images, nil
}

// RunShard runs shard s of the baselines on the images of src: the
// battery on the images s owns, the damage, throughput and attacks of the
// schemes s owns. It returns the shard's partial report, the battery's
// partial and the owned schemes' sample images.
func RunShard(ctx context.Context, cfg Config, src eval.Source, opt Options, s shard.Spec) (*Partial, *eval.Partial, map[string]Samples, error) {
	images, err := loadAll(src)
	if err != nil {
		return nil, nil, nil, err
	}
	rep, subs, ecfg, err := setup(cfg, images, opt)
	if err != nil {
		return nil, nil, nil, err
	}
	ep, err := eval.RunShard(ctx, ecfg, src, subs, s, 0, nil)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("baselines: %w", err)
	}
	p := &Partial{Schema: PartialSchema, Report: rep, Owned: []int{}}
	samples := map[string]Samples{}
	for i := range rep.Schemes {
		sr := &rep.Schemes[i]
		if !s.Owns(SchemeKey(sr.Name)) {
			continue
		}
		p.Owned = append(p.Owned, i)
		if sr.Skipped != "" {
			continue
		}
		if samples[sr.Name], err = schemeWork(ctx, cfg, sr, images, opt.logf()); err != nil {
			return nil, nil, nil, err
		}
	}
	rep.AESGCM = aesThroughput(cfg)
	return p, ep, samples, nil
}

// WriteShard writes a shard's folder: FilePartial, the battery's partial
// under DirStats, the owned schemes' samples (and the plain image) under
// DirSamples, and shard.json.
func WriteShard(dir string, p *Partial, ep *eval.Partial, samples map[string]Samples, plain image.Image, s shard.Spec, seconds float64) error {
	files := map[string][]byte{}
	var err error
	if files[FilePartial], err = shard.EncodePartial(p); err != nil {
		return fmt.Errorf("baselines: %w", err)
	}
	if files[filepath.Join(DirStats, eval.FilePartial)], err = shard.EncodePartial(ep); err != nil {
		return fmt.Errorf("baselines: %w", err)
	}
	if err := sampleFiles(files, samples, plain); err != nil {
		return err
	}
	return shard.Write(dir, ShardKind, s, p.Report.Config, p.Report.Code, len(ep.Owned)+len(p.Owned),
		len(ep.Images)+len(p.Report.Schemes), seconds, files)
}

// ReadPartial reads dir's FilePartial and the battery's partial.
func ReadPartial(dir string) (*Partial, *eval.Partial, error) {
	p, err := shard.ReadPartial(dir, FilePartial, ParsePartial)
	if err != nil {
		return nil, nil, err
	}
	ep, err := eval.ReadPartial(filepath.Join(dir, DirStats))
	if err != nil {
		return nil, nil, err
	}
	return p, ep, nil
}

// ParsePartial decodes a Partial and checks its schema and scheme
// indices; it never returns a Partial together with an error.
func ParsePartial(b []byte) (*Partial, error) {
	var p Partial
	if err := shard.DecodePartial(b, PartialSchema, &p); err != nil {
		return nil, err
	}
	if p.Report == nil {
		return nil, errors.New("bad baselines partial results: no report")
	}
	if err := shard.CheckIndices("scheme", p.Owned, len(p.Report.Schemes)); err != nil {
		return nil, err
	}
	return &p, nil
}

// MergeShards reads the shard folders of one run, checks them (package
// shard: same config and code version, every shard once), merges them and
// writes the report folder out as an unsharded run writes it, the sample
// images copied from the shards that made them. It returns the report and
// the shards' metas in shard order.
func MergeShards(out string, dirs []string) (*Report, []shard.Meta, error) {
	type both struct {
		p  *Partial
		ep *eval.Partial
		d  string
	}
	parts, metas, err := shard.Load(ShardKind, dirs, func(d string) (both, any, int, error) {
		p, ep, err := ReadPartial(d)
		if err != nil {
			return both{}, nil, 0, err
		}
		return both{p, ep, d}, p.Report.Config, len(ep.Owned) + len(p.Owned), nil
	})
	if err != nil {
		return nil, nil, err
	}
	eparts := make([]*eval.Partial, len(parts))
	for k, b := range parts {
		eparts[k] = b.ep
	}
	res, err := eval.Merge(eparts)
	if err != nil {
		return nil, nil, fmt.Errorf("baselines: %w", err)
	}
	r0 := parts[0].p.Report
	rep := *r0
	rep.Schemes = slices.Clone(r0.Schemes)
	owner := make([]string, len(rep.Schemes)) // folder that ran each scheme
	for _, b := range parts {
		r := b.p.Report
		if !reflect.DeepEqual(r.Config, r0.Config) || !slices.Equal(r.Images, r0.Images) || len(r.Schemes) != len(r0.Schemes) {
			return nil, nil, fmt.Errorf("baselines: %s: another run than %s", b.d, parts[0].d)
		}
		for _, i := range b.p.Owned {
			if owner[i] != "" {
				return nil, nil, fmt.Errorf("baselines: scheme %s is in %s and %s", r.Schemes[i].Name, owner[i], b.d)
			}
			owner[i] = b.d
			rep.Schemes[i] = r.Schemes[i]
		}
	}
	for i, o := range owner {
		if o == "" {
			return nil, nil, fmt.Errorf("baselines: no shard ran scheme %s", rep.Schemes[i].Name)
		}
	}
	finish(&rep, res)
	if err := os.MkdirAll(filepath.Join(out, DirSamples), 0o755); err != nil {
		return nil, nil, fmt.Errorf("baselines: %w", err)
	}
	if err := writeReport(out, &rep, res); err != nil {
		return nil, nil, err
	}
	copies := map[string]string{filepath.Join(DirSamples, "plain.png"): parts[0].d}
	for i, sr := range rep.Schemes {
		if sr.Skipped != "" {
			continue
		}
		for _, f := range []string{sr.Name + "-cipher.png", sr.Name + "-recovered.png"} {
			copies[filepath.Join(DirSamples, f)] = owner[i]
		}
	}
	for f, d := range copies {
		b, err := os.ReadFile(filepath.Join(d, f))
		if errors.Is(err, os.ErrNotExist) && filepath.Base(f) != "plain.png" {
			if err := os.Remove(filepath.Join(out, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, nil, fmt.Errorf("baselines: %w", err)
			}
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("baselines: %w", err)
		}
		if err := eval.WriteFileAtomic(filepath.Join(out, f), b); err != nil {
			return nil, nil, err
		}
	}
	return &rep, metas, nil
}
