package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"time"

	"github.com/medqr/medqr/attacks"
	"github.com/medqr/medqr/attacks/baselines"
	"github.com/medqr/medqr/eval"
	"github.com/medqr/medqr/eval/rd"
	"github.com/medqr/medqr/eval/shard"
)

func init() {
	register(&command{
		name:    "merge",
		summary: "merge the shard folders of a sharded eval, attacks, rd or baselines run (research)",
		usage: `Usage:
    medqr merge -o DIR [--force] SHARD_DIR...

Combines the folders written by "medqr eval --shard I/N", "medqr attacks
--shard I/N", "medqr rd --shard I/N" or "medqr attacks baselines --shard
I/N" (shards 0..N-1 of one run) into DIR: the same results.json, CSV
files, report.md and plots (eval), report.json, report.md, plots and
images (attacks, baselines), or rd.json, CSV files, rd.md and plots (rd),
as one unsharded run, byte for byte apart from timings. Statistics are
recomputed from every image's and trial's numbers (and rd's byte
statistics from their integer sums), never averaged over shards.

It refuses shards of different runs (another config or code version), a
shard given twice, and a missing shard, naming its number. See
docs/scale.md.

Flags:
    -o, --output DIR   folder for the merged results (created)
    --force            replace results already in DIR

Examples:
    medqr eval --quick --shard 0/2 -o shards/0 && medqr eval --quick --shard 1/2 -o shards/1
    medqr merge -o results/eval-quick shards/0 shards/1
`,
		run: withFlags(anyArgs, runMerge),
	})
}

type mergeOptions struct {
	out   string
	force bool
}

func (o *mergeOptions) flags(fs *flag.FlagSet) {
	aliasVar(fs, &o.out, "", "o", "output")
	fs.BoolVar(&o.force, "force", false, "")
}

func runMerge(ctx context.Context, e *env, o mergeOptions, dirs []string) error {
	if o.out == "" {
		return usageError{"merge needs -o DIR, the folder for the merged results"}
	}
	if len(dirs) == 0 {
		return usageError{"merge needs the shard folders, e.g. medqr merge -o DIR shards/*"}
	}
	meta, err := shard.ReadMeta(dirs[0])
	if err != nil {
		return withHint(err, "pass the folders written by a run with --shard I/N (eval, attacks, rd, attacks baselines)")
	}
	hint := func(err error) error {
		var miss *shard.MissingError
		var dup *shard.DuplicateError
		var mis *shard.MismatchError
		switch {
		case errors.As(err, &miss):
			return withHint(err, "run the missing shard with --shard %d/%d and pass its folder too", miss.Shards[0], miss.Count)
		case errors.As(err, &dup):
			return withHint(err, "pass each shard's folder once")
		case errors.As(err, &mis):
			return withHint(err, "rerun every shard with the same config and the same medqr binary")
		}
		return err
	}
	m, ok := mergers[meta.Kind]
	if !ok {
		return fmt.Errorf("%s: shards of a %q run cannot be merged by this medqr", dirs[0], meta.Kind)
	}
	if err := refuseReplace(o.out, m.results, "results", o.force); err != nil {
		return err
	}
	return m.merge(e, o, dirs, hint)
}

// mergers are the kinds of sharded run that merge combines: the results
// file a merged folder must not already hold (without --force), and the
// merge, whose errors go through hint.
var mergers = map[string]struct {
	results string
	merge   func(e *env, o mergeOptions, dirs []string, hint func(error) error) error
}{
	eval.ShardKind:      {eval.FileJSON, mergeEval},
	attacks.ShardKind:   {"report.json", mergeAttacks},
	baselines.ShardKind: {baselines.FileJSON, mergeBaselines},
	rd.ShardKind:        {rd.Files[0], mergeRD},
}

func mergeAttacks(e *env, o mergeOptions, dirs []string, hint func(error) error) error {
	rep, err := attacks.MergeShards(o.out, dirs)
	if err != nil {
		return hint(err)
	}
	fmt.Fprintf(e.stdout, "report: %s\n", filepath.Join(o.out, "report.md"))
	fmt.Fprintf(e.stdout, "runtime: %.1f s over the shards\n", rep.RuntimeSeconds)
	return nil
}

func mergeBaselines(e *env, o mergeOptions, dirs []string, hint func(error) error) error {
	if _, _, err := baselines.MergeShards(o.out, dirs); err != nil {
		return hint(err)
	}
	fmt.Fprintf(e.stdout, "report: %s\n", filepath.Join(o.out, baselines.FileMarkdown))
	return nil
}

func mergeEval(e *env, o mergeOptions, dirs []string, hint func(error) error) error {
	start := time.Now()
	res, metas, err := eval.MergeShards(dirs)
	if err != nil {
		return hint(err)
	}
	if err := eval.WriteResults(o.out, res); err != nil {
		return err
	}
	info := eval.NewRunInfo(metas[0].Code, "", []string{"merged from " + fmt.Sprint(len(metas)) + " shards"}, res.Config)
	info.Started = start.UTC()
	info.Images = len(res.Images)
	info.Files = []string{eval.FileJSON, eval.FileRunInfo, eval.FileSummaryCSV, eval.FilePerImageCSV, eval.FileTrialsCSV, eval.FileRefCSV, eval.FileReport}
	if res.Config.Plots {
		plots, err := eval.WritePlots(o.out, res)
		if err != nil {
			return err
		}
		info.Files = append(info.Files, plots...)
	}
	for _, m := range metas {
		info.Seconds += m.Seconds
	}
	if err := eval.WriteRunInfo(o.out, info); err != nil {
		return err
	}
	e.log.Infof("merge: %d shards, %d images, %.1f s of shard time", len(metas), len(res.Images), info.Seconds)
	fmt.Fprintf(e.stdout, "results: %s\n", filepath.Join(o.out, eval.FileReport))
	return nil
}

func mergeRD(e *env, o mergeOptions, dirs []string, hint func(error) error) error {
	start := time.Now()
	rep, metas, err := rd.MergeShards(dirs)
	if err != nil {
		return hint(err)
	}
	if err := rd.Write(o.out, rep); err != nil {
		return err
	}
	var wall time.Duration
	for _, m := range metas {
		wall += time.Duration(m.Seconds * float64(time.Second))
	}
	cmd := append([]string{"medqr", "merge", "-o", o.out}, dirs...)
	if err := writeRDRunInfo(o.out, rep, cmd, metas[0].Code, 0, start, wall); err != nil {
		return err
	}
	e.log.Infof("merge: %d rd shards, %d images, %.1f s of shard time", len(metas), len(rep.Images), wall.Seconds())
	printRDSummary(e, o.out, rep)
	return nil
}
