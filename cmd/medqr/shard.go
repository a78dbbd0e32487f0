package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/medqr/medqr/attacks"
	"github.com/medqr/medqr/attacks/baselines"
	"github.com/medqr/medqr/data"
	"github.com/medqr/medqr/eval"
	"github.com/medqr/medqr/eval/rd"
	"github.com/medqr/medqr/eval/shard"
	"github.com/schollz/progressbar/v3"
)

// The --shard paths of "medqr eval" and "medqr attacks" (package
// eval/shard); "medqr merge" (cmd_merge.go) combines their folders.

// checkShardOut refuses to replace a shard folder's results without force.
func checkShardOut(dir string, force bool) error {
	return refuseReplace(dir, shard.FileMeta, "a shard's results", force)
}

func runEvalShard(ctx context.Context, e *env, o evalOptions, cfg eval.Config, subs []eval.Subject) error {
	if err := checkShardOut(o.out, o.force); err != nil {
		return err
	}
	start := time.Now()
	src, err := eval.OpenShardSource(cfg.Data, o.shard, "")
	if err != nil {
		return withHint(err, "set data.dir to a dataset folder with class subfolders (e.g. data/samples/kermany_cxr_224)")
	}
	defer src.Close()
	progress := func(int) {}
	if !o.noProgress {
		bar := progressbar.NewOptions(eval.ShardUnits(cfg, src, o.shard, len(subs)),
			progressbar.OptionSetWriter(e.stderr),
			progressbar.OptionSetDescription("eval "+o.shard.String()),
			progressbar.OptionShowCount(),
			progressbar.OptionThrottle(15*time.Second),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(e.stderr) }))
		progress = func(n int) { _ = bar.Add(n) }
	}
	p, err := eval.RunShard(ctx, cfg, src, subs, o.shard, 0, progress)
	if err != nil {
		return err
	}
	e.log.Infof("eval: shard %s evaluated %d of %d images", o.shard, len(p.Owned), len(p.Images))
	sec := time.Since(start).Seconds()
	if err := eval.WriteShard(o.out, p, o.shard, evalCodeVersion(), sec); err != nil {
		return err
	}
	e.log.Infof("eval: shard done in %.1f s", sec)
	fmt.Fprintf(e.stdout, "shard: %s\n", filepath.Join(o.out, shard.FileMeta))
	return nil
}

func runAttacksShard(ctx context.Context, e *env, o attacksOptions, cfg attacks.Config) error {
	if err := checkShardOut(o.out, o.force); err != nil {
		return err
	}
	opt := attacks.Options{Out: o.out, Code: codeVersion(), Quick: o.quick, Log: e.log.Infof}
	e.log.Infof("attacks: shard %s of the %s setting into %s", o.shard, map[bool]string{true: "quick", false: "full"}[o.quick], o.out)
	rep, err := attacks.RunShard(ctx, cfg, opt, o.shard)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "shard: %s\n", filepath.Join(o.out, shard.FileMeta))
	fmt.Fprintf(e.stdout, "runtime: %.1f s\n", rep.RuntimeSeconds)
	for _, t := range rep.Tamper {
		if t.Rate < 1 {
			return errors.New("attacks: a tampered message was accepted (see the tamper section of the merged report)")
		}
	}
	return nil
}

func runRDShard(ctx context.Context, e *env, cfg rd.Config, n int, s shard.Spec, out string, force bool) error {
	if err := checkShardOut(out, force); err != nil {
		return err
	}
	start := time.Now()
	src, err := eval.OpenShardSource(eval.DataConfig{Dir: cfg.Data, Split: cfg.Split, Size: data.DefaultSize, MaxImages: n}, s, "")
	if err != nil {
		return withHint(err, "pass --data a dataset folder with class subfolders (or its manifest)")
	}
	defer src.Close()
	e.log.Infof("rd: shard %s of the %d images of %s", s, src.Len(), cfg.Data)
	p, err := rd.RunShard(ctx, cfg, src, s)
	if err != nil {
		return err
	}
	sec := time.Since(start).Seconds()
	if err := rd.WriteShard(out, p, s, codeVersion(), sec); err != nil {
		return err
	}
	e.log.Infof("rd: shard %s coded %d of %d images in %.1f s", s, len(p.Owned), len(p.Images), sec)
	fmt.Fprintf(e.stdout, "shard: %s\n", filepath.Join(out, shard.FileMeta))
	return nil
}

func runBaselinesShard(ctx context.Context, e *env, o attacksBaselinesOptions, cfg baselines.Config) error {
	if err := checkShardOut(o.out, o.force); err != nil {
		return err
	}
	start := time.Now()
	// every image: the attacks and the damage need the first ones
	src, err := eval.OpenShardSource(cfg.Data, shard.Spec{}, "")
	if err != nil {
		return withHint(err, "run from the repository root, or set data.dir")
	}
	defer src.Close()
	p, ep, samples, err := baselines.RunShard(ctx, cfg, src, baselines.Options{Code: codeVersion(), Log: e.log.Infof}, o.shard)
	if err != nil {
		return err
	}
	plain, err := src.Image(0)
	if err != nil {
		return err
	}
	sec := time.Since(start).Seconds()
	if err := baselines.WriteShard(o.out, p, ep, samples, plain, o.shard, sec); err != nil {
		return err
	}
	e.log.Infof("baselines: shard %s ran %d of %d images and %d of %d schemes in %.1f s", o.shard, len(ep.Owned), len(ep.Images), len(p.Owned), len(p.Report.Schemes), sec)
	fmt.Fprintf(e.stdout, "shard: %s\n", filepath.Join(o.out, shard.FileMeta))
	return nil
}
