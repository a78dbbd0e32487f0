// Command qrdamage runs the QR damage-tolerance study (package
// qr/internal/damage) and writes results/qr: damage.md, damage.csv,
// damage.json and damage.png. Run it through `make qr-damage`.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"time"

	"github.com/medqr/medqr/qr"
	"github.com/medqr/medqr/qr/internal/damage"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "qrdamage: error:", err)
		os.Exit(1)
	}
}

func run() error {
	out := flag.String("o", "results/qr", "output directory")
	trials := flag.Int("trials", 50, "trials per level and condition")
	seed := flag.Uint64("seed", 1, "master seed")
	px := flag.Int("px", qr.DefaultPxPerModule, "pixels per module of the clean rendering")
	workers := flag.Int("workers", runtime.GOMAXPROCS(0), "parallel trials")
	noZbar := flag.Bool("no-zbar", false, "skip the zbarimg comparison")
	only := flag.String("conditions", "", "comma-separated condition names (default all)")
	levels := flag.String("levels", "L,M,Q,H", "comma-separated error-correction levels")
	render := flag.String("render", "", "instead of running, merge these comma-separated damage.json files (e.g. one per level, same trials and seed) and re-render the reports")
	flag.Parse()

	if *render != "" {
		var parts []*damage.Report
		for _, f := range strings.Split(*render, ",") {
			b, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			rep, err := damage.ReadJSON(b)
			if err != nil {
				return fmt.Errorf("%s: %w", f, err)
			}
			parts = append(parts, rep)
		}
		rep, err := damage.Merge(parts...)
		if err != nil {
			return err
		}
		return rep.Write(*out)
	}

	cfg := damage.Config{Trials: *trials, Seed: *seed, Px: *px, Workers: *workers}
	for _, s := range strings.Split(*levels, ",") {
		l, err := qr.ParseLevel(s)
		if err != nil {
			return err
		}
		cfg.Levels = append(cfg.Levels, l)
	}
	if !*noZbar {
		p, err := exec.LookPath("zbarimg")
		if err != nil {
			return fmt.Errorf("zbarimg not found (run scripts/deps.sh results, or pass -no-zbar): %w", err)
		}
		cfg.Zbar = p
	}
	if *only != "" {
		for _, name := range strings.Split(*only, ",") {
			found := false
			for _, c := range damage.Conditions {
				if c.Name == name {
					cfg.Conditions = append(cfg.Conditions, c)
					found = true
				}
			}
			if !found {
				return fmt.Errorf("unknown condition %q", name)
			}
		}
	}
	// Write the finished cells after each one, so an interrupted run
	// leaves a partial (clearly smaller) report.
	partial := &damage.Report{Trials: cfg.Trials, Seed: cfg.Seed, Px: cfg.Px, Workers: cfg.Workers}
	start := time.Now()
	cfg.Progress = func(c damage.Cell) {
		fmt.Fprintf(os.Stderr, "%s %-12s ours %3d/%d (%.0f ms)  zbar %3d/%d\n",
			c.Level, c.Condition, c.OK, c.Trials, c.MeanMs, c.ZbarOK, c.Trials)
		partial.Cells = append(partial.Cells, c)
		partial.Runtime = time.Since(start)
		if err := partial.Write(*out); err != nil {
			fmt.Fprintln(os.Stderr, "qrdamage: warning:", err)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := damage.Run(ctx, cfg)
	if err != nil {
		return err
	}
	if err := rep.Write(*out); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %s in %s\n", *out, rep.Runtime.Round(1e9))
	return nil
}
