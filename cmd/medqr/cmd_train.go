package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/medqr/medqr/codec"
	"github.com/medqr/medqr/data"
	"github.com/medqr/medqr/model"
	"github.com/medqr/medqr/seal"
	"github.com/medqr/medqr/train"
)

func init() {
	register(&command{
		name:    "train",
		summary: "train the learned codec with gorgonia (research)",
		usage: `Usage:
    medqr train [--config FILE] [--set key=value]... [--resume] [--stop-at N] [--no-progress]
    medqr train --rd DIR [--weights FILE] [--data SRC] [--split test] [--images N]
    medqr train --ablation DIR [--data SRC] [--images N] RUNDIR...

Train the learned codec (research).

Trains from a config file in experiments/ (defaults for every field live in
package train; unknown fields are errors). The run folder (out/name)
receives the effective config with seed and code version, logs, loss and
validation curves (CSV, JSON, PNG), checkpoints and best.mqw; "export" (if
set) receives the best weights too.

--rd DIR evaluates the learned codec (the embedded weights, or --weights
FILE) against Go's image/jpeg at every QR v40 level's byte budget on the
held-out split and writes DIR/learned_vs_gojpeg.{json,md,png}.

--ablation DIR scores the best weights of each RUNDIR on the validation
split (fidelity at every level, PSNR with 5 % of the latent values erased,
code byte statistics) and writes DIR/ablation.{json,md}.

Flags:
    --config FILE       experiment config (JSON)
    --set key=value     override one config field after the file (repeatable;
                        dotted keys for nested fields, e.g. --set loss.ssim=0)
    --resume            continue an interrupted run from its checkpoint
    --stop-at N         stop after step N as if interrupted (checkpoint saved)
    --no-progress       no progress bar
    --rd DIR            evaluate rate-distortion into DIR instead of training
    --weights FILE      weights for --rd (default: the embedded weights)
    --ablation DIR      score the run folders given as arguments into DIR
    --data SRC          dataset for --rd and --ablation (default
                        data/samples/kermany_cxr_224)
    --split NAME        split for --rd (default test)
    --images N          at most N images for --rd and --ablation (0: all)

Examples:
    medqr train --config experiments/default.json
    medqr train --config experiments/default.json --set steps=200 --resume
    medqr train --rd results/codec
`,
		run: runTrain,
	})
}

type trainOptions struct {
	config     string
	sets       stringList
	resume     bool
	noProgress bool
	rd         string
	weights    string
	data       string
	split      string
	images     int
	ablation   string
	stopAt     int
}

func runTrain(ctx context.Context, e *env, args []string) error {
	var o trainOptions
	fs := newFlagSet("train")
	fs.StringVar(&o.config, "config", "", "experiment config file (JSON)")
	fs.Var(&o.sets, "set", "override one config field: key=value (repeatable)")
	fs.BoolVar(&o.resume, "resume", false, "resume from the run folder's checkpoint")
	fs.BoolVar(&o.noProgress, "no-progress", false, "no progress bar")
	fs.IntVar(&o.stopAt, "stop-at", 0, "stop after this step as if interrupted (checkpoint saved; continue with -resume)")
	fs.StringVar(&o.rd, "rd", "", "evaluate rate-distortion into this folder instead of training")
	fs.StringVar(&o.weights, "weights", "", "weights file for -rd (default: the embedded weights)")
	fs.StringVar(&o.data, "data", "data/samples/kermany_cxr_224", "dataset for -rd")
	fs.StringVar(&o.split, "split", "test", "split for -rd")
	fs.IntVar(&o.images, "images", 0, "at most this many images for -rd/-ablation (0: all)")
	fs.StringVar(&o.ablation, "ablation", "", "score the run folders given as arguments into this folder")
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	switch {
	case o.rd != "" && o.ablation != "":
		return usageError{"-rd and -ablation are exclusive"}
	case o.ablation != "":
		return runAblation(e, o, rest)
	case len(rest) > 0:
		return usageError{fmt.Sprintf("train takes no arguments, got %q", rest)}
	case o.rd != "":
		return runRD(e, o)
	}
	cfg, err := train.LoadConfig(o.config, o.sets)
	if err != nil {
		return withHint(err, "see experiments/README.md for the fields")
	}
	opt := train.Options{Resume: o.resume, Log: e.log, StopAt: o.stopAt}
	if !o.noProgress {
		opt.Progress = os.Stderr
	}
	dir, err := train.Run(ctx, cfg, opt)
	if errors.Is(err, train.ErrStopped) {
		fmt.Fprintf(e.stdout, "stopped at step %d: %s (continue with -resume)\n", o.stopAt, dir)
		return nil
	}
	if err != nil {
		if dir != "" && !o.resume {
			return withHint(err, "rerun with -resume to continue from %s", dir)
		}
		return err
	}
	fmt.Fprintf(e.stdout, "run folder: %s\n", dir)
	if cfg.Export != "" {
		fmt.Fprintf(e.stdout, "best weights: %s\n", cfg.Export)
	}
	return nil
}

func runRD(e *env, o trainOptions) error {
	var lc *codec.Learned
	var wb []byte
	var err error
	if o.weights != "" {
		wb, err = os.ReadFile(o.weights)
		if err == nil {
			lc, err = codec.NewLearnedFromWeights(wb)
		}
	} else {
		lc, err = codec.DefaultLearned()
	}
	if err != nil {
		return withHint(err, "run `make train-learned` to regenerate the weights")
	}
	imgs, err := data.LoadSplit(o.data, o.split, data.DefaultSize)
	if err != nil {
		return err
	}
	if o.images > 0 && len(imgs) > o.images {
		imgs = imgs[:o.images]
	}
	e.log.Infof("rd: %d %s images from %s", len(imgs), o.split, o.data)
	start := time.Now()
	rows, err := train.CompareRD([]codec.Codec{lc, codec.JPEG{}}, imgs, 2)
	if err != nil {
		return err
	}
	sum := model.DefaultWeightsSHA256()
	if wb != nil {
		sum = sha256.Sum256(wb)
	}
	rep := train.RDReport{Data: o.data, Split: o.split, Images: len(imgs), Size: data.DefaultSize,
		Overhead: seal.Overhead(seal.ModeKey), WeightsSHA: hex.EncodeToString(sum[:]),
		CodeVersion: train.CodeVersion(), Seconds: time.Since(start).Seconds(), Rows: rows}
	if err := train.WriteRD(o.rd, "learned_vs_gojpeg", rep); err != nil {
		return err
	}
	for _, r := range rows {
		fmt.Fprintf(e.stdout, "%s %-8s %4d B  PSNR %.2f dB (median %.2f)  SSIM %.4f  fails %d\n", r.Level, r.Codec, r.Budget, r.MeanPSNR, r.MedianPSNR, r.MeanSSIM, r.Fails)
	}
	fmt.Fprintf(e.stdout, "wrote %s/learned_vs_gojpeg.{json,md,png}\n", o.rd)
	return nil
}

func runAblation(e *env, o trainOptions, runs []string) error {
	if len(runs) == 0 {
		return usageError{"-ablation needs at least one run folder"}
	}
	split := o.split
	if split == "test" {
		split = "val" // ablations choose between settings: never on the test split
	}
	imgs, err := data.LoadSplit(o.data, split, data.DefaultSize)
	if err != nil {
		return err
	}
	if o.images > 0 && len(imgs) > o.images {
		imgs = imgs[:o.images]
	}
	rows, err := train.Ablate(runs, imgs, 0.05)
	if err != nil {
		return err
	}
	note := fmt.Sprintf("%d images of the %s split of %s, 256x256; each run's best.mqw. Code %s.", len(imgs), split, o.data, train.CodeVersion())
	if err := train.WriteAblation(o.ablation, rows, note); err != nil {
		return err
	}
	for _, r := range rows {
		fmt.Fprintf(e.stdout, "%-22s PSNR M %.2f dB, erased %.2f dB (drop %.2f), byte entropy %.4f, lag-1 %.4f, latent |r| %.3f\n",
			r.Run, r.Levels["M"].PSNR, r.PSNRErased, r.ErasureDrop, r.ByteEntropy, r.ByteLag1, r.LatentChanCor)
	}
	return nil
}
