package damage

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Write writes damage.md, damage.csv, damage.json and damage.png into dir
// (created if needed), each through a temporary file and a rename.
func (r *Report) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("damage: %w", err)
	}
	png, err := r.Plot()
	if err != nil {
		return err
	}
	js, err := r.JSON()
	if err != nil {
		return err
	}
	files := []struct {
		name string
		data []byte
	}{
		{"damage.md", []byte(r.Markdown())},
		{"damage.csv", r.CSV()},
		{"damage.json", js},
		{"damage.png", png},
	}
	for _, f := range files {
		if err := writeAtomic(filepath.Join(dir, f.name), f.data); err != nil {
			return err
		}
	}
	return nil
}

func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return fmt.Errorf("damage: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("damage: failed to write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("damage: failed to write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("damage: %w", err)
	}
	return os.Rename(tmp.Name(), path)
}

// levels and conditions in the order they were run.
func (r *Report) axes() (levels, conds, titles []string) {
	seenL, seenC := map[string]bool{}, map[string]bool{}
	for _, c := range r.Cells {
		if !seenL[c.Level] {
			seenL[c.Level] = true
			levels = append(levels, c.Level)
		}
		if !seenC[c.Condition] {
			seenC[c.Condition] = true
			conds = append(conds, c.Condition)
			titles = append(titles, c.Title)
		}
	}
	return levels, conds, titles
}

func (r *Report) cell(level, cond string) (Cell, bool) {
	for _, c := range r.Cells {
		if c.Level == level && c.Condition == cond {
			return c, true
		}
	}
	return Cell{}, false
}

// wilson is the 95 % Wilson score interval of k successes in n trials.
func wilson(k, n int) (lo, hi float64) {
	if n == 0 {
		return 0, 1
	}
	const z = 1.959963984540054
	p := float64(k) / float64(n)
	d := 1 + z*z/float64(n)
	c := (p + z*z/(2*float64(n))) / d
	h := z * math.Sqrt(p*(1-p)/float64(n)+z*z/(4*float64(n)*float64(n))) / d
	return max(0, c-h), min(1, c+h)
}

// Markdown renders the results table: one row per condition, for each level
// our success rate and zbar's.
func (r *Report) Markdown() string {
	levels, conds, titles := r.axes()
	zb := len(r.Cells) > 0 && r.Cells[0].ZbarRun
	var b strings.Builder
	fmt.Fprintf(&b, "# QR damage tolerance\n\n")
	fmt.Fprintf(&b, "Decode success (exact payload) of version-40 symbols holding random full-capacity payloads, rendered at %d px/module with a 4-module quiet zone, "+
		"%d seeded trials per cell (seed %d). Each cell: `ours` (qr.Decode: gozxing with fallbacks) / `zbar` (zbarimg%s). ", r.Px, r.Trials, r.Seed, zbarNote(r.Zbar))
	fmt.Fprintf(&b, "With %d trials a 95 %% Wilson interval is about +/- %.0f points at 50 %% and [%.0f, 100] %% at 100 %%.\n\n",
		r.Trials, 100*halfWidth(r.Trials/2, r.Trials), 100*lower(r.Trials, r.Trials))
	b.WriteString("| damage |")
	for _, l := range levels {
		fmt.Fprintf(&b, " %s (%s B) |", l, capStr(l))
	}
	b.WriteString("\n| --- |")
	for range levels {
		b.WriteString(" --- |")
	}
	b.WriteString("\n")
	wrong, zwrong := 0, 0
	for i, c := range conds {
		fmt.Fprintf(&b, "| %s |", titles[i])
		for _, l := range levels {
			cell, ok := r.cell(l, c)
			if !ok {
				b.WriteString(" - |")
				continue
			}
			wrong += cell.Wrong
			zwrong += cell.ZbarWrong
			if zb {
				fmt.Fprintf(&b, " %s / %s |", pct(cell.OK, cell.Trials), pct(cell.ZbarOK, cell.Trials))
			} else {
				fmt.Fprintf(&b, " %s |", pct(cell.OK, cell.Trials))
			}
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "\nWrong payloads returned: ours %d, zbar %d (out of %d trials each).\n", wrong, zwrong, r.Trials*len(r.Cells))
	b.WriteString("\nMean qr.Decode wall-clock time per trial (ms, successes and failures together; it includes waiting for a CPU when trials run in parallel on a busy machine, so see the benchmarks for unloaded timings):\n\n| damage |")
	for _, l := range levels {
		fmt.Fprintf(&b, " %s |", l)
	}
	b.WriteString("\n| --- |")
	for range levels {
		b.WriteString(" --- |")
	}
	b.WriteString("\n")
	for i, c := range conds {
		fmt.Fprintf(&b, "| %s |", titles[i])
		for _, l := range levels {
			cell, _ := r.cell(l, c)
			fmt.Fprintf(&b, " %.0f |", cell.MeanMs)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "\nRegenerate with `make qr-damage` (files: damage.csv, damage.json, damage.png). Runtime of this run: %s", r.Runtime.Round(1e9))
	if r.Workers > 0 {
		fmt.Fprintf(&b, " with %d parallel trials", r.Workers)
	}
	b.WriteString(".\n")
	return b.String()
}

func zbarNote(v string) string {
	if v == "" {
		return ", not run"
	}
	return " " + v
}

func halfWidth(k, n int) float64 { lo, hi := wilson(k, n); return (hi - lo) / 2 }
func lower(k, n int) float64     { lo, _ := wilson(k, n); return lo }

func capStr(level string) string {
	switch level {
	case "L":
		return "2953"
	case "M":
		return "2331"
	case "Q":
		return "1663"
	case "H":
		return "1273"
	}
	return "?"
}

func pct(k, n int) string {
	return strconv.FormatFloat(100*float64(k)/float64(max(n, 1)), 'f', 0, 64) + " %"
}

// CSV has one row per (level, condition) with counts, rates and 95 %
// Wilson intervals.
func (r *Report) CSV() []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"level", "condition", "title", "trials", "ok", "wrong", "rate", "rate_lo95", "rate_hi95",
		"zbar_ok", "zbar_wrong", "zbar_rate", "mean_decode_ms"})
	for _, c := range r.Cells {
		lo, hi := wilson(c.OK, c.Trials)
		zr := ""
		if c.ZbarRun {
			zr = strconv.FormatFloat(c.ZbarRate(), 'f', 4, 64)
		}
		w.Write([]string{c.Level, c.Condition, c.Title, strconv.Itoa(c.Trials), strconv.Itoa(c.OK),
			strconv.Itoa(c.Wrong), strconv.FormatFloat(c.Rate(), 'f', 4, 64),
			strconv.FormatFloat(lo, 'f', 4, 64), strconv.FormatFloat(hi, 'f', 4, 64),
			strconv.Itoa(c.ZbarOK), strconv.Itoa(c.ZbarWrong), zr, strconv.FormatFloat(c.MeanMs, 'f', 1, 64)})
	}
	w.Flush()
	return buf.Bytes()
}

// ReadJSON loads a report written by JSON (to re-render its table and plot).
func ReadJSON(data []byte) (*Report, error) {
	var v struct {
		Report
		RuntimeS float64 `json:"runtime_s"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("damage: failed to parse report: %w", err)
	}
	if v.Trials <= 0 || len(v.Cells) == 0 {
		return nil, fmt.Errorf("damage: report has no trials")
	}
	r := v.Report
	r.Runtime = time.Duration(v.RuntimeS * float64(time.Second))
	return &r, nil
}

// Merge combines reports of disjoint (level, condition) cells made with the
// same trials, seed and rendering (for example one run per level), ordering
// the cells by level L, M, Q, H and keeping each run's condition order. The
// runtime is the longest part's (they ran side by side) and the workers add
// up.
func Merge(parts ...*Report) (*Report, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("damage: nothing to merge")
	}
	out := &Report{Trials: parts[0].Trials, Seed: parts[0].Seed, Px: parts[0].Px, Zbar: parts[0].Zbar}
	seen := map[string]bool{}
	for _, p := range parts {
		if p.Trials != out.Trials || p.Seed != out.Seed || p.Px != out.Px || p.Zbar != out.Zbar {
			return nil, fmt.Errorf("damage: cannot merge runs with different trials, seed, px or zbar")
		}
		out.Workers += p.Workers
		out.Runtime = max(out.Runtime, p.Runtime)
		for _, c := range p.Cells {
			k := c.Level + "/" + c.Condition
			if seen[k] {
				return nil, fmt.Errorf("damage: cell %s appears twice", k)
			}
			seen[k] = true
			out.Cells = append(out.Cells, c)
		}
	}
	rank := map[string]int{"L": 0, "M": 1, "Q": 2, "H": 3}
	slices.SortStableFunc(out.Cells, func(a, b Cell) int { return rank[a.Level] - rank[b.Level] })
	return out, nil
}

// JSON is the whole report, runtime in seconds included.
func (r *Report) JSON() ([]byte, error) {
	v := struct {
		*Report
		RuntimeS float64 `json:"runtime_s"`
	}{r, math.Round(r.Runtime.Seconds())}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("damage: %w", err)
	}
	return append(b, '\n'), nil
}

var levelColors = []color.Color{
	color.RGBA{0x1b, 0x9e, 0x77, 0xff},
	color.RGBA{0xd9, 0x5f, 0x02, 0xff},
	color.RGBA{0x75, 0x70, 0xb3, 0xff},
	color.RGBA{0xe7, 0x29, 0x8a, 0xff},
}

// Plot draws grouped bars of the success rate per condition and level: one
// panel for qr.Decode, one for zbarimg when it was run. It returns PNG
// bytes.
func (r *Report) Plot() ([]byte, error) {
	levels, conds, _ := r.axes()
	panels := []string{"ours (qr.Decode)"}
	if len(r.Cells) > 0 && r.Cells[0].ZbarRun {
		panels = append(panels, "zbarimg")
	}
	plots := make([][]*plot.Plot, len(panels))
	for pi, name := range panels {
		p := plot.New()
		p.Title.Text = fmt.Sprintf("%s: decode success, %d trials per bar", name, r.Trials)
		p.Y.Label.Text = "success rate (%)"
		// Headroom above 100 % holds the legend clear of the bars.
		p.Y.Min, p.Y.Max = 0, 150
		p.Y.Tick.Marker = plot.ConstantTicks([]plot.Tick{{Value: 0, Label: "0"}, {Value: 25, Label: "25"},
			{Value: 50, Label: "50"}, {Value: 75, Label: "75"}, {Value: 100, Label: "100"}})
		w := vg.Points(7)
		for li, l := range levels {
			vals := make(plotter.Values, len(conds))
			for ci, c := range conds {
				cell, _ := r.cell(l, c)
				if pi == 0 {
					vals[ci] = 100 * cell.Rate()
				} else {
					vals[ci] = 100 * cell.ZbarRate()
				}
			}
			bars, err := plotter.NewBarChart(vals, w)
			if err != nil {
				return nil, fmt.Errorf("damage: %w", err)
			}
			bars.LineStyle.Width = 0
			bars.Color = levelColors[li%len(levelColors)]
			bars.Offset = w * vg.Length(float64(li)-float64(len(levels)-1)/2)
			p.Add(bars)
			p.Legend.Add("level "+l, bars)
		}
		p.Legend.Top = true
		p.Legend.Left = false
		p.NominalX(conds...)
		p.X.Tick.Label.Rotation = math.Pi / 6
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YTop
		p.Add(plotter.NewGrid())
		plots[pi] = []*plot.Plot{p}
	}
	img := vgimg.NewWith(vgimg.UseWH(vg.Points(720), vg.Points(300*float64(len(panels)))), vgimg.UseDPI(96))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: len(panels), Cols: 1, PadX: vg.Millimeter, PadY: 4 * vg.Millimeter,
		PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(8)}
	canvases := plot.Align(plots, tiles, dc)
	for i := range plots {
		plots[i][0].Draw(canvases[i][0])
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("damage: failed to render plot: %w", err)
	}
	return buf.Bytes(), nil
}
