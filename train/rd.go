package train

import (
	"context"
	"fmt"
	"image"
	"path/filepath"
	"strings"

	"github.com/medqr/medqr/codec"
	"github.com/medqr/medqr/eval/rd"
	"github.com/medqr/medqr/qr"
	"github.com/medqr/medqr/train/internal/runio"
)

// RDRow is one codec at one QR level over an image set.
type RDRow struct {
	Codec  string `json:"codec"`
	Level  string `json:"level"`
	Budget int    `json:"budget"`
	Summary
	Images []ImageResult `json:"images,omitempty"`
}

// RDReport is a rate-distortion comparison.
type RDReport struct {
	Data        string  `json:"data"`
	Split       string  `json:"split"`
	Images      int     `json:"images"`
	Size        int     `json:"size"`
	Overhead    int     `json:"seal_overhead_bytes"`
	WeightsSHA  string  `json:"learned_weights_sha256,omitempty"`
	CodeVersion string  `json:"code_version"`
	Seconds     float64 `json:"seconds"`
	Rows        []RDRow `json:"rows"`
}

// CompareRD codes imgs with every codec at every level's budget (Budget)
// and summarises PSNR and SSIM, through the one rate-distortion harness
// (eval/rd) that medqr rd also runs.
func CompareRD(codecs []codec.Codec, imgs []*image.Gray, workers int) ([]RDRow, error) {
	cfg := rd.Config{Workers: workers}
	for _, l := range Levels {
		cfg.Levels = append(cfg.Levels, rd.Level{Level: string(l), Capacity: qr.Capacity(l), Budget: Budget(l)})
	}
	for _, c := range codecs {
		cfg.Methods = append(cfg.Methods, rd.CodecMethod(c))
	}
	rep, err := rd.Run(context.Background(), cfg, rd.GrayImages(imgs))
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	var rows []RDRow
	for _, lv := range cfg.Levels {
		for _, c := range codecs {
			r, cells, ok := rep.Lookup(c.Name(), lv.Level)
			if !ok {
				return nil, fmt.Errorf("train: the RD report has no row for %s at %s", c.Name(), lv.Level)
			}
			row := RDRow{Codec: c.Name(), Level: lv.Level, Budget: lv.Budget,
				Summary: Summary{N: r.Images - r.Fails, Fails: r.Fails}}
			if row.N > 0 {
				row.MeanBytes, row.MeanPSNR, row.MedianPSNR, row.MeanSSIM, row.MedianSSIM = r.MeanBytes, r.MeanPSNR, r.MedianPSNR, r.MeanSSIM, r.MedianSSIM
			}
			for i, cell := range cells {
				row.Images = append(row.Images, ImageResult{Index: i, Bytes: cell.Bytes, PSNR: cell.PSNR, SSIM: cell.SSIM, Err: cell.Fail})
			}
			rows = append(rows, row)
		}
	}
	return rows, nil
}

// WriteRD writes base.json, base.md and base.png into dir (created if
// needed).
func WriteRD(dir, base string, r RDReport) error {
	if err := runio.WriteJSON(filepath.Join(dir, base+".json"), r); err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Learned codec vs Go image/jpeg, one QR v40 symbol per image\n\n")
	fmt.Fprintf(&b, "%d images of the `%s` split of `%s` (content-hash split, never trained on), %dx%d 8-bit; budget = QR v40 byte capacity minus the %d-byte key-mode seal overhead. Code %s.\n\n",
		r.Images, r.Split, r.Data, r.Size, r.Size, r.Overhead, r.CodeVersion)
	if r.WeightsSHA != "" {
		fmt.Fprintf(&b, "Learned weights SHA-256 `%s`.\n\n", r.WeightsSHA)
	}
	b.WriteString("| level | budget (B) | codec | mean bytes | PSNR mean (dB) | PSNR median | SSIM mean | SSIM median | did not fit |\n")
	b.WriteString("|---|---:|---|---:|---:|---:|---:|---:|---:|\n")
	for _, row := range r.Rows {
		fmt.Fprintf(&b, "| %s | %d | %s | %.0f | %.2f | %.2f | %.4f | %.4f | %d |\n",
			row.Level, row.Budget, row.Codec, row.MeanBytes, row.MeanPSNR, row.MedianPSNR, row.MeanSSIM, row.MedianSSIM, row.Fails)
	}
	if err := runio.WriteAtomic(filepath.Join(dir, base+".md"), []byte(b.String())); err != nil {
		return err
	}
	return plotRD(filepath.Join(dir, base+".png"), r)
}

func plotRD(path string, r RDReport) error {
	p := runio.Plot{Title: fmt.Sprintf("%d test images, 256x256: mean PSNR at each QR v40 level", r.Images),
		XLabel: "payload budget (bytes)", YLabel: "mean PSNR (dB)", Width: 6, LegendTop: true, LegendLeft: true}
	seen := map[string]bool{}
	for _, row := range r.Rows {
		if seen[row.Codec] {
			continue
		}
		seen[row.Codec] = true
		s := runio.Series{Label: row.Codec, Color: len(p.Series), Points: true}
		for _, o := range r.Rows {
			if o.Codec == row.Codec && o.N > 0 {
				s.X, s.Y = append(s.X, float64(o.Budget)), append(s.Y, o.MeanPSNR)
			}
		}
		p.Series = append(p.Series, s)
	}
	return p.Save(path)
}
