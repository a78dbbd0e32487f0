package rd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medqr/medqr/codec"
)

// tiny returns two small test images with smooth gradients, an edge and
// some texture, so JPEG has something to lose.
func tiny() []Image {
	var out []Image
	for k := range 2 {
		g := image.NewGray(image.Rect(0, 0, 48, 40))
		for y := range 40 {
			for x := range 48 {
				v := 40 + 3*x + 2*y + 15*((x*7+y*13+k*5)%5)
				if x > 30-k*8 {
					v = 220 - y
				}
				g.SetGray(x, y, grayAt(v))
			}
		}
		out = append(out, Image{Name: fmt.Sprintf("tiny%d", k), Img: g})
	}
	return out
}

func grayAt(v int) color.Gray { return color.Gray{Y: uint8(min(max(v, 0), 255))} }

var tinyLevels = []Level{{Level: "A", Budget: 600}, {Level: "B", Budget: 400}, {Level: "C", Budget: 250}}

func jpegMethods(t *testing.T) []Method {
	t.Helper()
	m, err := Methods([]string{"jpeg", GoJPEGName})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestTinyBudgetsAndPSNR(t *testing.T) {
	imgs := tiny()
	rep, err := Run(context.Background(), Config{Levels: tinyLevels, Methods: jpegMethods(t)}, imgs)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(rep.Cells), len(imgs)*2*len(tinyLevels); got != want {
		t.Fatalf("%d cells, want %d", got, want)
	}
	fits := 0
	for _, c := range rep.Cells {
		if c.Fail != "" {
			continue
		}
		fits++
		if c.Bytes <= 0 || c.Bytes > c.Budget {
			t.Errorf("%s %s %s: %d bytes for budget %d", c.Image, c.Codec, c.Level, c.Bytes, c.Budget)
		}
		if !(c.PSNR > 15 && c.PSNR < 60) || !(c.SSIM > 0 && c.SSIM <= 1) {
			t.Errorf("%s %s %s: PSNR %.2f SSIM %.4f out of the sane range", c.Image, c.Codec, c.Level, c.PSNR, c.SSIM)
		}
	}
	if fits < len(rep.Cells)/2 {
		t.Fatalf("only %d of %d cells fit", fits, len(rep.Cells))
	}
	// The cell's PSNR is eval.PSNR of the reconstruction: redo one by hand.
	rec, file, err := GoJPEG(imgs[0].Img, tinyLevels[0].Budget)
	if err != nil {
		t.Fatal(err)
	}
	n := len(file)
	var se float64
	for i, p := range imgs[0].Img.Pix {
		d := float64(p) - float64(rec.(*image.Gray).Pix[i])
		se += d * d
	}
	want := 10 * math.Log10(255*255/(se/float64(len(imgs[0].Img.Pix))))
	for _, c := range rep.Cells {
		if c.Image == "tiny0" && c.Codec == GoJPEGName && c.Level == "A" {
			if c.Bytes != n || math.Abs(c.PSNR-want) > 1e-9 {
				t.Errorf("gojpeg cell: %d bytes PSNR %.6f, recomputed %d bytes %.6f", c.Bytes, c.PSNR, n, want)
			}
		}
	}
	// A larger budget never buys a lower quality with quality bisection.
	byLevel := map[string]Row{}
	for _, r := range rep.Summary {
		if r.Codec == GoJPEGName {
			byLevel[r.Level] = r
		}
	}
	if a, b := byLevel["A"], byLevel["B"]; a.Fails == 0 && b.Fails == 0 && a.MeanPSNR < b.MeanPSNR {
		t.Errorf("gojpeg: %.2f dB at 600 B < %.2f dB at 400 B", a.MeanPSNR, b.MeanPSNR)
	}
}

func TestSummaryStatistics(t *testing.T) {
	cells := []Cell{
		{PSNR: 30, SSIM: 0.9, Bytes: 100},
		{PSNR: 20, SSIM: 0.5, Bytes: 300},
		{Fail: "too big"},
		{PSNR: 40, SSIM: 0.7, Bytes: 200},
		{PSNR: 34, SSIM: 0.8, Bytes: 400},
	}
	r := summarise(Level{Level: "X", Budget: 500}, Method{Name: "m", Kind: "go"}, cells, 100)
	want := Row{Level: "X", Budget: 500, Codec: "m", Kind: "go", Images: 5, Fails: 1,
		MeanBytes: 250, MeanBPP: 20, MeanPSNR: 31, MedianPSNR: 32, MeanSSIM: 0.725, MedianSSIM: 0.75}
	if math.Abs(r.MeanSSIM-want.MeanSSIM) > 1e-12 || math.Abs(r.MedianSSIM-want.MedianSSIM) > 1e-12 {
		t.Fatalf("SSIM %v/%v, want %v/%v", r.MeanSSIM, r.MedianSSIM, want.MeanSSIM, want.MedianSSIM)
	}
	r.MeanSSIM, r.MedianSSIM = want.MeanSSIM, want.MedianSSIM
	// No cell carries bytes: the byte statistics are empty.
	if r.StatSource != SourceNone || r.StatBytes != 0 || !math.IsNaN(r.ByteEntropy) || !math.IsNaN(r.ChiSquare) || !math.IsNaN(r.Lag1) {
		t.Fatalf("byte statistics without bytes: %+v", r)
	}
	want.StatSource = SourceNone
	r.ByteEntropy, r.EntropyUniform, r.EntropyUniformSD, r.Lag1, r.Lag1Band, r.ChiSquare, r.ChiSquareP = 0, 0, 0, 0, 0, 0, 0
	if r != want {
		t.Fatalf("got %+v\nwant %+v", r, want)
	}
	// Cells with bytes are pooled; the failed cell is not.
	var a, b ByteStats
	a.Add([]byte{0, 255, 0, 255})
	b.Add([]byte{255, 0})
	withBytes := []Cell{{PSNR: 30, Bytes: 4, stats: &a}, {Fail: "too big", stats: &a}, {PSNR: 31, Bytes: 2, stats: &b}}
	r = summarise(Level{}, Method{Kind: "codec"}, withBytes, 100)
	if r.StatSource != SourcePayload || r.StatBytes != 6 || r.Lag1Pairs != 4 || r.ByteEntropy != 1 || r.Lag1 != -1 || r.ChiSquare != 6*127 {
		t.Fatalf("pooled row: %+v", r)
	}
	all := summarise(Level{}, Method{}, []Cell{{Fail: "x"}}, 100)
	if all.Fails != 1 || !math.IsNaN(all.MeanPSNR) || all.StatSource != SourceNoFit || !math.IsNaN(all.ByteEntropy) {
		t.Fatalf("all failed: %+v", all)
	}
}

func TestFailuresAndErrors(t *testing.T) {
	imgs := tiny()
	fail := Method{Name: "never", Code: func(*image.Gray, int) (Coding, error) {
		return Coding{}, fmt.Errorf("wrapped: %w", codec.ErrBudget)
	}}
	rep, err := Run(context.Background(), Config{Levels: tinyLevels, Methods: []Method{fail}}, imgs)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Summary {
		if r.Fails != len(imgs) {
			t.Fatalf("row %+v: want every image failed", r)
		}
	}
	if _, err := JSON(rep); err != nil {
		t.Fatalf("JSON of an all-failed report: %v", err)
	}
	if !strings.Contains(Markdown(rep), "no fit") {
		t.Error("Markdown does not say no fit")
	}

	over := Method{Name: "greedy", Code: func(g *image.Gray, budget int) (Coding, error) { return Coding{Rec: g, Bytes: budget + 1}, nil }}
	if _, err := Run(context.Background(), Config{Levels: tinyLevels, Methods: []Method{over}}, imgs); !errors.Is(err, ErrOverBudget) {
		t.Fatalf("over budget: got %v, want ErrOverBudget", err)
	}
	broken := Method{Name: "broken", Code: func(*image.Gray, int) (Coding, error) { return Coding{}, errors.New("tool crashed") }}
	if _, err := Run(context.Background(), Config{Levels: tinyLevels, Methods: []Method{broken}}, imgs); err == nil || !strings.Contains(err.Error(), "tool crashed") {
		t.Fatalf("broken method: got %v", err)
	}
	for _, bad := range [][]string{{"lossless"}, {"nosuch"}, {"jpeg", "jpeg"}} {
		if _, err := Methods(bad); err == nil {
			t.Errorf("Methods(%q) accepted", bad)
		}
	}
	if _, err := Run(context.Background(), Config{Methods: jpegMethods(t)}, nil); err == nil {
		t.Error("no images accepted")
	}
}

func TestReportShape(t *testing.T) {
	imgs := tiny()
	cfg := Config{Data: "tiny", Split: "test", Levels: tinyLevels, Methods: jpegMethods(t), Limit: map[string]int{GoJPEGName: 1}}
	rep, err := Run(context.Background(), cfg, imgs)
	if err != nil {
		t.Fatal(err)
	}
	js, err := JSON(rep)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Data    string           `json:"data"`
		Images  []string         `json:"images"`
		Levels  []Level          `json:"levels"`
		Codecs  []string         `json:"codecs"`
		Subset  map[string]int   `json:"subset"`
		Summary []map[string]any `json:"summary"`
		Cells   []map[string]any `json:"cells"`
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc.Data != "tiny" || len(doc.Images) != 2 || len(doc.Levels) != 3 || strings.Join(doc.Codecs, ",") != "jpeg,gojpeg" {
		t.Fatalf("header: %+v", doc)
	}
	if doc.Subset["jpeg"] != 2 || doc.Subset[GoJPEGName] != 1 {
		t.Fatalf("subset %v", doc.Subset)
	}
	if len(doc.Summary) != 3*2 {
		t.Fatalf("%d summary rows", len(doc.Summary))
	}
	for _, k := range []string{"level", "budget", "codec", "kind", "images", "fails", "mean_bytes", "mean_bpp", "mean_psnr", "median_psnr", "mean_ssim", "median_ssim"} {
		if _, ok := doc.Summary[0][k]; !ok {
			t.Errorf("summary row lacks %q", k)
		}
	}
	if got, want := len(doc.Cells), (2+1)*3; got != want {
		t.Fatalf("%d cells, want %d (gojpeg limited to 1 image)", got, want)
	}
	md := Markdown(rep)
	for _, s := range []string{"# Rate-distortion", "| codec | images | A (600 B) | B (400 B) | C (250 B) |", "gojpeg the first 1", "## Level C: budget 250 bytes"} {
		if !strings.Contains(md, s) {
			t.Errorf("Markdown lacks %q:\n%s", s, md)
		}
	}
	// The matrix, then one line per level in the code-bytes table and in
	// each per-level table.
	if n := strings.Count(md, "\n| jpeg |"); n != 1+3+3 {
		t.Errorf("%d jpeg lines in the Markdown, want 7", n)
	}
	if lines := strings.Count(string(CellsCSV(rep)), "\n"); lines != 1+9 {
		t.Errorf("rd.csv has %d lines, want 10", lines)
	}
	if lines := strings.Count(string(SummaryCSV(rep)), "\n"); lines != 1+6 {
		t.Errorf("rd_summary.csv has %d lines, want 7", lines)
	}
	dir := t.TempDir()
	if err := Write(dir, rep); err != nil {
		t.Fatal(err)
	}
	for _, f := range Files {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil || len(b) == 0 {
			t.Errorf("%s: %v (%d bytes)", f, err, len(b))
		}
		if strings.HasSuffix(f, ".png") && !bytes.HasPrefix(b, []byte("\x89PNG")) {
			t.Errorf("%s is not a PNG", f)
		}
	}
}

func TestDeterministic(t *testing.T) {
	imgs := tiny()
	var outs [][]byte
	for _, w := range []int{1, 3} {
		rep, err := Run(context.Background(), Config{Levels: tinyLevels, Methods: jpegMethods(t), Workers: w}, imgs)
		if err != nil {
			t.Fatal(err)
		}
		js, err := JSON(rep)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, append(append(js, CellsCSV(rep)...), Markdown(rep)...))
	}
	if !bytes.Equal(outs[0], outs[1]) {
		t.Fatal("two runs (1 and 3 workers) wrote different reports")
	}
}

func TestKeyModeLevels(t *testing.T) {
	// The budgets docs/encryptor.md quotes; they move only if the container
	// or the QR capacities change.
	want := map[string]int{"L": 2905, "M": 2283, "Q": 1615, "H": 1225}
	ls := KeyModeLevels()
	if len(ls) != 4 {
		t.Fatalf("%d levels", len(ls))
	}
	for _, l := range ls {
		if l.Budget != want[l.Level] || l.Capacity <= l.Budget {
			t.Errorf("level %s: capacity %d budget %d, want budget %d", l.Level, l.Capacity, l.Budget, want[l.Level])
		}
	}
}

// TestQuick runs the -quick setting on the shipped test split: a few
// images, the Go codecs only.
func TestQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("codes shipped images with every Go codec")
	}
	start := time.Now()
	imgs, err := LoadImages(filepath.Join("..", "..", "data", "samples", "kermany_cxr_224"), "test", QuickImages)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Methods(QuickCodecs())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), Config{Methods: m}, imgs)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Summary) != 4*len(m) {
		t.Fatalf("%d rows", len(rep.Summary))
	}
	for _, r := range rep.Summary {
		if r.Fails == r.Images {
			if r.Codec == GoJPEGName && r.Level == "H" {
				continue // full-resolution JFIF does not fit 1,225 bytes
			}
			t.Errorf("%s at %s: nothing fit", r.Codec, r.Level)
			continue
		}
		if r.MeanBytes > float64(r.Budget) || r.MeanPSNR < 22 || r.MeanPSNR > 50 {
			t.Errorf("%s at %s: %.0f bytes (budget %d), %.2f dB", r.Codec, r.Level, r.MeanBytes, r.Budget, r.MeanPSNR)
		}
	}
	t.Logf("quick: %d images, %d codecs, %v", len(imgs), len(m), time.Since(start).Round(time.Millisecond))
}
