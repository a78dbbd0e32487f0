package attacks

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/medqr/medqr/eval/shard"
)

// Sharded runs (package eval/shard). The work units of the attack suite
// are its stages: each draws from its own seeded streams, so a stage run
// alone gives the numbers it gives inside a full run, and shard I of N
// runs the stages whose key "attacks/STAGE" belongs to it. MergeShards
// takes every stage from the shard that ran it and writes the report,
// plots and images of the unsharded run, byte for byte apart from the
// measured timings.

// Stages lists the stages in run order.
var Stages = []string{"noise", "qr", "differential", "chosen-plaintext", "learned", "brute-force", "tamper"}

// ShardKind is the shard.Meta kind of an attacks shard.
const ShardKind = "attacks"

// FilePartial is the partial report in a shard's folder; its example
// images lie under images/ beside it.
const FilePartial = "partial.json"

// PartialVersion is the layout version of FilePartial.
const PartialVersion = 1

// partial is FilePartial: the report with only the shard's stages, and
// the example images each stage wrote.
type partial struct {
	Version int                 `json:"version"`
	Stages  []string            `json:"stages"`
	Report  *Report             `json:"report"`
	Images  map[string][]string `json:"images"` // stage -> paths under the folder
}

// StageKey is the shard key of a stage.
func StageKey(stage string) string { return "attacks/" + stage }

// ShardConfigHash is the hash that shards of one run share: the config
// and the quick flag (both recorded in the report).
func ShardConfigHash(cfg Config, quick bool) (string, error) {
	return shard.ConfigHash(struct {
		Config Config `json:"config"`
		Quick  bool   `json:"quick"`
	}{cfg, quick})
}

// RunShard runs the stages of cfg that shard s owns and writes them, with
// their example images and the shard meta, into o.Out.
func RunShard(ctx context.Context, cfg Config, o Options, s shard.Spec) (*Report, error) {
	if o.Out == "" {
		return nil, fmt.Errorf("attacks: a shard needs an output folder")
	}
	hash, err := ShardConfigHash(cfg, o.Quick)
	if err != nil {
		return nil, err
	}
	var mine []string
	for _, st := range Stages {
		if s.Owns(StageKey(st)) {
			mine = append(mine, st)
		}
	}
	out := o.Out
	o.Out = ""
	o.Only = func(stage string) bool { return slices.Contains(mine, stage) }
	rep, err := Run(ctx, cfg, o)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(out, "images"), 0o755); err != nil {
		return nil, fmt.Errorf("attacks: failed to create shard folder: %w", err)
	}
	p := partial{Version: PartialVersion, Stages: mine, Report: rep, Images: map[string][]string{}}
	write := func(stage, name string, g *image.Gray) error {
		p.Images[stage] = append(p.Images[stage], name)
		return writePNG(filepath.Join(out, name), g)
	}
	imgs := map[string]map[string]*image.Gray{"": {"images/plaintext.png": rep.example}}
	if rep.Noise != nil {
		imgs["noise"] = rep.Noise.exImgs
	}
	if rep.Differential != nil {
		imgs["differential"] = rep.Differential.flipImgs
	}
	if b := rep.Brute; b != nil && b.ResearchWrongKey != nil && b.researchWrong != nil {
		imgs["brute-force"] = map[string]*image.Gray{b.ResearchWrongKey.Image: b.researchWrong}
	}
	for stage, m := range imgs {
		names := make([]string, 0, len(m))
		for k := range m {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			if err := write(stage, k, m[k]); err != nil {
				return nil, err
			}
		}
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("attacks: failed to encode partial report: %w", err)
	}
	if err := shard.WriteFileAtomic(filepath.Join(out, FilePartial), append(b, '\n')); err != nil {
		return nil, err
	}
	meta := shard.NewMeta(ShardKind, s, hash, o.Code)
	meta.Units, meta.Total, meta.Seconds = len(mine), len(Stages), rep.RuntimeSeconds
	if err := shard.WriteMeta(out, meta); err != nil {
		return nil, err
	}
	return rep, nil
}

// readPartial reads a shard folder's partial report.
func readPartial(dir string) (*partial, error) {
	fp := filepath.Join(dir, FilePartial)
	b, err := os.ReadFile(fp)
	if err != nil {
		return nil, fmt.Errorf("attacks: failed to read partial report: %w", err)
	}
	var p partial
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("attacks: %s: %w", fp, err)
	}
	if p.Version != PartialVersion {
		return nil, fmt.Errorf("attacks: %s has version %d, this medqr merges version %d: rerun the shard", fp, p.Version, PartialVersion)
	}
	if p.Report == nil || p.Report.Version != ReportVersion {
		return nil, fmt.Errorf("attacks: %s holds no report of version %d: rerun the shard", fp, ReportVersion)
	}
	return &p, nil
}

func readPNG(path string) (*image.Gray, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("attacks: failed to read %s: %w", path, err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("attacks: failed to read %s: %w", path, err)
	}
	g, ok := img.(*image.Gray)
	if !ok {
		return nil, fmt.Errorf("attacks: %s is not an 8-bit gray image", path)
	}
	return g, nil
}

// MergeShards checks that dirs are the shards 0..N-1 of one run (same
// config, quick flag and code version, none missing or twice), takes each
// stage from the shard that owns it, and writes the report of the
// unsharded run into out. The merged timings are the stage timings of the
// shards and the runtime their sum.
func MergeShards(out string, dirs []string) (*Report, error) {
	dirs, metas, err := shard.ReadAll(ShardKind, dirs)
	if err != nil {
		return nil, fmt.Errorf("attacks: %w", err)
	}
	n := metas[0].Shards
	var rep *Report
	var example *image.Gray
	noiseImgs, flipImgs := map[string]*image.Gray{}, map[string]*image.Gray{}
	var wrong *image.Gray
	for k, dir := range dirs {
		p, err := readPartial(dir)
		if err != nil {
			return nil, err
		}
		r := p.Report
		if h, err := ShardConfigHash(r.Config, r.Quick); err != nil || h != metas[k].Config || r.Code != metas[k].Code {
			return nil, fmt.Errorf("attacks: %s: the partial report does not match its %s", dir, shard.FileMeta)
		}
		if rep == nil {
			rep = &Report{Version: r.Version, Code: r.Code, Quick: r.Quick, Config: r.Config, Timing: map[string]float64{}}
		}
		rep.RuntimeSeconds = round6(rep.RuntimeSeconds + r.RuntimeSeconds)
		for name, sec := range r.Timing {
			rep.Timing[name] = sec
		}
		for _, st := range Stages {
			owned := shard.Of(StageKey(st), n) == k
			if owned != slices.Contains(p.Stages, st) {
				return nil, fmt.Errorf("attacks: %s: shard %d of %d should run stage %s exactly when it owns it", dir, k, n, st)
			}
			if !owned {
				continue
			}
			missing := false
			switch st {
			case "noise":
				rep.Noise, missing = r.Noise, r.Noise == nil
			case "qr":
				rep.QR, missing = r.QR, r.QR == nil
			case "differential":
				rep.Differential, missing = r.Differential, r.Differential == nil
			case "chosen-plaintext":
				rep.Chosen = r.Chosen
			case "learned":
				rep.Learned = r.Learned
			case "brute-force":
				rep.Brute, missing = r.Brute, r.Brute == nil
			case "tamper":
				rep.Tamper = r.Tamper
			}
			if missing {
				return nil, fmt.Errorf("attacks: %s: stage %s missing from the partial report", dir, st)
			}
			for _, name := range p.Images[st] {
				g, err := readPNG(filepath.Join(dir, filepath.FromSlash(name)))
				if err != nil {
					return nil, err
				}
				switch st {
				case "noise":
					noiseImgs[name] = g
				case "differential":
					flipImgs[name] = g
				case "brute-force":
					wrong = g
				}
			}
		}
		if example == nil {
			for _, name := range p.Images[""] {
				if example, err = readPNG(filepath.Join(dir, filepath.FromSlash(name))); err != nil {
					return nil, err
				}
			}
		}
	}
	if example == nil {
		return nil, fmt.Errorf("attacks: no shard holds images/plaintext.png")
	}
	rep.Noise.exImgs, rep.Differential.flipImgs, rep.Brute.researchWrong = noiseImgs, flipImgs, wrong
	if err := rep.write(out, example); err != nil {
		return nil, err
	}
	return rep, nil
}
