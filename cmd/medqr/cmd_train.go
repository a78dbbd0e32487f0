package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
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
		run: withFlags(anyArgs, runTrain),
	})
}

// trainRunOptions are the flags "medqr train" and "medqr train-iwave" share.
type trainRunOptions struct {
	config, rd, data, split string
	sets                    stringList
	resume, noProgress      bool
	stopAt, images          int
}

func (o *trainRunOptions) flags(fs *flag.FlagSet) {
	fs.StringVar(&o.config, "config", "", "")
	fs.Var(&o.sets, "set", "")
	fs.BoolVar(&o.resume, "resume", false, "")
	fs.BoolVar(&o.noProgress, "no-progress", false, "")
	fs.IntVar(&o.stopAt, "stop-at", 0, "")
	fs.StringVar(&o.rd, "rd", "", "")
	fs.StringVar(&o.data, "data", "data/samples/kermany_cxr_224", "")
	fs.StringVar(&o.split, "split", "test", "")
	fs.IntVar(&o.images, "images", 0, "")
}

// loadImages loads split of the dataset o.data, at most o.images of them
// (0: all).
func (o *trainRunOptions) loadImages(split string) ([]*image.Gray, error) {
	imgs, err := data.LoadSplit(o.data, split, data.DefaultSize)
	if err != nil {
		return nil, err
	}
	if o.images > 0 && len(imgs) > o.images {
		imgs = imgs[:o.images]
	}
	return imgs, nil
}

// progress is where the progress bar goes: stderr, or nowhere with
// --no-progress.
func (o *trainRunOptions) progress() io.Writer {
	if o.noProgress {
		return nil
	}
	return os.Stderr
}

// finish reports the end of a training run in dir: stopped by --stop-at
// (err is the trainer's stopped sentinel), failed (with a --resume hint
// when the run folder exists), or done, naming the exported weights.
func (o *trainRunOptions) finish(e *env, dir, export string, err, stopped error) error {
	if errors.Is(err, stopped) {
		fmt.Fprintf(e.stdout, "stopped at step %d: %s (continue with --resume)\n", o.stopAt, dir)
		return nil
	}
	if err != nil {
		if dir != "" && !o.resume {
			return withHint(err, "rerun with --resume to continue from %s", dir)
		}
		return err
	}
	fmt.Fprintf(e.stdout, "run folder: %s\n", dir)
	if export != "" {
		fmt.Fprintf(e.stdout, "best weights: %s\n", export)
	}
	return nil
}

type trainOptions struct {
	trainRunOptions
	weights  string
	ablation string
}

func (o *trainOptions) flags(fs *flag.FlagSet) {
	o.trainRunOptions.flags(fs)
	fs.StringVar(&o.weights, "weights", "", "")
	fs.StringVar(&o.ablation, "ablation", "", "")
}

func runTrain(ctx context.Context, e *env, o trainOptions, rest []string) error {
	switch {
	case o.rd != "" && o.ablation != "":
		return usageError{"--rd and --ablation are exclusive"}
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
	opt := train.Options{Resume: o.resume, Log: e.log, StopAt: o.stopAt, Progress: o.progress()}
	dir, err := train.Run(ctx, cfg, opt)
	return o.finish(e, dir, cfg.Export, err, train.ErrStopped)
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
	imgs, err := o.loadImages(o.split)
	if err != nil {
		return err
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
		return usageError{"--ablation needs at least one run folder"}
	}
	split := o.split
	if split == "test" {
		split = "val" // ablations choose between settings: never on the test split
	}
	imgs, err := o.loadImages(split)
	if err != nil {
		return err
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
