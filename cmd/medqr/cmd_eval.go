package main

import (
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/medqr/medqr/eval"
	"github.com/medqr/medqr/eval/shard"
	"github.com/schollz/progressbar/v3"
)

func init() {
	register(&command{
		name:    "eval",
		summary: "measure cipher-image statistics, sensitivity and fidelity (research)",
		usage: `Usage:
    medqr eval [--config FILE] [--set key=value]... [--quick] [-o DIR] [--force] [--no-progress] [--no-timing] [--shard I/N]

Measure cipher-image statistics, sensitivity and fidelity (research).

Runs the evaluation harness: NPCR/UACI (plaintext and key sensitivity, with
the critical values of Wu et al. 2011), global and local Shannon entropy,
adjacent-pixel correlation, histogram chi-square, and the fidelity of
decrypted images (PSNR, SSIM, MS-SSIM), on the research cipher-image scheme,
the product path, the codecs' bytes (learned, iwave) and three AES controls.
Every subject is seeded: the same config and code give the same numbers.

The config (default: built-in defaults; the full run uses
experiments/eval.json) names the data split, seed, subjects and trial
counts; --set overrides one field, with dotted keys for nested fields.

DIR (default results/eval) receives results.json (every number), run.json
(config, code version, runtime), summary.csv, per_image.csv,
sensitivity.csv, reference.csv, report.md and plots/*.png. An existing
results.json is only replaced with --force.

Flags:
    --config FILE       evaluation config (JSON)
    --set key=value     override one config field (repeatable), e.g.
                        --set data.max_images=20 --set subjects=aes-256-gcm,aes-ecb
    --quick             smoke-test settings (4 images, few trials)
    -o, --output DIR    output folder (default results/eval)
    --force             replace existing results in DIR
    --no-progress       no progress bar
    --no-timing         leave the start time and seconds out of run.json, so
                        that a rerun of the same code repeats every file
    --shard I/N         evaluate only the images that shard I of N owns
                        (chosen by content hash), streamed from that shard's
                        dataset cache, into DIR/partial.json and
                        DIR/shard.json; "medqr merge" combines the N shard
                        folders (docs/scale.md)

Examples:
    medqr eval --quick -o /tmp/eval-quick
    medqr eval --config experiments/eval.json -o results/eval --force
    medqr eval --config experiments/eval.json --shard 1/4 -o shard1
`,
		run: withFlags(noArgs("eval"), runEval),
	})
}

type evalOptions struct {
	config     string
	sets       stringList
	quick      bool
	out        string
	force      bool
	noProgress bool
	noTiming   bool
	shard      shard.Spec
}

func (o *evalOptions) flags(fs *flag.FlagSet) {
	fs.StringVar(&o.config, "config", "", "")
	fs.Var(&o.sets, "set", "")
	fs.BoolVar(&o.quick, "quick", false, "")
	aliasVar(fs, &o.out, "results/eval", "o", "output")
	fs.BoolVar(&o.force, "force", false, "")
	fs.BoolVar(&o.noProgress, "no-progress", false, "")
	fs.BoolVar(&o.noTiming, "no-timing", false, "")
	fs.Var(&o.shard, "shard", "")
}

func runEval(ctx context.Context, e *env, o evalOptions, _ []string) error {
	sets := []string(o.sets)
	if o.quick {
		sets = append(append([]string{}, eval.QuickOverrides...), sets...)
	}
	cfg, err := eval.LoadConfig(o.config, sets)
	if err != nil {
		return withHint(err, "see experiments/eval.json and docs/eval.md for the config fields")
	}
	if err := refuseReplace(o.out, eval.FileJSON, "results", o.force); err != nil {
		return err
	}

	info := eval.NewRunInfo(evalCodeVersion(), o.config, sets, cfg)
	started := info.Started
	if o.noTiming {
		info.Started = time.Time{}
	}
	e.log.WithField("code", info.CodeVersion).WithField("seed", cfg.Seed).WithField("subjects", cfg.Subjects).
		WithField("data", cfg.Data.Dir+":"+cfg.Data.Split).Info("eval: starting")
	e.log.Debugf("eval: effective config %+v", cfg)

	subs := make([]eval.Subject, 0, len(cfg.Subjects))
	for _, n := range cfg.Subjects {
		s, err := eval.NewSubject(n, eval.SubjectEnv{QRLevel: cfg.QRLevel})
		if err != nil {
			return withHint(fmt.Errorf("subject %s is unavailable: %w", n, err), "leave it out with --set subjects=... (available: %v)", eval.SubjectNames())
		}
		subs = append(subs, s)
	}
	if o.shard.Enabled() {
		return runEvalShard(ctx, e, o, cfg, subs)
	}
	images, err := eval.LoadImages(cfg.Data, "")
	if err != nil {
		return withHint(err, "set data.dir to a dataset folder with class subfolders (e.g. data/samples/kermany_cxr_224)")
	}
	info.Images = len(images)
	info.Inputs = map[string]string{}
	for _, f := range []string{"model/weights/default.mqw"} {
		if b, err := os.ReadFile(f); err == nil {
			info.Inputs[f] = fmt.Sprintf("%x", sha256.Sum256(b))
		}
	}
	e.log.Infof("eval: %d images of the %s split, %d subjects", len(images), cfg.Data.Split, len(subs))

	progress := func(int) {}
	if !o.noProgress {
		// redraw often on a terminal, rarely into a log file
		throttle := 15 * time.Second
		if f, ok := e.stderr.(*os.File); ok && isTerminal(f) {
			throttle = 300 * time.Millisecond
		}
		bar := progressbar.NewOptions(eval.Units(cfg, len(images), len(subs)),
			progressbar.OptionSetWriter(e.stderr),
			progressbar.OptionSetDescription("eval"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(throttle),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(e.stderr) }))
		progress = func(n int) { _ = bar.Add(n) }
	}
	res, err := eval.Run(ctx, cfg, images, subs, progress)
	if err != nil {
		return err
	}
	if err := eval.WriteResults(o.out, res); err != nil {
		return err
	}
	info.Files = []string{eval.FileJSON, eval.FileRunInfo, eval.FileSummaryCSV, eval.FilePerImageCSV, eval.FileTrialsCSV, eval.FileRefCSV, eval.FileReport}
	if cfg.Plots {
		plots, err := eval.WritePlots(o.out, res)
		if err != nil {
			return err
		}
		info.Files = append(info.Files, plots...)
	}
	secs := time.Since(started).Seconds()
	if !o.noTiming {
		info.Seconds = secs
	}
	if err := eval.WriteRunInfo(o.out, info); err != nil {
		return err
	}
	e.log.Infof("eval: done in %.1f s", secs)
	fmt.Fprintf(e.stdout, "results: %s\n", filepath.Join(o.out, eval.FileReport))
	return nil
}

// evalCodeVersion is codeVersion with "+dirty" when any tracked file has
// uncommitted changes, for a binary without a VCS stamp
// (GOFLAGS=-buildvcs=false, "go run", "go test"): its revision is then "git
// rev-parse HEAD", and only changes under train's paths mark it dirty,
// while eval's results depend on the whole tree. A stamped binary says
// itself whether its tree was modified, and a build from a clean export
// (make eval-quick) names its commit alone: in both the working tree is not
// the binary's source.
func evalCodeVersion() string {
	v := codeVersion()
	if buildRevision != "" || vcsStamped() || v == "unknown" || strings.HasSuffix(v, "+dirty") {
		return v
	}
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(strings.TrimSpace(string(st))) > 0 {
		v += "+dirty"
	}
	return v
}

// vcsStamped reports whether the binary carries the revision it was built
// from (Go's vcs.revision build setting).
func vcsStamped() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			return true
		}
	}
	return false
}
