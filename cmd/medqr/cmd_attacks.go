package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/medqr/medqr/attacks"
	"github.com/medqr/medqr/eval/shard"
)

func init() {
	register(&command{
		name:    "attacks",
		summary: "run the attack suite and write the attack report (research)",
		usage: `usage: medqr attacks [--quick] [--config FILE] [--set key=value]... -o DIR [--force] [--no-progress] [--shard I/N]
       medqr attacks --render DIR
       medqr attacks break --scheme NAME -k KEY --target CIPHER.png -o RECOVERED.png [--json]
       medqr attacks baselines [--quick] [--config FILE] -o DIR [--force]

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

--quick starts from the small setting that "make test" runs (tens of seconds);
without it the full setting (experiments/attacks.json, several minutes).
--config reads a JSON file over that base (unknown keys are errors) and
--set overrides one field with a dotted key, e.g. --set tamper.trials=1000.
The run is seeded: the same config gives the same report.json except the
measured timings (research keys, nonces and the message ids of the
containers it seals come from seeded streams; the product never does this).
An existing report in DIR is replaced only with --force.
--render DIR redraws DIR's plots and report.md from its report.json without
rerunning the attacks.
"attacks break" runs one scheme's concrete attack on one cipher image
("medqr attacks break --help"; docs/baselines.md); "attacks baselines"
measures and attacks every cipher-image scheme ("make baselines").
--shard I/N runs only the attacks (stages) that shard I of N owns and writes
DIR/partial.json, DIR/shard.json and their images; "medqr merge" combines the
N shard folders into the report (docs/scale.md).

Examples:
    medqr attacks --config experiments/attacks.json -o results/attacks --force
    medqr attacks --quick -o /tmp/attacks
`,
		run: runAttacks,
	})
}

type kvList []string

func (s *kvList) String() string     { return strings.Join(*s, ",") }
func (s *kvList) Set(v string) error { *s = append(*s, v); return nil }

type attacksOptions struct {
	quick      bool
	config     string
	sets       kvList
	out        string
	force      bool
	noProgress bool
	render     string
	shard      shard.Spec
}

func runAttacks(ctx context.Context, e *env, args []string) error {
	if isAttacksBreak(args) {
		return runAttacksBreak(ctx, e, args[1:])
	}
	if len(args) > 0 && args[0] == "baselines" {
		return runAttacksBaselines(ctx, e, args[1:])
	}
	var o attacksOptions
	fs := newFlagSet("attacks")
	fs.BoolVar(&o.quick, "quick", false, "small setting (the one make test runs)")
	fs.StringVar(&o.config, "config", "", "JSON config over the base setting")
	fs.Var(&o.sets, "set", "override one config field: key=value (repeatable)")
	fs.StringVar(&o.out, "o", "", "report folder")
	fs.BoolVar(&o.force, "force", false, "replace an existing report")
	fs.BoolVar(&o.noProgress, "no-progress", false, "no progress bar")
	fs.StringVar(&o.render, "render", "", "redraw a report folder from its report.json")
	fs.Var(&o.shard, "shard", "run shard I of N (I/N) and write a partial report")
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{fmt.Sprintf("attacks takes no arguments, got %q", rest)}
	}
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
	if o.out == "" {
		return usageError{"attacks needs -o DIR, the report folder"}
	}
	cfg := attacks.DefaultConfig()
	if o.quick {
		cfg = attacks.QuickConfig()
	}
	if o.config != "" {
		if cfg, err = attacks.LoadConfig(o.config, cfg); err != nil {
			return withHint(err, "see README.md for the fields; unknown keys are errors")
		}
	}
	for _, kv := range o.sets {
		if err := cfg.Override(kv); err != nil {
			return usageError{err.Error()}
		}
	}
	if _, err := os.Stat(filepath.Join(o.out, "report.json")); err == nil && !o.force {
		return withHint(fmt.Errorf("%s already holds an attack report", o.out), "pass --force to replace it, or choose another -o folder")
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("failed to check the report folder: %w", err)
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
