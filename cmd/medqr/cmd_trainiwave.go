package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/medqr/medqr/data"
	iwtrain "github.com/medqr/medqr/train/iwave"
)

func init() {
	register(&command{
		name:    "train-iwave",
		summary: "train the iwave codec's learned lifting steps and post-filter with gorgonia; RD table (research)",
		usage: `Usage:
    medqr train-iwave [--config FILE] [--set key=value]... [--resume] [--stop-at N] [--no-progress]
    medqr train-iwave --rd DIR [--data SRC] [--split test] [--images N] [--ext]

Train the iwave codec (research).

Trains package model/iwave from a config file (experiments/iwave.json;
unknown fields are errors) in two stages: the learned predict steps of the
lifting transform (written to lift.export), then the decoder-side
post-filter on images coded with them (written to export). The run folder
(out/name) receives run.json (effective config, code version), losses and
validation curves (CSV, JSON, PNG), checkpoint.gob and best.iwq, and lift/
for the first stage (report.md, losses, lift.iwl).

--rd DIR codes the split's images with iwave, the learned codec and Go's
image/jpeg (and, with --ext, libjpeg and JPEG 2000 from Debian) at every QR
v40 level's budget and writes DIR/rd.{json,md,csv}.

Flags:
    --config FILE       experiment config (JSON)
    --set key=value     override one config field (repeatable; dotted keys,
                        e.g. --set filter.channels=24 --set lift.steps=2000)
    --resume            continue an interrupted run (finished lifting
                        networks are kept)
    --stop-at N         stop after step N as if interrupted
    --no-progress       no progress bar
    --rd DIR            write the rate-distortion table into DIR instead of
                        training
    --data SRC          dataset for --rd (default data/samples/kermany_cxr_224)
    --split NAME        split for --rd (default test)
    --images N          at most N images for --rd (0: all)
    --ext               with --rd, add libjpeg (cjpeg) and JPEG 2000
                        (opj_compress)

Examples:
    medqr train-iwave --config experiments/iwave.json
    medqr train-iwave --rd results/iwave/rd --ext
`,
		run: runTrainIWave,
	})
}

func runTrainIWave(ctx context.Context, e *env, args []string) error {
	var (
		config, rd, src, split string
		sets                   stringList
		resume, noProgress     bool
		ext                    bool
		stopAt, images         int
	)
	fs := newFlagSet("train-iwave")
	fs.StringVar(&config, "config", "", "experiment config file (JSON)")
	fs.Var(&sets, "set", "override one config field: key=value (repeatable)")
	fs.BoolVar(&resume, "resume", false, "resume from the run folder's checkpoint")
	fs.BoolVar(&noProgress, "no-progress", false, "no progress bar")
	fs.IntVar(&stopAt, "stop-at", 0, "stop after this step as if interrupted (continue with -resume)")
	fs.StringVar(&rd, "rd", "", "write the rate-distortion table into this folder instead of training")
	fs.StringVar(&src, "data", "data/samples/kermany_cxr_224", "dataset for -rd")
	fs.StringVar(&split, "split", "test", "split for -rd")
	fs.IntVar(&images, "images", 0, "at most this many images for -rd (0: all)")
	fs.BoolVar(&ext, "ext", false, "with -rd, add libjpeg (cjpeg) and JPEG 2000 (opj_compress)")
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{fmt.Sprintf("train-iwave takes no arguments, got %q", rest)}
	}
	if rd != "" {
		imgs, err := data.LoadSplit(src, split, data.DefaultSize)
		if err != nil {
			return err
		}
		if images > 0 && len(imgs) > images {
			imgs = imgs[:images]
		}
		rep, err := iwtrain.RD(imgs, ext, e.log)
		if err != nil {
			return withHint(err, "run scripts/deps.sh results to install the Debian codecs, or drop -ext")
		}
		rep.Data, rep.Split = src, split
		if err := iwtrain.WriteRD(rd, rep); err != nil {
			return err
		}
		for _, r := range rep.Rows {
			fmt.Fprintf(e.stdout, "%s %-8s %4d B  PSNR %.2f dB (median %.2f)  SSIM %.4f  fails %d\n", r.Level, r.Codec, r.Budget, r.MeanPSNR, r.MedianPSNR, r.MeanSSIM, r.Fails)
		}
		fmt.Fprintf(e.stdout, "wrote %s/rd.{json,md,csv}\n", rd)
		return nil
	}
	cfg, err := iwtrain.LoadConfig(config, sets)
	if err != nil {
		return withHint(err, "see README.md for the fields")
	}
	opt := iwtrain.Options{Resume: resume, Log: e.log, StopAt: stopAt}
	if !noProgress {
		opt.Progress = os.Stderr
	}
	dir, err := iwtrain.Run(ctx, cfg, opt)
	if errors.Is(err, iwtrain.ErrStopped) {
		fmt.Fprintf(e.stdout, "stopped at step %d: %s (continue with -resume)\n", stopAt, dir)
		return nil
	}
	if err != nil {
		if dir != "" && !resume {
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
