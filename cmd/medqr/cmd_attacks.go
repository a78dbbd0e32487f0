package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/medqr/medqr/attacks"
	"github.com/medqr/medqr/eval/shard"
)

const attacksUsage = `Usage:
    medqr attacks [--quick] [--config FILE] [--set key=value]... -o DIR [--force] [--no-progress] [--shard I/N]
    medqr attacks --render DIR
    medqr attacks break --scheme NAME -k KEY --target CIPHER.png -o RECOVERED.png [--json]
    medqr attacks baselines [--quick] [--config FILE] -o DIR [--force]

Run the attack suite and write the attack report (research).

Runs every attack of the suite (package attacks) and writes DIR/report.md,
DIR/report.json (every number), the plots and example images:
  1. noise, zeroed blocks and JPEG on the research cipher image, AES-CTR reference
  2. the same damage on the product path's QR symbols, per error-correction level
  3. NPCR/UACI distributions (Wu 2011 critical values), key one bit off
  4. classical chosen-plaintext attacks (substitution tables; coupling
     inversion of the diffusion-off variant) and a learned (gorgonia)
     known-plaintext attack
  5. brute force: key space per key mode, measured cost of one key trial
  6. tamper: bit flips, truncations, header splices, symbol swaps on sealed messages

The run is seeded: the same config gives the same report.json except the
measured timings (research keys, nonces and the message ids of the
containers it seals come from seeded streams; the product never does this).
"attacks break" runs one scheme's concrete attack on one cipher image
("medqr help attacks break"; docs/baselines.md); "attacks baselines"
measures and attacks every cipher-image scheme ("make baselines").

Flags:
    --quick             start from the small setting "make test" runs (tens of
                        seconds); without it the full setting
                        (experiments/attacks.json, several minutes)
    --config FILE       JSON config over that base (unknown keys are errors)
    --set key=value     override one field with a dotted key (repeatable),
                        e.g. --set tamper.trials=1000
    -o, --output DIR    report folder (required)
    --force             replace an existing report in DIR
    --no-progress       no progress bar
    --render DIR        redraw DIR's plots and report.md from its report.json
                        without rerunning the attacks
    --shard I/N         run only the attacks (stages) that shard I of N owns
                        and write DIR/partial.json, DIR/shard.json and their
                        images; "medqr merge" combines the N shard folders
                        into the report (docs/scale.md)

Examples:
    medqr attacks --config experiments/attacks.json -o results/attacks --force
    medqr attacks --quick -o /tmp/attacks
    medqr attacks --render results/attacks
`

func init() {
	register(&command{
		name:    "attacks",
		summary: "run the attack suite and write the attack report (research)",
		usage:   attacksUsage,
		subs:    []*command{attacksBreakCommand, attacksBaselinesCommand},
		run:     withFlags(noArgs("attacks"), runAttacks),
	})
}

// reportOptions are the flags of a research command that runs a seeded
// config into a report folder: attacks and attacks baselines.
type reportOptions struct {
	quick  bool
	config string
	sets   stringList
	out    string
	force  bool
}

func (o *reportOptions) flags(fs *flag.FlagSet) {
	fs.BoolVar(&o.quick, "quick", false, "")
	fs.StringVar(&o.config, "config", "", "")
	fs.Var(&o.sets, "set", "")
	aliasVar(fs, &o.out, "", "o", "output")
	fs.BoolVar(&o.force, "force", false, "")
}

// configOverrider is a pointer to a research config that takes --set.
type configOverrider[C any] interface {
	*C
	Override(kv string) error
}

// loadConfig checks that command name has its report folder (-o) and
// returns the config of its run: quick() with --quick, else def(); then
// the --config file over it (load; hint on failure), then each --set.
func loadConfig[C any, P configOverrider[C]](name string, o reportOptions, def, quick func() C, load func(string, C) (C, error), hint string) (C, error) {
	cfg := def()
	if o.out == "" {
		return cfg, usageError{name + " needs -o DIR, the report folder"}
	}
	if o.quick {
		cfg = quick()
	}
	if o.config != "" {
		var err error
		if cfg, err = load(o.config, cfg); err != nil {
			return cfg, withHint(err, "%s", hint)
		}
	}
	for _, kv := range o.sets {
		if err := P(&cfg).Override(kv); err != nil {
			return cfg, usageError{err.Error()}
		}
	}
	return cfg, nil
}

type attacksOptions struct {
	reportOptions
	noProgress bool
	render     string
	shard      shard.Spec
}

func (o *attacksOptions) flags(fs *flag.FlagSet) {
	o.reportOptions.flags(fs)
	fs.BoolVar(&o.noProgress, "no-progress", false, "")
	fs.StringVar(&o.render, "render", "", "")
	fs.Var(&o.shard, "shard", "")
}

func runAttacks(ctx context.Context, e *env, o attacksOptions, _ []string) error {
	if o.render != "" {
		if o.out != "" || o.quick || o.config != "" || len(o.sets) > 0 {
			return usageError{"--render takes only the report folder"}
		}
		if err := attacks.Render(o.render); err != nil {
			return withHint(err, "pass a folder written by \"medqr attacks -o DIR\"")
		}
		fmt.Fprintf(e.stdout, "report: %s\n", filepath.Join(o.render, "report.md"))
		return nil
	}
	cfg, err := loadConfig("attacks", o.reportOptions, attacks.DefaultConfig, attacks.QuickConfig, attacks.LoadConfig,
		"see experiments/attacks.json and docs/attacks.md for the fields; unknown keys are errors")
	if err != nil {
		return err
	}
	if err := refuseReplace(o.out, "report.json", "an attack report", o.force); err != nil {
		return err
	}
	opt := attacks.Options{Out: o.out, Code: codeVersion(), Quick: o.quick, Log: e.log.Infof}
	if !o.noProgress && isTerminal(os.Stderr) {
		opt.Progress = os.Stderr
	}
	if o.shard.Enabled() {
		return runAttacksShard(ctx, e, o, cfg)
	}
	e.log.Infof("attacks: running the %s setting into %s", map[bool]string{true: "quick", false: "full"}[o.quick], o.out)
	rep, err := attacks.Run(ctx, cfg, opt)
	if err != nil {
		return err
	}
	worst := 1.0
	for _, t := range rep.Tamper {
		worst = min(worst, t.Rate)
	}
	fmt.Fprintf(e.stdout, "report: %s\n", filepath.Join(o.out, "report.md"))
	fmt.Fprintf(e.stdout, "tamper rejection rate: %.4f %%\n", 100*worst)
	fmt.Fprintf(e.stdout, "runtime: %.1f s\n", rep.RuntimeSeconds)
	if worst < 1 {
		return errors.New("attacks: a tampered message was accepted (see the tamper section of the report)")
	}
	return nil
}
