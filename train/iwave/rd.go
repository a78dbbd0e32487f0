package iwave

import (
	"fmt"
	"image"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/medqr/medqr/codec"
	"github.com/medqr/medqr/eval"
	"github.com/medqr/medqr/internal/extcodec"
	"github.com/medqr/medqr/train"
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

type coder struct {
	name string
	fit  func(g *image.Gray, budget int) (*image.Gray, int, error)
}

func viaCodec(name string) (coder, error) {
	c, err := codec.ByName(name)
	if err != nil {
		return coder{}, err
	}
	return coder{name, func(g *image.Gray, b int) (*image.Gray, int, error) {
		p, err := c.Encode(g, b)
		if err != nil {
			return nil, 0, err
		}
		d, err := c.Decode(p)
		if err != nil {
			return nil, 0, err
		}
		out := image.NewGray(d.Bounds())
		for y := 0; y < out.Rect.Dy(); y++ {
			for x := 0; x < out.Rect.Dx(); x++ {
				out.Set(x, y, d.At(d.Bounds().Min.X+x, d.Bounds().Min.Y+y))
			}
		}
		return out, len(p), nil
	}}, nil
}

// RD codes imgs with iwave, learned and Go jpeg (with ext, also libjpeg
// and JPEG 2000 through their Debian tools, fitted to the same budgets) at
// the four QR v40 budgets of package train.
func RD(imgs []*image.Gray, ext bool, log logrus.FieldLogger) (RDReport, error) {
	start := time.Now()
	var coders []coder
	for _, n := range []string{"iwave", "learned", "jpeg"} {
		c, err := viaCodec(n)
		if err != nil {
			return RDReport{}, err
		}
		coders = append(coders, c)
	}
	if ext {
		for _, t := range extcodec.Tools() {
			if t.Name != "libjpeg" && t.Name != "jpeg2000" {
				continue
			}
			if err := t.Available(); err != nil {
				return RDReport{}, err
			}
			coders = append(coders, coder{t.Name, func(g *image.Gray, b int) (*image.Gray, int, error) {
				r, err := t.Fit(g, b)
				if err != nil {
					return nil, 0, err
				}
				return r.Image, r.Bytes, nil
			}})
		}
	}
	rep := RDReport{Images: len(imgs), CodeVersion: train.CodeVersion()}
	for _, l := range train.Levels {
		b := train.Budget(l)
		for _, c := range coders {
			row := RDRow{Codec: c.name, Level: string(l), Budget: b}
			psnr := make([]float64, len(imgs))
			ssim := make([]float64, len(imgs))
			bytes := make([]int, len(imgs))
			fail := make([]bool, len(imgs))
			var wg sync.WaitGroup
			sem := make(chan struct{}, 2)
			for i, g := range imgs {
				wg.Add(1)
				sem <- struct{}{}
				go func() {
					defer func() { <-sem; wg.Done() }()
					d, n, err := c.fit(g, b)
					if err != nil {
						fail[i] = true
						return
					}
					psnr[i], ssim[i], bytes[i] = eval.PSNR(g, d), eval.SSIM(g, d), n
				}()
			}
			wg.Wait()
			var ps, ss []float64
			for i := range imgs {
				if fail[i] {
					row.Fails++
					continue
				}
				ps, ss = append(ps, psnr[i]), append(ss, ssim[i])
				row.MeanBytes += float64(bytes[i])
			}
			if k := float64(len(ps)); k > 0 {
				row.MeanBytes /= k
				row.MeanPSNR, row.MedianPSNR = meanMedian(ps)
				row.MeanSSIM, row.MedianSSIM = meanMedian(ss)
			}
			row.PSNR = ps
			rep.Rows = append(rep.Rows, row)
			if log != nil {
				log.Infof("rd: %s %s %d B: PSNR %.2f dB, SSIM %.4f (%d fails)", l, c.name, b, row.MeanPSNR, row.MeanSSIM, row.Fails)
			}
		}
	}
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

func meanMedian(v []float64) (float64, float64) {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	var m float64
	for _, x := range s {
		m += x
	}
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return m / float64(n), med
}

// WriteRD writes rd.json, rd.md and rd.csv into dir.
func WriteRD(dir string, r RDReport) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(dir, "rd.json"), r); err != nil {
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
	if err := writeAtomic(filepath.Join(dir, "rd.md"), []byte(b.String())); err != nil {
		return err
	}
	return writeCSV(filepath.Join(dir, "rd.csv"), rows)
}
