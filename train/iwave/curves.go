package iwave

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"image/color"
	"path/filepath"
	"strconv"

	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

var palette = []color.Color{
	color.RGBA{31, 119, 180, 255}, color.RGBA{255, 127, 14, 255},
	color.RGBA{44, 160, 44, 255}, color.RGBA{214, 39, 40, 255},
}

func writeCSV(path string, rows [][]string) error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.WriteAll(rows); err != nil {
		return err
	}
	return writeAtomic(path, buf.Bytes())
}

// writeCurves writes losses.{csv,json}, validation.{csv,json}, loss.png and
// validation.png into dir.
func writeCurves(dir string, losses []LossPoint, vals []ValPoint) error {
	if err := writeJSON(filepath.Join(dir, "losses.json"), losses); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(dir, "validation.json"), vals); err != nil {
		return err
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	rows := [][]string{{"step", "lr", "loss", "psnr_crops", "grad_norm", "elapsed_s"}}
	for _, p := range losses {
		rows = append(rows, []string{strconv.Itoa(p.Step), f(p.LR), f(p.Loss), f(p.PSNR), f(p.Norm), f(p.Secs)})
	}
	if err := writeCSV(filepath.Join(dir, "losses.csv"), rows); err != nil {
		return err
	}
	vrows := [][]string{{"step", "budget", "psnr", "ssim", "base_psnr", "base_ssim"}}
	for _, v := range vals {
		for _, l := range v.Levels {
			vrows = append(vrows, []string{strconv.Itoa(v.Step), strconv.Itoa(l.Budget), f(l.PSNR), f(l.SSIM), f(l.BasePSNR), f(l.BaseSSIM)})
		}
	}
	if err := writeCSV(filepath.Join(dir, "validation.csv"), vrows); err != nil {
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
	p := plot.New()
	p.Title.Text = "iwave post-filter training loss"
	p.X.Label.Text = "step"
	p.Y.Label.Text = "PSNR of filtered crops (dB)"
	// Smooth over a window: single batches of 8 crops are noisy.
	const win = 25
	pts := make(plotter.XYs, 0, len(ls))
	var s float64
	for i, l := range ls {
		s += l.Loss
		if i >= win {
			s -= ls[i-win].Loss
		}
		n := float64(min(i+1, win))
		pts = append(pts, plotter.XY{X: float64(l.Step), Y: -10 * log10(s/n)})
	}
	line, err := plotter.NewLine(pts)
	if err != nil {
		return err
	}
	line.Color = palette[0]
	p.Add(line, plotter.NewGrid())
	p.Legend.Add(fmt.Sprintf("train crops (running mean of %d steps)", win), line)
	return p.Save(7*vg.Inch, 4*vg.Inch, path)
}

func plotVals(path string, vs []ValPoint) error {
	p := plot.New()
	p.Title.Text = "iwave validation: PSNR gain of the post-filter"
	p.X.Label.Text = "step"
	p.Y.Label.Text = "PSNR - PSNR without filter (dB)"
	for i := range vs[0].Levels {
		pts := make(plotter.XYs, len(vs))
		for j, v := range vs {
			l := v.Levels[i]
			pts[j] = plotter.XY{X: float64(v.Step), Y: l.PSNR - l.BasePSNR}
		}
		line, sc, err := plotter.NewLinePoints(pts)
		if err != nil {
			return err
		}
		c := palette[i%len(palette)]
		line.Color, sc.Color = c, c
		p.Add(line, sc)
		p.Legend.Add(fmt.Sprintf("%d B", vs[0].Levels[i].Budget), line)
	}
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	p.Legend.Left = true
	return p.Save(7*vg.Inch, 4*vg.Inch, path)
}

func log10(v float64) float64 { return math.Log10(v) }

// writeLiftCurves writes dir/losses.csv and dir/loss.png: each learned
// predict network's training loss (the rate proxy), averaged over every
// liftLogEvery steps.
func writeLiftCurves(dir string, r LiftReport) error {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	rows := [][]string{{"net", "step", "loss"}}
	for i, c := range r.Losses {
		for j, v := range c {
			rows = append(rows, []string{liftNetNames[i], strconv.Itoa((j + 1) * liftLogEvery), f(v)})
		}
	}
	if err := writeCSV(filepath.Join(dir, "losses.csv"), rows); err != nil {
		return err
	}
	p := plot.New()
	p.Title.Text = "iwave learned lifting steps: training loss"
	p.X.Label.Text = "step"
	p.Y.Label.Text = "rate proxy mean log(1 + |d + g|/step)"
	for i, c := range r.Losses {
		if len(c) < 2 {
			continue
		}
		pts := make(plotter.XYs, len(c))
		for j, v := range c {
			pts[j] = plotter.XY{X: float64((j + 1) * liftLogEvery), Y: v}
		}
		line, err := plotter.NewLine(pts)
		if err != nil {
			return err
		}
		line.Color = palette[i%len(palette)]
		p.Add(line)
		p.Legend.Add(liftNetNames[i], line)
	}
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	return p.Save(7*vg.Inch, 4*vg.Inch, filepath.Join(dir, "loss.png"))
}
