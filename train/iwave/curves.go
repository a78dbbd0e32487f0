package iwave

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"

	"github.com/medqr/medqr/train/internal/runio"
)

// writeCurves writes losses.{csv,json}, validation.{csv,json}, loss.png and
// validation.png into dir.
func writeCurves(dir string, losses []LossPoint, vals []ValPoint) error {
	f := runio.Float
	rows := [][]string{{"step", "lr", "loss", "psnr_crops", "grad_norm", "elapsed_s"}}
	for _, p := range losses {
		rows = append(rows, []string{strconv.Itoa(p.Step), f(p.LR), f(p.Loss), f(p.PSNR), f(p.Norm), f(p.Secs)})
	}
	vrows := [][]string{{"step", "budget", "psnr", "ssim", "base_psnr", "base_ssim"}}
	for _, v := range vals {
		for _, l := range v.Levels {
			vrows = append(vrows, []string{strconv.Itoa(v.Step), strconv.Itoa(l.Budget), f(l.PSNR), f(l.SSIM), f(l.BasePSNR), f(l.BaseSSIM)})
		}
	}
	if err := runio.WriteCurves(dir, losses, vals, rows, vrows); err != nil {
		return err
	}
	if len(losses) > 1 {
		if err := plotLosses(filepath.Join(dir, "loss.png"), losses); err != nil {
			return err
		}
	}
	if len(vals) > 0 {
		return plotVals(filepath.Join(dir, "validation.png"), vals)
	}
	return nil
}

func plotLosses(path string, ls []LossPoint) error {
	// Smooth over a window: single batches of 8 crops are noisy.
	const win = 25
	s := runio.Series{Label: fmt.Sprintf("train crops (running mean of %d steps)", win)}
	var sum float64
	for i, l := range ls {
		sum += l.Loss
		if i >= win {
			sum -= ls[i-win].Loss
		}
		n := float64(min(i+1, win))
		s.X, s.Y = append(s.X, float64(l.Step)), append(s.Y, -10*math.Log10(sum/n))
	}
	p := runio.Plot{Title: "iwave post-filter training loss", XLabel: "step", YLabel: "PSNR of filtered crops (dB)",
		Series: []runio.Series{s}}
	return p.Save(path)
}

func plotVals(path string, vs []ValPoint) error {
	p := runio.Plot{Title: "iwave validation: PSNR gain of the post-filter", XLabel: "step",
		YLabel: "PSNR - PSNR without filter (dB)", LegendTop: true, LegendLeft: true}
	for i := range vs[0].Levels {
		s := runio.Series{Label: fmt.Sprintf("%d B", vs[0].Levels[i].Budget), Color: i, Points: true}
		for _, v := range vs {
			l := v.Levels[i]
			s.X, s.Y = append(s.X, float64(v.Step)), append(s.Y, l.PSNR-l.BasePSNR)
		}
		p.Series = append(p.Series, s)
	}
	return p.Save(path)
}

// writeLiftCurves writes dir/losses.csv and dir/loss.png: each learned
// predict network's training loss (the rate proxy), averaged over every
// liftLogEvery steps.
func writeLiftCurves(dir string, r LiftReport) error {
	rows := [][]string{{"net", "step", "loss"}}
	p := runio.Plot{Title: "iwave learned lifting steps: training loss", XLabel: "step",
		YLabel: "rate proxy mean log(1 + |d + g|/step)", LegendTop: true}
	for i, c := range r.Losses {
		s := runio.Series{Label: liftNetNames[i], Color: i}
		for j, v := range c {
			step := (j + 1) * liftLogEvery
			rows = append(rows, []string{liftNetNames[i], strconv.Itoa(step), runio.Float(v)})
			s.X, s.Y = append(s.X, float64(step)), append(s.Y, v)
		}
		if len(c) >= 2 {
			p.Series = append(p.Series, s)
		}
	}
	if err := runio.WriteCSV(filepath.Join(dir, "losses.csv"), rows); err != nil {
		return err
	}
	return p.Save(filepath.Join(dir, "loss.png"))
}
