package rd

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/medqr/medqr/data"
	"github.com/medqr/medqr/eval/shard"
	"github.com/medqr/medqr/qr"
	"github.com/medqr/medqr/seal"
	"github.com/medqr/medqr/store"
)

// Multi-code rate-distortion (lossy multi-code mode, store.Options.Codes):
// image files preprocessed to a larger working size and coded into the
// payload of several version-40 symbols, one Run per (size, codes) point,
// so the methods, the result cache and the scoring are those of the
// single-code table.

// MultiPoint is one row group of the multi-code table: images
// preprocessed to Size x Size, coded into the key-mode payload of Codes
// version-40 symbols (store.MessageBudget).
type MultiPoint struct {
	Size  int `json:"size"`
	Codes int `json:"codes"`
}

func (p MultiPoint) String() string { return fmt.Sprintf("%d:%d", p.Size, p.Codes) }

// ParseMultiPoints parses a comma-separated list of SIZE:CODES points,
// e.g. "256:1,512:4,768:9,1024:16".
func ParseMultiPoints(s string) ([]MultiPoint, error) {
	var out []MultiPoint
	for _, f := range strings.Split(s, ",") {
		a, b, ok := strings.Cut(strings.TrimSpace(f), ":")
		size, err1 := strconv.Atoi(a)
		codes, err2 := strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil || size < 8 || size > 4096 || codes < 1 || codes > store.DefaultMaxSymbols {
			return nil, fmt.Errorf("rd: multi-code point %q: want SIZE:CODES with SIZE 8..4096 and CODES 1..%d", f, store.DefaultMaxSymbols)
		}
		p := MultiPoint{size, codes}
		if slices.Contains(out, p) {
			return nil, fmt.Errorf("rd: multi-code point %s named twice", p)
		}
		out = append(out, p)
	}
	return out, nil
}

// MultiLevels returns, for each level named in levels (letters of "LMQH"),
// the key-mode payload budget of codes version-40 symbols.
func MultiLevels(codes int, levels string) ([]Level, error) {
	s := seal.NewKeySealer(seal.Key{}) // the budget depends on the mode only
	var out []Level
	for _, r := range levels {
		l, err := qr.ParseLevel(string(r))
		if err != nil {
			return nil, fmt.Errorf("rd: level %q: %w", r, err)
		}
		c := qr.Capacity(l)
		out = append(out, Level{Level: l.String(), Capacity: c, Budget: store.MessageBudget(codes, c, s)})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("rd: no levels in %q", levels)
	}
	return out, nil
}

// LoadFiles reads image files (PNG, JPEG, DICOM) as the product path does
// (data.Load, Display) and preprocesses each to size x size. A file whose
// shorter side is below size is never upscaled: it is left out and named
// in skipped. Images are named by their file's base name, which must be
// unique.
func LoadFiles(paths []string, size int) (imgs []Image, skipped []string, err error) {
	seen := map[string]bool{}
	for _, p := range paths {
		name := filepath.Base(p)
		if seen[name] {
			return nil, nil, fmt.Errorf("rd: two files named %s", name)
		}
		seen[name] = true
		d, err := data.Load(p)
		if err != nil {
			return nil, nil, fmt.Errorf("rd: %w", err)
		}
		g := d.Display()
		if min(g.Rect.Dx(), g.Rect.Dy()) < size {
			skipped = append(skipped, fmt.Sprintf("%s (%dx%d)", name, g.Rect.Dx(), g.Rect.Dy()))
			continue
		}
		imgs = append(imgs, Image{Name: name, Img: data.Preprocess(g, size)})
	}
	return imgs, skipped, nil
}

// MultiTable is the result at one point.
type MultiTable struct {
	MultiPoint
	Skipped []string `json:"skipped,omitempty"` // files smaller than the size
	Report  *Report  `json:"-"`
}

// MultiReport is the result of RunMulti.
type MultiReport struct {
	Files  []string     `json:"files"`
	Levels string       `json:"levels"`
	Tables []MultiTable `json:"tables"`
}

// RunMulti runs cfg (its Methods, Limit, Workers, Cache and Progress; its
// Levels are replaced) on the files at every point. progress, when set,
// gives each point's Config.Progress.
func RunMulti(ctx context.Context, cfg Config, files []string, points []MultiPoint, levels string, progress func(MultiPoint) func(done, total int)) (*MultiReport, error) {
	mr := &MultiReport{Levels: levels}
	for _, f := range files {
		mr.Files = append(mr.Files, filepath.Base(f))
	}
	for _, p := range points {
		imgs, skipped, err := LoadFiles(files, p.Size)
		if err != nil {
			return nil, err
		}
		if len(imgs) == 0 {
			return nil, fmt.Errorf("rd: no file is %dx%d or larger (%s)", p.Size, p.Size, strings.Join(skipped, ", "))
		}
		c := cfg
		if progress != nil {
			c.Progress = progress(p)
		}
		if c.Levels, err = MultiLevels(p.Codes, levels); err != nil {
			return nil, err
		}
		rep, err := Run(ctx, c, imgs)
		if err != nil {
			return nil, fmt.Errorf("rd: at %dx%d in %d codes: %w", p.Size, p.Size, p.Codes, err)
		}
		mr.Tables = append(mr.Tables, MultiTable{MultiPoint: p, Skipped: skipped, Report: rep})
	}
	return mr, nil
}

// pointDir is the folder of one point's full report under WriteMulti's dir.
func pointDir(p MultiPoint) string { return fmt.Sprintf("%dpx-%dcodes", p.Size, p.Codes) }

// WriteMulti saves mr into dir: multicode.md (the table), multicode.json
// (the table's numbers), and for each point a folder SIZEpx-Ncodes with
// rd.json and rd.csv (every cell). Like Write, the files depend only on
// the images and the configuration.
func WriteMulti(dir string, mr *MultiReport) error {
	rows := MultiRows(mr)
	js, err := json.MarshalIndent(struct {
		*MultiReport
		Rows []MultiRow `json:"rows"`
	}{mr, rows}, "", "  ")
	if err != nil {
		return fmt.Errorf("rd: %w", err)
	}
	files := map[string][]byte{
		"multicode.json": append(js, '\n'),
		"multicode.md":   []byte(MultiMarkdown(mr, rows)),
	}
	for _, t := range mr.Tables {
		j, err := JSON(t.Report)
		if err != nil {
			return err
		}
		sub := pointDir(t.MultiPoint)
		files[filepath.Join(sub, "rd.json")] = j
		files[filepath.Join(sub, "rd.csv")] = CellsCSV(t.Report)
	}
	if err := shard.WriteFiles(dir, files); err != nil {
		return fmt.Errorf("rd: %w", err)
	}
	return nil
}

// MultiRow compares the first method of a run (the reference, e.g. iwave)
// with another (Rival) at one point and level, on the images both coded.
type MultiRow struct {
	Size      int     `json:"size"`
	Codes     int     `json:"codes"`
	Level     string  `json:"level"`
	Budget    int     `json:"budget"`
	BPP       float64 `json:"budget_bpp"`
	Images    int     `json:"images"` // coded by both
	Ref       string  `json:"ref"`
	Rival     string  `json:"rival"`
	RefPSNR   float64 `json:"ref_psnr"`
	RefSSIM   float64 `json:"ref_ssim"`
	RivalPSNR float64 `json:"rival_psnr"`
	RivalSSIM float64 `json:"rival_ssim"`
	DPSNR     float64 `json:"d_psnr"`     // mean of ref - rival, dB
	DPSNRMin  float64 `json:"d_psnr_min"` // the image where ref is furthest behind
	DPSNRMax  float64 `json:"d_psnr_max"`
	DSSIM     float64 `json:"d_ssim"`
	Wins      int     `json:"psnr_wins"` // images where ref's PSNR is higher
}

// MultiRows pairs the first method with every other one at each point and
// level (rows with no image coded by both are left out).
func MultiRows(mr *MultiReport) []MultiRow {
	var out []MultiRow
	for _, t := range mr.Tables {
		rep := t.Report
		if len(rep.Codecs) < 2 {
			continue
		}
		ref := rep.Codecs[0]
		for _, lv := range rep.Levels {
			_, rc, _ := rep.Lookup(ref, lv.Level)
			for _, rival := range rep.Codecs[1:] {
				_, vc, _ := rep.Lookup(rival, lv.Level)
				r := MultiRow{Size: t.Size, Codes: t.Codes, Level: lv.Level, Budget: lv.Budget,
					BPP: float64(lv.Budget) * 8 / float64(rep.Pixels), Ref: ref, Rival: rival}
				var rp, rs, vp, vs, dp, ds []float64
				for i := range min(len(rc), len(vc)) {
					a, b := rc[i], vc[i]
					if a.Fail != "" || b.Fail != "" {
						continue
					}
					rp, rs, vp, vs = append(rp, a.PSNR), append(rs, a.SSIM), append(vp, b.PSNR), append(vs, b.SSIM)
					dp, ds = append(dp, a.PSNR-b.PSNR), append(ds, a.SSIM-b.SSIM)
					if a.PSNR > b.PSNR {
						r.Wins++
					}
				}
				if len(dp) == 0 {
					continue
				}
				r.Images = len(dp)
				r.RefPSNR, r.RefSSIM, r.RivalPSNR, r.RivalSSIM = mean(rp), mean(rs), mean(vp), mean(vs)
				r.DPSNR, r.DSSIM = mean(dp), mean(ds)
				r.DPSNRMin, r.DPSNRMax = slices.Min(dp), slices.Max(dp)
				out = append(out, r)
			}
		}
	}
	return out
}

// MultiMarkdown renders the table with the images each point used.
func MultiMarkdown(mr *MultiReport, rows []MultiRow) string {
	var b strings.Builder
	b.WriteString("# Rate-distortion of lossy multi-code sets\n\n")
	fmt.Fprintf(&b, "Files: %s. Each is read as `medqr encrypt` reads it (data.Load, Display), centre-cropped to a square and resampled to the working size; a file smaller than the size is left out, never upscaled. The budget is the key-mode payload of N version-40 symbols (`store.MessageBudget`). PSNR and SSIM from package eval at the working size; differences are paired over the images both methods coded.\n\n",
		strings.Join(mr.Files, ", "))
	b.WriteString("| size | codes | level | budget (B) | bpp | images | ref | PSNR | SSIM | rival | PSNR | SSIM | ΔPSNR dB mean (min, max) | ΔSSIM | ref higher |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %d | %d | %s | %d | %.3f | %d | %s | %.2f | %.4f | %s | %.2f | %.4f | %+.2f (%+.2f, %+.2f) | %+.4f | %d/%d |\n",
			r.Size, r.Codes, r.Level, r.Budget, r.BPP, r.Images, r.Ref, r.RefPSNR, r.RefSSIM, r.Rival, r.RivalPSNR, r.RivalSSIM,
			r.DPSNR, r.DPSNRMin, r.DPSNRMax, r.DSSIM, r.Wins, r.Images)
	}
	b.WriteString("\nImages at each point:\n\n")
	for _, t := range mr.Tables {
		codes := "codes"
		if t.Codes == 1 {
			codes = "code"
		}
		fmt.Fprintf(&b, "- %dx%d in %d %s: %s", t.Size, t.Size, t.Codes, codes, strings.Join(t.Report.Images, ", "))
		if len(t.Skipped) > 0 {
			fmt.Fprintf(&b, "; left out (smaller than %d): %s", t.Size, strings.Join(t.Skipped, ", "))
		}
		b.WriteString("\n")
	}
	return b.String()
}
