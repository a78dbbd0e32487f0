package main

import (
	"context"
	"flag"
	"fmt"

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
		run: withFlags(noArgs("train-iwave"), runTrainIWave),
	})
}

type trainIWaveOptions struct {
	trainRunOptions
	ext bool
}

func (o *trainIWaveOptions) flags(fs *flag.FlagSet) {
	o.trainRunOptions.flags(fs)
	fs.BoolVar(&o.ext, "ext", false, "")
}

func runTrainIWave(ctx context.Context, e *env, o trainIWaveOptions, _ []string) error {
	if o.rd != "" {
		imgs, err := o.loadImages(o.split)
		if err != nil {
			return err
		}
		rep, err := iwtrain.RD(imgs, o.ext, e.log)
		if err != nil {
			return withHint(err, "run scripts/deps.sh results to install the Debian codecs, or drop --ext")
		}
		rep.Data, rep.Split = o.data, o.split
		if err := iwtrain.WriteRD(o.rd, rep); err != nil {
			return err
		}
		for _, r := range rep.Rows {
			fmt.Fprintf(e.stdout, "%s %-8s %4d B  PSNR %.2f dB (median %.2f)  SSIM %.4f  fails %d\n", r.Level, r.Codec, r.Budget, r.MeanPSNR, r.MedianPSNR, r.MeanSSIM, r.Fails)
		}
		fmt.Fprintf(e.stdout, "wrote %s/rd.{json,md,csv}\n", o.rd)
		return nil
	}
	cfg, err := iwtrain.LoadConfig(o.config, o.sets)
	if err != nil {
		return withHint(err, "see docs/codec.md (iwave, \"Config\") for the fields")
	}
	opt := iwtrain.Options{Resume: o.resume, Log: e.log, StopAt: o.stopAt, Progress: o.progress()}
	dir, err := iwtrain.Run(ctx, cfg, opt)
	return o.finish(e, dir, cfg.Export, err, iwtrain.ErrStopped)
}
