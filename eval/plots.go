package eval

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// PlotDir is the folder (inside the output folder) that WritePlots fills.
const PlotDir = "plots"

var (
	colPlain  = color.RGBA{R: 90, G: 90, B: 90, A: 255}
	colCipher = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	colCrit   = color.RGBA{R: 214, G: 39, B: 40, A: 255}
	colAlt    = color.RGBA{R: 44, G: 160, B: 44, A: 255}
)

// WritePlots writes the PNG figures into dir/plots and returns their paths
// relative to dir: per subject a histogram (plaintext vs output of the
// first image), an adjacent-pixel scatter (same pair) and the NPCR/UACI
// distributions of the sensitivity trials against their critical values;
// and the local-entropy null with the published and simulated intervals.
func WritePlots(dir string, res *Results) ([]string, error) {
	var files []string
	save := func(name string, w, h vg.Length, ps ...*plot.Plot) error {
		rel := filepath.Join(PlotDir, name)
		if err := savePNG(filepath.Join(dir, rel), w, h, ps...); err != nil {
			return err
		}
		files = append(files, rel)
		return nil
	}
	if err := ensureDir(filepath.Join(dir, PlotDir)); err != nil {
		return nil, err
	}
	for _, s := range res.Subjects {
		if s.firstCipher == nil {
			continue
		}
		hp, hc := histPlot("plaintext: "+res.Images[0], s.firstPlain, colPlain), histPlot(s.Name+": "+res.Images[0], s.firstCipher, colCipher)
		if err := save("hist_"+s.Name+".png", 22*vg.Centimeter, 8*vg.Centimeter, hp, hc); err != nil {
			return nil, err
		}
		w, h := res.Reference.Width, res.Reference.Height
		sp := scatterPlot("plaintext: horizontal neighbours", s.firstPlain, w, h, colPlain)
		cw, ch := s.firstW, s.firstH
		title := s.Name + ": horizontal neighbours"
		if !s.ImageShaped || ch <= 1 {
			cw, ch = len(s.firstCipher), 1
			title = s.Name + ": adjacent bytes"
		}
		sc := scatterPlot(title, s.firstCipher, cw, ch, colCipher)
		if err := save("scatter_"+s.Name+".png", 22*vg.Centimeter, 11*vg.Centimeter, sp, sc); err != nil {
			return nil, err
		}
		if len(s.PlainSens) > 0 {
			np, up := sensPlots(s.Name+": plaintext sensitivity", s.PlainSens)
			kp, ku := sensPlots(s.Name+": key sensitivity", s.KeySens)
			if err := save("sensitivity_"+s.Name+".png", 22*vg.Centimeter, 16*vg.Centimeter, np, up, kp, ku); err != nil {
				return nil, err
			}
		}
	}
	if r := res.Reference.LocalWu; r.K > 0 {
		null := res.localNulls[r.K]
		if null == nil { // results read back from JSON: simulate again, same seed
			null = (&runner{cfg: res.Config, localNull: map[int]*LocalNull{}, entropyNull: map[int][2]float64{}}).local(r.K)
		}
		p := plot.New()
		p.Title.Text = fmt.Sprintf("local entropy of random images, k = %d blocks of 44x44 (%d simulated)", r.K, null.Trials)
		p.X.Label.Text = "local Shannon entropy (bits)"
		p.Y.Label.Text = "images"
		lo, hi := null.Sorted[0], null.Sorted[len(null.Sorted)-1]
		xy, top := binned(null.Sorted, lo, hi, 60)
		p.X.Tick.Marker = preciseTicks{}
		addStep(p, xy, colCipher, "simulated null")
		addVLine(p, float64(r.Lo), top, colAlt, fmt.Sprintf("simulated %g %% interval", 100*(1-float64(res.Config.Alpha))))
		addVLine(p, float64(r.Hi), top, colAlt, "")
		addVLine(p, float64(r.PublishedLo), top, colCrit, fmt.Sprintf("printed interval (holds %.0f %%)", 100*float64(r.PublishedCoverage)))
		addVLine(p, float64(r.PublishedHi), top, colCrit, "")
		p.Legend.Top = true
		if err := save("local_entropy_null.png", 16*vg.Centimeter, 10*vg.Centimeter, p); err != nil {
			return nil, err
		}
	}
	return files, nil
}

func histPlot(title string, pix []byte, c color.Color) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "value"
	p.Y.Label.Text = "count"
	h := Histogram256(pix)
	xy := make(plotter.XYs, 257)
	for v := 0; v <= 256; v++ {
		xy[v].X = float64(v)
		xy[v].Y = float64(h[min(v, 255)])
	}
	addStep(p, xy, c, "")
	p.X.Min, p.X.Max = 0, 256
	p.Y.Min = 0
	return p
}

// scatterPlot draws up to 5000 horizontally adjacent pairs, evenly spaced.
func scatterPlot(title string, pix []byte, w, h int, c color.Color) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "pixel (x, y)"
	p.Y.Label.Text = "pixel (x+1, y)"
	var pts plotter.XYs
	pairs := h * (w - 1)
	step := max(1, pairs/5000)
	for k := 0; k < pairs; k += step {
		y, x := k/(w-1), k%(w-1)
		pts = append(pts, plotter.XY{X: float64(pix[y*w+x]), Y: float64(pix[y*w+x+1])})
	}
	if len(pts) > 0 {
		s, err := plotter.NewScatter(pts)
		if err == nil {
			s.GlyphStyle.Color = c
			s.GlyphStyle.Radius = vg.Points(0.8)
			p.Add(s)
		}
	}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 255, 0, 255
	return p
}

func sensPlots(title string, ts []Trial) (*plot.Plot, *plot.Plot) {
	var np, up []float64
	var crit, lo, hi float64
	for _, t := range ts {
		if math.IsNaN(float64(t.NPCR)) {
			continue
		}
		np = append(np, float64(t.NPCR))
		up = append(up, float64(t.UACI))
		crit, lo, hi = float64(t.NPCRCrit), float64(t.UACILo), float64(t.UACIHi)
	}
	mk := func(name string, vals []float64, lines []float64) *plot.Plot {
		p := plot.New()
		p.Title.Text = title
		p.X.Label.Text = name + " (%)"
		p.Y.Label.Text = "trials"
		if len(vals) == 0 {
			return p
		}
		mn, mx := vals[0], vals[0]
		for _, v := range append(vals, lines...) {
			mn, mx = math.Min(mn, v), math.Max(mx, v)
		}
		pad := math.Max((mx-mn)*0.05, 0.01)
		xy, top := binned(vals, mn-pad, mx+pad, 40)
		p.X.Tick.Marker = preciseTicks{}
		addStep(p, xy, colCipher, fmt.Sprintf("%d trials", len(vals)))
		for i, l := range lines {
			label := ""
			if i == 0 {
				label = "critical value"
			}
			addVLine(p, l, top, colCrit, label)
		}
		p.Legend.Top = true
		return p
	}
	return mk("NPCR", np, []float64{crit}), mk("UACI", up, []float64{lo, hi})
}

// binned counts vals in n equal bins over [lo, hi] as a step outline.
func binned(vals []float64, lo, hi float64, n int) (plotter.XYs, float64) {
	if hi <= lo {
		hi = lo + 1
	}
	counts := make([]float64, n)
	for _, v := range vals {
		i := int((v - lo) / (hi - lo) * float64(n))
		counts[min(max(i, 0), n-1)]++
	}
	xy := make(plotter.XYs, n+1)
	top := 0.0
	for i := 0; i <= n; i++ {
		xy[i].X = lo + (hi-lo)*float64(i)/float64(n)
		xy[i].Y = counts[min(i, n-1)]
		top = math.Max(top, xy[i].Y)
	}
	return xy, top
}

func addStep(p *plot.Plot, xy plotter.XYs, c color.Color, label string) {
	l, err := plotter.NewLine(xy)
	if err != nil {
		return
	}
	l.StepStyle = plotter.PostStep
	l.Color = c
	l.FillColor = withAlpha(c, 90)
	p.Add(l)
	if label != "" {
		p.Legend.Add(label, l)
	}
}

func addVLine(p *plot.Plot, x, top float64, c color.Color, label string) {
	l, err := plotter.NewLine(plotter.XYs{{X: x, Y: 0}, {X: x, Y: math.Max(top, 1) * 1.05}})
	if err != nil {
		return
	}
	l.Color = c
	l.Width = vg.Points(1.5)
	l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
	p.Add(l)
	if label != "" {
		p.Legend.Add(label, l)
	}
}

// preciseTicks is plot.DefaultTicks with labels printed in fixed notation
// with as many decimals as the tick spacing needs (the default %g labels
// collapse 99.55 and 99.60 into "1e+02").
type preciseTicks struct{}

func (preciseTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	step := math.Inf(1)
	prev := math.NaN()
	for _, t := range ts {
		if t.Label == "" {
			continue
		}
		if !math.IsNaN(prev) {
			step = math.Min(step, t.Value-prev)
		}
		prev = t.Value
	}
	dec := 0
	if !math.IsInf(step, 1) && step > 0 {
		dec = max(0, int(math.Ceil(-math.Log10(step)+1e-9)))
	}
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = strconv.FormatFloat(ts[i].Value, 'f', dec, 64)
		}
	}
	return ts
}

func withAlpha(c color.Color, a uint8) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: a}
}

// savePNG lays the plots out in rows of two and writes one PNG.
func savePNG(path string, w, h vg.Length, ps ...*plot.Plot) error {
	img := vgimg.New(w, h)
	dc := draw.New(img)
	cols := min(2, len(ps))
	rows := (len(ps) + cols - 1) / cols
	grid := make([][]*plot.Plot, rows)
	for i := range grid {
		grid[i] = make([]*plot.Plot, cols)
		for j := range grid[i] {
			if k := i*cols + j; k < len(ps) {
				grid[i][j] = ps[k]
			}
		}
	}
	t := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align(grid, t, dc)
	for i := range grid {
		for j, p := range grid[i] {
			if p != nil {
				p.Draw(canvases[i][j])
			}
		}
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return fmt.Errorf("failed to render %s: %w", path, err)
	}
	return WriteFileAtomic(path, buf.Bytes())
}
