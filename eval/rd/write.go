package rd

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/medqr/medqr/eval"
	"github.com/medqr/medqr/eval/shard"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// Files lists what Write creates in its folder.
var Files = []string{"rd.json", "rd.csv", "rd_summary.csv", "rd.md", "rd_psnr.png", "rd_ssim.png"}

// Write saves the report into dir (created if needed): rd.json (everything),
// rd.csv (one line per image, codec and level), rd_summary.csv and rd.md
// (one line per codec and level), rd_psnr.png and rd_ssim.png (mean PSNR
// and SSIM against mean bits per pixel, one line per codec over the levels).
// Each file is written to a temporary name and renamed, so a failed run
// leaves no half-written file.
func Write(dir string, rep *Report) error {
	js, err := JSON(rep)
	if err != nil {
		return err
	}
	psnrPNG, err := Plot(rep, "psnr")
	if err != nil {
		return err
	}
	ssimPNG, err := Plot(rep, "ssim")
	if err != nil {
		return err
	}
	err = shard.WriteFiles(dir, map[string][]byte{
		"rd.json":        js,
		"rd.csv":         CellsCSV(rep),
		"rd_summary.csv": SummaryCSV(rep),
		"rd.md":          []byte(Markdown(rep)),
		"rd_psnr.png":    psnrPNG,
		"rd_ssim.png":    ssimPNG,
	})
	if err != nil {
		return fmt.Errorf("rd: %w", err)
	}
	return nil
}

// JSON is the report as indented JSON; NaN means (a row with no fits) are
// written as null.
func JSON(rep *Report) ([]byte, error) {
	r := *rep
	r.Summary = nil
	rows := make([]json.RawMessage, len(rep.Summary))
	for i, s := range rep.Summary {
		var err error
		if rows[i], err = nanAsNull(s); err != nil {
			return nil, err
		}
	}
	b, err := json.MarshalIndent(struct {
		*Report
		Summary []json.RawMessage `json:"summary"`
	}{&r, rows}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("rd: %w", err)
	}
	return append(b, '\n'), nil
}

// nanAsNull encodes the struct v as a JSON object, its fields in order
// under their JSON names, with NaN and infinite float64 fields as null
// (which encoding/json refuses to write).
func nanAsNull(v any) (json.RawMessage, error) {
	rv := reflect.ValueOf(v)
	var b bytes.Buffer
	b.WriteByte('{')
	for i := range rv.NumField() {
		f := rv.Type().Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" || name == "" {
			continue
		}
		val := rv.Field(i).Interface()
		if x, ok := val.(float64); ok && (math.IsNaN(x) || math.IsInf(x, 0)) {
			val = nil
		}
		vb, err := json.Marshal(val)
		if err != nil {
			return nil, fmt.Errorf("rd: %w", err)
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(name))
		b.WriteByte(':')
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func f(v float64, prec int) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'f', prec, 64)
}

// g formats a p-value: 4 significant digits, NaN as empty.
func g(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// CellsCSV has one line per image, codec and level.
func CellsCSV(rep *Report) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"image", "codec", "level", "budget", "bytes", "psnr", "ssim", "fail"})
	for _, c := range rep.Cells {
		if c.Fail != "" {
			w.Write([]string{c.Image, c.Codec, c.Level, strconv.Itoa(c.Budget), "", "", "", c.Fail})
			continue
		}
		w.Write([]string{c.Image, c.Codec, c.Level, strconv.Itoa(c.Budget), strconv.Itoa(c.Bytes), f(c.PSNR, 4), f(c.SSIM, 6), ""})
	}
	w.Flush()
	return b.Bytes()
}

// SummaryCSV has one line per codec and level.
func SummaryCSV(rep *Report) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"level", "budget", "codec", "kind", "images", "fails", "mean_bytes", "mean_bpp", "mean_psnr", "median_psnr", "mean_ssim", "median_ssim",
		"stat_source", "stat_bytes", "byte_entropy", "byte_entropy_uniform", "byte_entropy_uniform_sd", "lag1_r", "lag1_pairs", "lag1_band95", "chi_square", "chi_square_p"})
	for _, r := range rep.Summary {
		w.Write([]string{r.Level, strconv.Itoa(r.Budget), r.Codec, r.Kind, strconv.Itoa(r.Images), strconv.Itoa(r.Fails),
			f(r.MeanBytes, 1), f(r.MeanBPP, 4), f(r.MeanPSNR, 3), f(r.MedianPSNR, 3), f(r.MeanSSIM, 4), f(r.MedianSSIM, 4),
			r.StatSource, strconv.Itoa(r.StatBytes), f(r.ByteEntropy, 5), f(r.EntropyUniform, 5), f(r.EntropyUniformSD, 5),
			f(r.Lag1, 5), strconv.Itoa(r.Lag1Pairs), f(r.Lag1Band, 5), f(r.ChiSquare, 2), g(r.ChiSquareP)})
	}
	w.Flush()
	return b.Bytes()
}

// Markdown renders the summary: a compact PSNR/SSIM matrix (codec by level)
// and the full table per level, with the image subset each codec covers.
func Markdown(rep *Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Rate-distortion at the QR v40 payload budgets\n\n")
	fmt.Fprintf(&b, "Data: `%s`, split `%s`, %d images of %d pixels. Budgets are the key-mode payload of one version-40 symbol per level (`seal.PayloadBudget(qr.Capacity(level), key sealer)`). PSNR and SSIM from package eval; means and medians over the images that fit (fails: nothing fit the budget).\n\n",
		rep.Data, rep.Split, len(rep.Images), rep.Pixels)
	b.WriteString("Images per codec: ")
	for i, c := range rep.Codecs {
		if i > 0 {
			b.WriteString(", ")
		}
		n := rep.Subset[c]
		if n == len(rep.Images) {
			fmt.Fprintf(&b, "%s all %d", c, n)
		} else {
			fmt.Fprintf(&b, "%s the first %d", c, n)
		}
	}
	b.WriteString(".\n\n")
	rows := map[[2]string]Row{}
	for _, r := range rep.Summary {
		rows[[2]string{r.Codec, r.Level}] = r
	}
	b.WriteString("## Mean PSNR (dB) / mean SSIM\n\n| codec | images |")
	for _, l := range rep.Levels {
		fmt.Fprintf(&b, " %s (%d B) |", l.Level, l.Budget)
	}
	b.WriteString("\n|---|---:|")
	for range rep.Levels {
		b.WriteString("---:|")
	}
	b.WriteString("\n")
	for _, c := range rep.Codecs {
		fmt.Fprintf(&b, "| %s | %d |", c, rep.Subset[c])
		for _, l := range rep.Levels {
			r := rows[[2]string{c, l.Level}]
			if r.Fails == r.Images {
				b.WriteString(" no fit |")
				continue
			}
			fmt.Fprintf(&b, " %s / %s |", f(r.MeanPSNR, 2), f(r.MeanSSIM, 4))
		}
		b.WriteString("\n")
	}
	byteStatsTable(&b, rep, rows)
	for _, l := range rep.Levels {
		fmt.Fprintf(&b, "\n## Level %s: budget %d bytes (%.3f bpp)\n\n", l.Level, l.Budget, float64(l.Budget)*8/float64(rep.Pixels))
		b.WriteString("| codec | images | fails | mean bytes | mean bpp | mean PSNR | median PSNR | mean SSIM | median SSIM |\n")
		b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, c := range rep.Codecs {
			r := rows[[2]string{c, l.Level}]
			fmt.Fprintf(&b, "| %s | %d | %d | %s | %s | %s | %s | %s | %s |\n", c, r.Images, r.Fails,
				f(r.MeanBytes, 1), f(r.MeanBPP, 4), f(r.MeanPSNR, 2), f(r.MedianPSNR, 2), f(r.MeanSSIM, 4), f(r.MedianSSIM, 4))
		}
	}
	return b.String()
}

// byteStatsTable writes the second table of rd.md: the statistics of the
// coded bytes, one line per codec and level.
func byteStatsTable(b *strings.Builder, rep *Report, rows map[[2]string]Row) {
	fmt.Fprintf(b, "\n## Code bytes: entropy, lag-1 correlation, chi-square\n\n"+
		"All the bytes of a codec's encodings at a level, pooled over the images that fit. "+
		"Entropy: Shannon entropy of the pooled byte histogram in bits per byte (8 at most); "+
		"uniform: the exact mean +/- sd of that entropy for as many uniformly random bytes (`eval.EntropyNull`), the value a noise-like code should reach. "+
		"Lag-1 r: Pearson's correlation of each byte with the next one in the same encoding (pairs never straddle two images), "+
		"with the half-width of the 95 %% band for independent bytes (1.96/sqrt(pairs)). "+
		"Chi-square: the pooled histogram against uniform, %d degrees of freedom (5 %% critical value %.2f), and its p-value (0: below 1e-300).",
		ChiSquareDOF, eval.ChiSquareCritical(ChiSquareDOF, 0.05))
	bySource := map[string][]string{}
	for _, c := range rep.Codecs {
		for _, l := range rep.Levels {
			if src := rows[[2]string{c, l.Level}].StatSource; src != SourceNoFit {
				bySource[src] = append(bySource[src], c)
				break
			}
		}
	}
	for _, s := range []struct{ src, text string }{
		{SourcePayload, "the codec payload the container carries, which starts with each codec's few header bytes (format version, dimensions)"},
		{SourceFile, "the whole file, whose headers (markers, tables, boxes) lower the entropy and add structure"},
		{SourceNone, "not measured: the method does not expose its bytes"},
	} {
		if cs := bySource[s.src]; len(cs) > 0 {
			fmt.Fprintf(b, " %s: %s.", strings.Join(cs, ", "), s.text)
		}
	}
	b.WriteString("\n\n")
	b.WriteString("| codec | level | measured on | bytes | entropy (bits/byte) | uniform | lag-1 r | 95 % band | chi-square | p |\n")
	b.WriteString("|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, c := range rep.Codecs {
		for _, l := range rep.Levels {
			r := rows[[2]string{c, l.Level}]
			if r.StatBytes == 0 {
				fmt.Fprintf(b, "| %s | %s | %s | | | | | | | |\n", c, l.Level, r.StatSource)
				continue
			}
			fmt.Fprintf(b, "| %s | %s | %s | %d | %s | %s +/- %s | %s | +/-%s | %s | %s |\n", c, l.Level, r.StatSource, r.StatBytes,
				f(r.ByteEntropy, 4), f(r.EntropyUniform, 4), f(r.EntropyUniformSD, 4), f(r.Lag1, 4), f(r.Lag1Band, 4), f(r.ChiSquare, 1), g(r.ChiSquareP))
		}
	}
}

// Plot draws mean PSNR ("psnr") or mean SSIM ("ssim") against mean bits per
// pixel, one line per codec through its four levels, as a PNG.
func Plot(rep *Report, metric string) ([]byte, error) {
	p := plot.New()
	p.X.Label.Text = "mean bits per pixel (bytes used x 8 / pixels)"
	switch metric {
	case "psnr":
		p.Title.Text = "PSNR at the QR v40 budgets (L M Q H)"
		p.Y.Label.Text = "mean PSNR (dB)"
	case "ssim":
		p.Title.Text = "SSIM at the QR v40 budgets (L M Q H)"
		p.Y.Label.Text = "mean SSIM"
	default:
		return nil, fmt.Errorf("rd: unknown metric %q", metric)
	}
	p.Legend.Top = false
	p.Legend.Left = false
	p.Add(plotter.NewGrid())
	for i, c := range rep.Codecs {
		var xy plotter.XYs
		for _, r := range rep.Summary {
			if r.Codec != c || math.IsNaN(r.MeanBPP) {
				continue
			}
			y := r.MeanPSNR
			if metric == "ssim" {
				y = r.MeanSSIM
			}
			xy = append(xy, plotter.XY{X: r.MeanBPP, Y: y})
		}
		if len(xy) == 0 {
			continue
		}
		l, s, err := plotter.NewLinePoints(xy)
		if err != nil {
			return nil, fmt.Errorf("rd: plot: %w", err)
		}
		col := plotutil.Color(i)
		l.Color = col
		l.Width = vg.Points(1.5)
		s.Color = col
		s.Shape = plotutil.Shape(i)
		s.Radius = vg.Points(3)
		p.Add(l, s)
		label := c
		if n := rep.Subset[c]; n != len(rep.Images) {
			label = fmt.Sprintf("%s (%d images)", c, n)
		}
		p.Legend.Add(label, l, s)
	}
	wt, err := p.WriterTo(7*vg.Inch, 5*vg.Inch, "png")
	if err != nil {
		return nil, fmt.Errorf("rd: plot: %w", err)
	}
	var b bytes.Buffer
	if _, err := wt.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("rd: plot: %w", err)
	}
	return b.Bytes(), nil
}
