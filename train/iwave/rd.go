package iwave

import (
	"context"
	"fmt"
	"image"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/medqr/medqr/eval/rd"
	"github.com/medqr/medqr/qr"
	"github.com/medqr/medqr/train"
	"github.com/medqr/medqr/train/internal/runio"
)

// RDRow summarises one codec at one QR level.
type RDRow struct {
	Codec      string    `json:"codec"`
	Level      string    `json:"level"`
	Budget     int       `json:"budget"`
	MeanBytes  float64   `json:"mean_bytes"`
	MeanPSNR   float64   `json:"mean_psnr"`
	MedianPSNR float64   `json:"median_psnr"`
	MeanSSIM   float64   `json:"mean_ssim"`
	MedianSSIM float64   `json:"median_ssim"`
	Fails      int       `json:"fails"`
	PSNR       []float64 `json:"psnr"`
}

// RDReport is the rate-distortion comparison on one split.
type RDReport struct {
	Data        string  `json:"data"`
	Split       string  `json:"split"`
	Images      int     `json:"images"`
	CodeVersion string  `json:"code_version"`
	Seconds     float64 `json:"seconds"`
	Rows        []RDRow `json:"rows"`
}

// RD codes imgs with iwave, learned and Go jpeg (with ext, also libjpeg
// and JPEG 2000 through their Debian tools, fitted to the same budgets) at
// the four QR v40 budgets of package train, through the one
// rate-distortion harness (eval/rd) that medqr rd also runs; the external
// tools' results come from its cache (rd.DefaultCache) when they are there.
func RD(imgs []*image.Gray, ext bool, log logrus.FieldLogger) (RDReport, error) {
	start := time.Now()
	names := []string{"iwave", "learned", "jpeg"}
	if ext {
		names = append(names, "libjpeg", "jpeg2000")
	}
	methods, err := rd.Methods(names)
	if err != nil {
		return RDReport{}, err
	}
	cfg := rd.Config{Methods: methods, Workers: 2, Cache: rd.DefaultCache()}
	for _, l := range train.Levels {
		cfg.Levels = append(cfg.Levels, rd.Level{Level: string(l), Capacity: qr.Capacity(l), Budget: train.Budget(l)})
	}
	r, err := rd.Run(context.Background(), cfg, rd.GrayImages(imgs))
	if err != nil {
		return RDReport{}, err
	}
	rep := RDReport{Images: len(imgs), CodeVersion: train.CodeVersion()}
	for _, lv := range cfg.Levels {
		for _, m := range methods {
			s, cells, ok := r.Lookup(m.Name, lv.Level)
			if !ok {
				return RDReport{}, fmt.Errorf("iwave: the RD report has no row for %s at %s", m.Name, lv.Level)
			}
			row := RDRow{Codec: m.Name, Level: lv.Level, Budget: lv.Budget, Fails: s.Fails}
			for _, c := range cells {
				if c.Fail == "" {
					row.PSNR = append(row.PSNR, c.PSNR)
				}
			}
			if len(row.PSNR) > 0 {
				row.MeanBytes, row.MeanPSNR, row.MedianPSNR, row.MeanSSIM, row.MedianSSIM = s.MeanBytes, s.MeanPSNR, s.MedianPSNR, s.MeanSSIM, s.MedianSSIM
			}
			rep.Rows = append(rep.Rows, row)
			if log != nil {
				log.Infof("rd: %s %s %d B: PSNR %.2f dB, SSIM %.4f (%d fails)", lv.Level, m.Name, lv.Budget, row.MeanPSNR, row.MeanSSIM, row.Fails)
			}
		}
	}
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

// WriteRD writes rd.json, rd.md and rd.csv into dir (created if needed).
func WriteRD(dir string, r RDReport) error {
	if err := runio.WriteJSON(filepath.Join(dir, "rd.json"), r); err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# iwave vs learned vs JPEG, one QR v40 symbol per image\n\n")
	fmt.Fprintf(&b, "%d images of the `%s` split of `%s`, 256x256 8-bit; budget = QR v40 byte capacity minus the sealed container's overhead. Code %s; %.0f s.\n\n",
		r.Images, r.Split, r.Data, r.CodeVersion, r.Seconds)
	b.WriteString("| level | budget (B) | codec | mean bytes | PSNR mean (dB) | PSNR median | SSIM mean | SSIM median | did not fit |\n")
	b.WriteString("|---|---:|---|---:|---:|---:|---:|---:|---:|\n")
	rows := [][]string{{"level", "budget", "codec", "mean_bytes", "psnr_mean", "psnr_median", "ssim_mean", "ssim_median", "fails"}}
	f := func(v float64, p int) string { return strconv.FormatFloat(v, 'f', p, 64) }
	for _, row := range r.Rows {
		fmt.Fprintf(&b, "| %s | %d | %s | %.0f | %.2f | %.2f | %.4f | %.4f | %d |\n",
			row.Level, row.Budget, row.Codec, row.MeanBytes, row.MeanPSNR, row.MedianPSNR, row.MeanSSIM, row.MedianSSIM, row.Fails)
		rows = append(rows, []string{row.Level, strconv.Itoa(row.Budget), row.Codec, f(row.MeanBytes, 1), f(row.MeanPSNR, 3), f(row.MedianPSNR, 3), f(row.MeanSSIM, 5), f(row.MedianSSIM, 5), strconv.Itoa(row.Fails)})
	}
	if err := runio.WriteAtomic(filepath.Join(dir, "rd.md"), []byte(b.String())); err != nil {
		return err
	}
	return runio.WriteCSV(filepath.Join(dir, "rd.csv"), rows)
}
