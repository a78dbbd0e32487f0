package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"

	"github.com/medqr/medqr/attacks/baselines"
	"github.com/medqr/medqr/eval"
	"github.com/medqr/medqr/eval/shard"
)

const attacksBaselinesUsage = `Usage:
    medqr attacks baselines [--quick] [--config FILE] [--set key=value]... [--shard I/N] -o DIR [--force]

Measure and attack every cipher-image scheme (research).

Runs every registered cipher-image scheme ("medqr cipher schemes") through the
statistics battery of "medqr eval" (NPCR/UACI with Wu's critical values,
entropy, local entropy, correlation, chi-square, exact round trip), damage of
the cipher image (noise, zeroed block, JPEG), a throughput measurement beside
AES-256-GCM and every attack registered for it, and writes DIR/report.md,
DIR/report.json, DIR/stats/ (the battery's files and plots) and DIR/samples/
(plain, cipher and recovered images). RESEARCH-ONLY.

The run is seeded: the same config and code give the same report.json except
the fields under "timing". --quick is the small setting "make test" runs;
--config reads a JSON file over the defaults (experiments/baselines.json;
unknown keys are errors) and --set overrides one field.

Flags:
    --quick              small setting (32x32 images, a few trials)
    --config FILE        JSON config over the defaults
    --set key=value      override one field (repeatable), e.g. --set data.max_images=4
    -o, --output DIR     report folder (required)
    --force              replace an existing report in DIR
    --shard I/N          run shard I of N: the statistics on the images it
                         owns (by content hash) and the damage, throughput
                         and attacks of the schemes it owns, into DIR's
                         partial results and shard.json; "medqr merge"
                         combines the N folders into the files above

Examples:
    medqr attacks baselines --config experiments/baselines.json -o results/baselines --force
    medqr attacks baselines --quick -o /tmp/baselines
    medqr attacks baselines --quick --shard 0/2 -o shards/0
`

var attacksBaselinesCommand = &command{
	name:  "baselines",
	usage: attacksBaselinesUsage,
	run:   withFlags(noArgs("attacks baselines"), runAttacksBaselines),
}

type attacksBaselinesOptions struct {
	reportOptions
	shard shard.Spec
}

func (o *attacksBaselinesOptions) flags(fs *flag.FlagSet) {
	o.reportOptions.flags(fs)
	fs.Var(&o.shard, "shard", "")
}

func runAttacksBaselines(ctx context.Context, e *env, o attacksBaselinesOptions, _ []string) error {
	cfg, err := loadConfig("attacks baselines", o.reportOptions, baselines.DefaultConfig, baselines.QuickConfig, baselines.LoadConfig,
		"see docs/baselines.md for the fields; unknown keys are errors")
	if err != nil {
		return err
	}
	if o.shard.Enabled() {
		return runBaselinesShard(ctx, e, o, cfg)
	}
	if err := refuseReplace(o.out, baselines.FileJSON, "a baselines report", o.force); err != nil {
		return err
	}
	images, err := eval.LoadImages(cfg.Data, "")
	if err != nil {
		return withHint(err, "run from the repository root, or set data.dir")
	}
	rep, res, samples, err := baselines.Run(ctx, cfg, images, baselines.Options{Code: codeVersion(), Log: e.log.Infof})
	if err != nil {
		return err
	}
	if err := baselines.Write(o.out, rep, res, samples, images[0].Gray); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "report: %s\n", filepath.Join(o.out, baselines.FileMarkdown))
	return nil
}
