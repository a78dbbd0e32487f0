package runio

import (
	"image/color"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Palette colours the lines of a Plot (Series.Color indexes it, modulo its
// length).
var Palette = []color.Color{
	color.RGBA{31, 119, 180, 255}, color.RGBA{255, 127, 14, 255},
	color.RGBA{44, 160, 44, 255}, color.RGBA{214, 39, 40, 255},
}

// Series is one line of a Plot.
type Series struct {
	Label  string // legend entry
	X, Y   []float64
	Color  int  // index into Palette
	Points bool // mark every point (validation curves), not only the line
}

// Plot is a training-curve chart: lines over a grid, Width x 4 inches.
type Plot struct {
	Title, XLabel, YLabel string
	Series                []Series
	// Width is the width in inches (0: 7).
	Width float64
	// LegendTop and LegendLeft place the legend (default: bottom right).
	LegendTop, LegendLeft bool
}

// Save renders p as a PNG at path.
func (p Plot) Save(path string) error {
	g := plot.New()
	g.Title.Text = p.Title
	g.X.Label.Text = p.XLabel
	g.Y.Label.Text = p.YLabel
	for _, s := range p.Series {
		pts := make(plotter.XYs, len(s.X))
		for i := range s.X {
			pts[i] = plotter.XY{X: s.X[i], Y: s.Y[i]}
		}
		c := Palette[s.Color%len(Palette)]
		if s.Points {
			line, sc, err := plotter.NewLinePoints(pts)
			if err != nil {
				return err
			}
			line.Color, sc.Color = c, c
			g.Add(line, sc)
			g.Legend.Add(s.Label, line)
			continue
		}
		line, err := plotter.NewLine(pts)
		if err != nil {
			return err
		}
		line.Color = c
		g.Add(line)
		g.Legend.Add(s.Label, line)
	}
	g.Add(plotter.NewGrid())
	g.Legend.Top, g.Legend.Left = p.LegendTop, p.LegendLeft
	w := p.Width
	if w == 0 {
		w = 7
	}
	return g.Save(vg.Length(w)*vg.Inch, 4*vg.Inch, path)
}

// Float formats a curve value for the CSV files: shortest of six
// significant digits.
func Float(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
