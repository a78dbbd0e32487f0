package train

import (
	"encoding/csv"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

func sortFloats(v []float64) { sort.Float64s(v) }

// writeCurves writes losses.{csv,json}, validation.{csv,json} and the plots
// loss.png and validation.png into dir.
func writeCurves(dir string, losses []LossPoint, vals []ValPoint) error {
	if err := writeJSON(filepath.Join(dir, "losses.json"), losses); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(dir, "validation.json"), vals); err != nil {
		return err
	}
	rows := [][]string{{"step", "lr", "loss", "mse", "psnr_noisy", "ssim", "rate_bpp", "decor", "grad_norm", "elapsed_s"}}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	for _, p := range losses {
		rows = append(rows, []string{strconv.Itoa(p.Step), f(p.LR), f(p.Loss), f(p.MSE), f(p.PSNR), f(p.SSIM), f(p.Rate), f(p.Decor), f(p.Norm), f(p.Secs)})
	}
	if err := writeCSV(filepath.Join(dir, "losses.csv"), rows); err != nil {
		return err
	}
	vrows := [][]string{{"step", "level", "budget", "mean_bytes", "psnr", "ssim", "fails"}}
	for _, v := range vals {
		for _, l := range Levels {
			r := v.Levels[string(l)]
			vrows = append(vrows, []string{strconv.Itoa(v.Step), string(l), strconv.Itoa(r.Budget), f(r.Bytes), f(r.PSNR), f(r.SSIM), strconv.Itoa(r.Fails)})
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

func writeCSV(path string, rows [][]string) error {
	tmp := path + ".tmp"
	fh, err := os.Create(tmp)
	if err != nil {
		return err
	}
	w := csv.NewWriter(fh)
	if err := w.WriteAll(rows); err != nil {
		fh.Close()
		return err
	}
	if err := fh.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

var palette = []color.Color{
	color.RGBA{31, 119, 180, 255}, color.RGBA{255, 127, 14, 255},
	color.RGBA{44, 160, 44, 255}, color.RGBA{214, 39, 40, 255},
}

func plotLosses(path string, ls []LossPoint) error {
	p := plot.New()
	p.Title.Text = "training: PSNR of the noisy-quantised reconstruction"
	p.X.Label.Text = "step"
	p.Y.Label.Text = "PSNR (dB) on training crops"
	pts := make(plotter.XYs, len(ls))
	for i, l := range ls {
		pts[i] = plotter.XY{X: float64(l.Step), Y: l.PSNR}
	}
	line, err := plotter.NewLine(pts)
	if err != nil {
		return err
	}
	line.Color = palette[0]
	p.Add(line, plotter.NewGrid())
	p.Legend.Add("train PSNR (gain random)", line)
	return p.Save(7*vg.Inch, 4*vg.Inch, path)
}

func plotVals(path string, vs []ValPoint) error {
	p := plot.New()
	p.Title.Text = "validation: learned codec at each QR v40 level"
	p.X.Label.Text = "step"
	p.Y.Label.Text = "mean PSNR (dB), val split, 256x256"
	for i, l := range Levels {
		pts := make(plotter.XYs, len(vs))
		for j, v := range vs {
			pts[j] = plotter.XY{X: float64(v.Step), Y: v.Levels[string(l)].PSNR}
		}
		line, sc, err := plotter.NewLinePoints(pts)
		if err != nil {
			return err
		}
		line.Color, sc.Color = palette[i], palette[i]
		p.Add(line, sc)
		p.Legend.Add(fmt.Sprintf("level %c (%d B)", l, Budget(l)), line)
	}
	p.Add(plotter.NewGrid())
	p.Legend.Top = false
	p.Legend.Left = false
	return p.Save(7*vg.Inch, 4*vg.Inch, path)
}
