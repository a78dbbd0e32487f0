package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	dkgtrain "github.com/medqr/medqr/train/deepkeygen"
	lstmtrain "github.com/medqr/medqr/train/lstm"
	saetrain "github.com/medqr/medqr/train/sae"
)

const trainCipherUsage = `Usage:
    medqr train-cipher --scheme deepkeygen|sae|lstm [--config FILE] [--set key=value]... [--resume] [--stop-at N] [--no-progress]

Train a learned baseline cipher's network (research).

RESEARCH-ONLY. Trains, with gorgonia, the network of one of the learned
image ciphers that "medqr cipher" reproduces for comparison
(docs/baselines.md): the DeepKeyGen key-image generator (a GAN, on the chest
X-ray training split), the SAE's stacked autoencoder or the LSTM (both on
logistic-map sequences). The config file (experiments/NAME.json) overrides
the package defaults; unknown fields are errors. The run folder (out/name)
receives run.json (effective config, code version), losses.csv,
checkpoint.gob and the weights file, which is also copied to the config's
export path (the shipped file).

Flags:
    --scheme NAME       deepkeygen, sae or lstm (required)
    --config FILE       experiment config (JSON)
    --set key=value     override one config field (repeatable), e.g. --set steps=200
    --resume            continue from the run folder's checkpoint
    --stop-at N         stop after step N as if interrupted (continue with --resume)
    --no-progress       no progress bar

Examples:
    medqr train-cipher --scheme lstm --config experiments/lstm.json
    medqr train-cipher --scheme deepkeygen --config experiments/deepkeygen.json --set steps=100
    medqr train-cipher --scheme deepkeygen --config experiments/deepkeygen.json --resume
`

func init() {
	register(&command{name: "train-cipher", usage: trainCipherUsage, run: withFlags(noArgs("train-cipher"), runTrainCipher),
		summary: "train a learned baseline cipher's network: deepkeygen, sae or lstm (research)"})
}

type trainCipherOptions struct {
	scheme, config     string
	sets               stringList
	resume, noProgress bool
	stopAt             int
}

func (o *trainCipherOptions) flags(fs *flag.FlagSet) {
	fs.StringVar(&o.scheme, "scheme", "", "")
	fs.StringVar(&o.config, "config", "", "")
	fs.Var(&o.sets, "set", "")
	fs.BoolVar(&o.resume, "resume", false, "")
	fs.BoolVar(&o.noProgress, "no-progress", false, "")
	fs.IntVar(&o.stopAt, "stop-at", 0, "")
}

func runTrainCipher(ctx context.Context, e *env, o trainCipherOptions, _ []string) error {
	opt := lstmtrain.Options{Resume: o.resume, Log: e.log, StopAt: o.stopAt}
	if !o.noProgress {
		opt.Progress = os.Stderr
	}
	var load cipherTrainer
	switch o.scheme {
	case "deepkeygen":
		load = trainerOf(dkgtrain.LoadConfig, dkgtrain.Train, func(c dkgtrain.Config) string { return c.Export })
	case "sae":
		load = trainerOf(saetrain.LoadConfig, saetrain.Train, func(c saetrain.Config) string { return c.Export })
	case "lstm":
		load = trainerOf(lstmtrain.LoadConfig, lstmtrain.Train, func(c lstmtrain.Config) string { return c.Export })
	case "":
		return usageError{"train-cipher needs --scheme deepkeygen, sae or lstm"}
	default:
		return withHint(fmt.Errorf("train-cipher: no trainable scheme %q", o.scheme), "use --scheme deepkeygen, sae or lstm")
	}
	export, train, err := load(o.config, o.sets)
	if err != nil {
		return withHint(err, "see the config fields in docs/baselines.md or experiments/%s.json", o.scheme)
	}
	out, err := train(ctx, opt)
	if errors.Is(err, lstmtrain.ErrStopped) {
		fmt.Fprintf(e.stdout, "stopped at step %d (continue with --resume)\n", o.stopAt)
		return nil
	}
	if err != nil {
		if !o.resume {
			return withHint(err, "if the run was interrupted, rerun with --resume to continue it")
		}
		return err
	}
	fmt.Fprintf(e.stdout, "weights: %s\n", out)
	if export != "" {
		fmt.Fprintf(e.stdout, "shipped weights: %s\n", export)
	}
	return nil
}

// cipherTrainer loads the config of one learned cipher's trainer (file,
// then key=value overrides) and returns the config's export path and the
// training run.
type cipherTrainer func(config string, sets []string) (export string, train func(context.Context, lstmtrain.Options) (string, error), err error)

// trainerOf makes the cipherTrainer of a trainer package from its
// LoadConfig, its Train and the export path of its config.
func trainerOf[C any](load func(string, []string) (C, error), train func(context.Context, C, lstmtrain.Options) (string, error), export func(C) string) cipherTrainer {
	return func(config string, sets []string) (string, func(context.Context, lstmtrain.Options) (string, error), error) {
		c, err := load(config, sets)
		if err != nil {
			return "", nil, err
		}
		return export(c), func(ctx context.Context, opt lstmtrain.Options) (string, error) { return train(ctx, c, opt) }, nil
	}
}
