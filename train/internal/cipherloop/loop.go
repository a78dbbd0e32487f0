// Package cipherloop is the training loop shared by the learned baseline
// ciphers' trainers (train/deepkeygen, train/sae, train/lstm): Adam with
// gradient clipping and a warm-up plus cosine learning-rate schedule over
// one or more parameter groups, seeded steps, a run folder holding the
// effective config and code version (run.json), the losses (losses.csv),
// a checksummed checkpoint to resume from and the exported weights, a
// progress bar with ETA, and periodic log lines.
//
// A trainer supplies one Step per iteration (forward and backward passes
// for that step index; all randomness drawn from the index and the seed, so
// a resumed run continues exactly) and an Export of the current weights.
// OneGroup is that Trainer for a network with one parameter group and one
// loss (sae, lstm); Folder is the run-placing part of every trainer's
// config, Start runs a scheme's training in its folder, Param makes a graph
// parameter from an initial or shipped tensor, GlorotUniform draws dense
// weights, and WeightsFile encodes a network's parameters as the scheme's
// shipped weights file.
package cipherloop

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/medqr/medqr/train"
	"github.com/medqr/medqr/train/internal/runio"
)

// Schedule is the optimiser settings every trainer's config embeds.
type Schedule struct {
	// Schedule is the number of Adam steps and the learning rate at each
	// (At): steps, lr, lr_min, warmup, as every trainer in train/ has them.
	train.Schedule
	// Clip bounds each group's global gradient L2 norm (0: no clipping).
	Clip float64 `json:"clip"`
	// LogEvery and CkptEvery are the periods of log lines and checkpoints.
	LogEvery  int `json:"log_every"`
	CkptEvery int `json:"ckpt_every"`
}

// Validate checks the schedule.
func (s Schedule) Validate() error {
	if err := s.Schedule.Validate(); err != nil {
		return err
	}
	switch {
	case s.Clip < 0:
		return fmt.Errorf("clip %g must not be negative", s.Clip)
	case s.LogEvery < 1 || s.CkptEvery < 1:
		return fmt.Errorf("log_every and ckpt_every must be at least 1")
	}
	return nil
}

// Trainer is one model's training graph(s).
type Trainer interface {
	// Groups returns each parameter group's tensors (the slices Adam updates
	// in place; they back the graph's parameter values).
	Groups() [][][]float32
	// Step runs forward and backward passes for step index s and returns
	// the named losses (LossNames order) and the gradients, per group, in
	// Groups order.
	Step(s int) (losses []float64, grads [][][]float32, err error)
	LossNames() []string
	// Export encodes the current weights as the shipped weights file.
	Export() ([]byte, error)
}

// GroupScaler is implemented by a Trainer whose groups learn at different
// rates: group g's learning rate is the schedule's times LRScale()[g].
type GroupScaler interface {
	LRScale() []float64
}

// Options are the run's non-config settings.
type Options = runio.Options

// ErrStopped is returned when Options.StopAt ends the run early.
var ErrStopped = errors.New("cipherloop: stopped before the last step")

// Run is one training run's identity.
type Run struct {
	Name   string // progress label, e.g. "train-lstm"
	Dir    string // run folder
	Export string // if set, also receives the final weights file
	File   string // weights file name inside Dir, e.g. "lstm.mlw"
	Config any    // effective config, saved in run.json
	Sched  Schedule
}

// RunInfo is run.json.
type RunInfo struct {
	Config      any    `json:"config"`
	CodeVersion string `json:"code_version"`
	Started     string `json:"started"`
	Resumed     bool   `json:"resumed"`
}

type checkpoint struct {
	Step   int
	Params [][][]float32
	Adam   []train.Adam
	Rows   []string // losses.csv rows so far
	Secs   float64
}

// Execute trains tr and returns the run folder's weights file path.
func Execute(ctx context.Context, r Run, tr Trainer, opt Options) (string, error) {
	log := opt.Logger()
	if err := r.Sched.Validate(); err != nil {
		return "", err
	}
	ckPath := filepath.Join(r.Dir, "checkpoint.gob")
	groups := tr.Groups()
	var ck checkpoint
	if opt.Resume {
		if err := runio.ReadGob(ckPath, &ck); err != nil {
			return "", fmt.Errorf("%s: no checkpoint to resume in %s: %w", r.Name, r.Dir, err)
		}
		if len(ck.Params) != len(groups) {
			return "", fmt.Errorf("%s: checkpoint has %d parameter groups, want %d", r.Name, len(ck.Params), len(groups))
		}
		for g := range groups {
			if len(ck.Params[g]) != len(groups[g]) {
				return "", fmt.Errorf("%s: checkpoint group %d has %d tensors, want %d", r.Name, g, len(ck.Params[g]), len(groups[g]))
			}
			for i := range groups[g] {
				if len(ck.Params[g][i]) != len(groups[g][i]) {
					return "", fmt.Errorf("%s: checkpoint tensor %d/%d has the wrong size (config changed?)", r.Name, g, i)
				}
				copy(groups[g][i], ck.Params[g][i])
			}
		}
	} else {
		if _, err := os.Stat(ckPath); err == nil {
			return "", fmt.Errorf("%s: %s already holds a run (resume it or remove the folder)", r.Name, r.Dir)
		}
		for _, g := range groups {
			sizes := make([]int, len(g))
			for i := range g {
				sizes[i] = len(g[i])
			}
			ck.Adam = append(ck.Adam, *train.NewAdam(sizes, r.Sched.Clip))
		}
		ck.Rows = []string{"step,lr," + strings.Join(tr.LossNames(), ",") + ",elapsed_s"}
	}
	if err := os.MkdirAll(r.Dir, 0o755); err != nil {
		return "", err
	}
	info := RunInfo{Config: r.Config, CodeVersion: train.CodeVersion(), Started: time.Now().UTC().Format(time.RFC3339), Resumed: opt.Resume}
	if err := runio.WriteRunInfo(filepath.Join(r.Dir, "run.json"), info, log, r.Name); err != nil {
		return "", err
	}
	save := func() error {
		ck.Params = ck.Params[:0]
		for _, g := range groups {
			cp := make([][]float32, len(g))
			for i := range g {
				cp[i] = append([]float32(nil), g[i]...)
			}
			ck.Params = append(ck.Params, cp)
		}
		if err := runio.WriteGob(ckPath, &ck); err != nil {
			return err
		}
		return runio.WriteAtomic(filepath.Join(r.Dir, "losses.csv"), []byte(strings.Join(ck.Rows, "\n")+"\n"))
	}
	bar := runio.NewBar(opt.Progress, r.Name, r.Sched.Steps, ck.Step)
	t0 := time.Now()
	sc := r.Sched
	for ck.Step < sc.Steps {
		if err := ctx.Err(); err != nil {
			ck.Secs += time.Since(t0).Seconds()
			if serr := save(); serr != nil {
				return "", errors.Join(err, serr)
			}
			return "", err
		}
		losses, grads, err := tr.Step(ck.Step)
		if err != nil {
			return "", fmt.Errorf("%s: step %d: %w", r.Name, ck.Step, err)
		}
		lr := sc.At(ck.Step)
		for g := range groups {
			glr := lr
			if gs, ok := tr.(GroupScaler); ok {
				glr *= gs.LRScale()[g]
			}
			ck.Adam[g].Update(groups[g], grads[g], glr)
		}
		ck.Step++
		row := []string{strconv.Itoa(ck.Step), strconv.FormatFloat(lr, 'g', 6, 64)}
		for _, l := range losses {
			row = append(row, strconv.FormatFloat(l, 'g', 8, 64))
		}
		row = append(row, strconv.FormatFloat(ck.Secs+time.Since(t0).Seconds(), 'f', 2, 64))
		ck.Rows = append(ck.Rows, strings.Join(row, ","))
		bar.Add()
		if ck.Step%sc.LogEvery == 0 || ck.Step == sc.Steps {
			f := logrus.Fields{"step": ck.Step, "lr": lr}
			for i, n := range tr.LossNames() {
				f[n] = losses[i]
			}
			log.WithFields(f).Infof("%s: step %d/%d", r.Name, ck.Step, sc.Steps)
		}
		if ck.Step%sc.CkptEvery == 0 || ck.Step == sc.Steps || ck.Step == opt.StopAt {
			ck.Secs += time.Since(t0).Seconds()
			t0 = time.Now()
			if err := save(); err != nil {
				return "", err
			}
		}
		if ck.Step == opt.StopAt && ck.Step < sc.Steps {
			return "", ErrStopped
		}
	}
	bar.Finish()
	wb, err := tr.Export()
	if err != nil {
		return "", err
	}
	out := filepath.Join(r.Dir, r.File)
	if err := runio.WriteAtomic(out, wb); err != nil {
		return "", err
	}
	if r.Export != "" {
		if err := runio.WriteAtomic(r.Export, wb); err != nil {
			return "", err
		}
	}
	log.Infof("%s: done in %.0f s of training; weights %s (sha256 %x)", r.Name, ck.Secs, out, sha256.Sum256(wb))
	return out, nil
}
