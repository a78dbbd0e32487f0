package attacks

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// Plots are rendered with gonum/plot from the report's numbers only, so the
// same report gives the same PNG files.

const plotW, plotH = 14 * vg.Centimeter, 9 * vg.Centimeter

func savePlot(p *plot.Plot, dir, name string) (string, error) {
	path := filepath.Join(dir, name)
	if err := p.Save(plotW, plotH, path); err != nil {
		return "", fmt.Errorf("attacks: failed to save plot %s: %w", name, err)
	}
	return name, nil
}

// noiseKindTitle maps a damage kind to its axis label.
var noiseKindTitle = map[string]string{
	"salt-pepper": "salt-and-pepper fraction (%)",
	"gaussian":    "gaussian noise sigma (8-bit levels)",
	"block":       "zeroed block area (% of image, mean over positions)",
	"jpeg":        "JPEG quality of the recompressed cipher image",
}

// plotNoise draws decrypted-image PSNR (metric "psnr") or SSIM ("ssim")
// against damage strength, one line per scheme.
func plotNoise(rep *NoiseReport, kind, metric, dir string) (string, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Decrypted image after damage to the cipher image (%dx%d)", rep.Size, rep.Size)
	p.X.Label.Text = noiseKindTitle[kind]
	p.Y.Label.Text = map[string]string{"psnr": "PSNR (dB, capped at 100 = exact)", "ssim": "SSIM"}[metric]
	var args []any
	distinct := map[float64]bool{}
	for _, s := range schemesIn(rep.Points) {
		// mean over block positions at equal strength
		var line meanLine
		for _, pt := range rep.Points {
			if pt.Scheme != s || pt.Damage.Kind != kind {
				continue
			}
			v := float64(pt.PSNR)
			if metric == "ssim" {
				v = float64(pt.SSIM)
			}
			line.add(damageX(pt.Damage), v, 1)
		}
		if xy := line.xys(); len(xy) > 0 {
			for _, q := range xy {
				distinct[q.X] = true
			}
			args = append(args, s, xy)
		}
	}
	if (kind == "salt-pepper" || kind == "block") && len(distinct) > 1 {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	if len(args) == 0 {
		return "", nil
	}
	if err := plotutil.AddLinePoints(p, args...); err != nil {
		return "", err
	}
	p.Legend.Top = true
	return savePlot(p, dir, fmt.Sprintf("noise-%s-%s.png", kind, metric))
}

func schemesIn(pts []NoisePoint) []string {
	var out []string
	for _, p := range pts {
		if !slices.Contains(out, p.Scheme) {
			out = append(out, p.Scheme)
		}
	}
	return out
}

// plotDiff draws the histogram of NPCR or UACI of one scheme over the
// plaintext- and key-sensitivity trials, with the critical values.
func plotDiff(rep *DiffReport, scheme, metric, dir string) (string, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s over trials: %s", map[string]string{"npcr": "NPCR", "uaci": "UACI"}[metric], scheme)
	p.X.Label.Text = map[string]string{"npcr": "NPCR (%)", "uaci": "UACI (%)"}[metric]
	p.Y.Label.Text = "trials"
	any := false
	for i, test := range []string{"plaintext", "key"} {
		for _, d := range rep.Dists {
			if d.Scheme != scheme || d.Test != test {
				continue
			}
			vs := d.NPCRs
			if metric == "uaci" {
				vs = d.UACIs
			}
			h, err := plotter.NewHist(plotter.Values(vs), 20)
			if err != nil {
				return "", err
			}
			h.LineStyle.Color = plotutil.Color(i)
			h.FillColor = nil
			p.Add(h)
			p.Legend.Add(test+" sensitivity", h)
			any = true
		}
	}
	if !any {
		return "", nil
	}
	var crit []float64
	if metric == "npcr" {
		crit = []float64{float64(rep.NPCRCrit)}
	} else {
		crit = []float64{float64(rep.UACILo), float64(rep.UACIHi)}
	}
	for _, c := range crit {
		l, err := plotter.NewLine(plotter.XYs{{X: c, Y: 0}, {X: c, Y: math.Max(1, p.Y.Max)}})
		if err != nil {
			return "", err
		}
		l.LineStyle.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		l.LineStyle.Color = plotutil.Color(2)
		p.Add(l)
	}
	p.Legend.Add(fmt.Sprintf("critical value(s), alpha = %g (dashed)", rep.Alpha))
	p.Legend.Top, p.Legend.Left = true, true
	p.X.Tick.Marker = fixedTicks{}
	return savePlot(p, dir, fmt.Sprintf("differential-%s-%s.png", slug(scheme), metric))
}

// plotQR draws the QR decode success rate against damage strength for one
// damage kind, one line per error-correction level.
func plotQR(rep *QRReport, kind, dir string) (string, error) {
	p := plot.New()
	p.Title.Text = "QR symbol read after damage (product path)"
	p.X.Label.Text = map[string]string{
		"salt-pepper": "salt-and-pepper fraction (%)",
		"gaussian":    "gaussian noise sigma (8-bit levels)",
		"block":       "zeroed block area (% of symbol image, mean over positions)",
		"jpeg":        "JPEG quality",
	}[kind]
	p.Y.Label.Text = "decoded and opened (fraction)"
	p.Y.Min, p.Y.Max = 0, 1.05
	var args []any
	for _, lvl := range rep.Levels {
		var line meanLine
		for _, pt := range rep.Points {
			if pt.Level != lvl || pt.Damage.Kind != kind || pt.Trials == 0 {
				continue
			}
			line.add(damageX(pt.Damage), float64(pt.Opened), float64(pt.Trials))
		}
		if xy := line.xys(); len(xy) > 0 {
			args = append(args, "level "+lvl, xy)
		}
	}
	if len(args) == 0 {
		return "", nil
	}
	if err := plotutil.AddLinePoints(p, args...); err != nil {
		return "", err
	}
	return savePlot(p, dir, fmt.Sprintf("qr-%s.png", kind))
}

// plotLearned draws the learned attack's PSNR beside the mean-image baseline.
func plotLearned(res []LearnedResult, dir string) (string, error) {
	if len(res) == 0 {
		return "", nil
	}
	p := plot.New()
	p.Title.Text = "Learned known-plaintext attack on unseen cipher images"
	p.Y.Label.Text = "PSNR (dB)"
	net := make(plotter.Values, len(res))
	base := make(plotter.Values, len(res))
	names := make([]string, len(res))
	for i, r := range res {
		net[i], base[i] = float64(r.NetPSNR), float64(r.BasePSNR)
		names[i] = fmt.Sprintf("%d: %s", i+1, r.Nonce)
	}
	w := vg.Points(10)
	bn, err := plotter.NewBarChart(net, w)
	if err != nil {
		return "", err
	}
	bn.Color = plotutil.Color(0)
	bn.Offset = -w / 2
	bb, err := plotter.NewBarChart(base, w)
	if err != nil {
		return "", err
	}
	bb.Color = plotutil.Color(1)
	bb.Offset = w / 2
	p.Add(bn, bb)
	p.Legend.Add("network", bn)
	p.Legend.Add("mean training image", bb)
	p.Legend.Top = true
	p.NominalX(names...)
	p.X.Label.Text = "row of the learned-attack table, nonce"
	return savePlot(p, dir, "learned.png")
}

// fixedTicks labels five evenly spaced ticks with four decimals: NPCR and
// UACI differ in the second decimal, which the default ticker rounds away.
type fixedTicks struct{}

func (fixedTicks) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	for i := range 5 {
		v := lo + (hi-lo)*float64(i)/4
		ts = append(ts, plot.Tick{Value: v, Label: fmt.Sprintf("%.4f", v)})
	}
	return ts
}

// damageX is where a damage stands on a plot's x axis: its strength, in
// percent for the fractions (salt-and-pepper, zeroed block).
func damageX(d Damage) float64 {
	if d.Kind == "salt-pepper" || d.Kind == "block" {
		return 100 * d.Strength
	}
	return d.Strength
}

// meanLine accumulates weighted values by x: the line through the points
// (x, sum of values / sum of weights), in increasing x.
type meanLine map[float64][2]float64

func (m *meanLine) add(x, v, w float64) {
	if *m == nil {
		*m = meanLine{}
	}
	a := (*m)[x]
	(*m)[x] = [2]float64{a[0] + v, a[1] + w}
}

func (m meanLine) xys() plotter.XYs {
	xs := make([]float64, 0, len(m))
	for x := range m {
		xs = append(xs, x)
	}
	slices.Sort(xs)
	xy := make(plotter.XYs, 0, len(xs))
	for _, x := range xs {
		xy = append(xy, plotter.XY{X: x, Y: m[x][0] / m[x][1]})
	}
	return xy
}
