package train

import (
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/medqr/medqr/train/internal/runio"
)

// writeCurves writes losses.{csv,json}, validation.{csv,json} and the plots
// loss.png and validation.png into dir.
func writeCurves(dir string, losses []LossPoint, vals []ValPoint) error {
	rows := [][]string{{"step", "lr", "loss", "mse", "psnr_noisy", "ssim", "rate_bpp", "decor", "grad_norm", "elapsed_s"}}
	f := runio.Float
	for _, p := range losses {
		rows = append(rows, []string{strconv.Itoa(p.Step), f(p.LR), f(p.Loss), f(p.MSE), f(p.PSNR), f(p.SSIM), f(p.Rate), f(p.Decor), f(p.Norm), f(p.Secs)})
	}
	vrows := [][]string{{"step", "level", "budget", "mean_bytes", "psnr", "ssim", "fails"}}
	for _, v := range vals {
		for _, l := range Levels {
			r := v.Levels[string(l)]
			vrows = append(vrows, []string{strconv.Itoa(v.Step), string(l), strconv.Itoa(r.Budget), f(r.Bytes), f(r.PSNR), f(r.SSIM), strconv.Itoa(r.Fails)})
		}
	}
	if err := runio.WriteCurves(dir, losses, vals, rows, vrows); err != nil {
		return err
	}
	if len(losses) > 1 {
		s := runio.Series{Label: "train PSNR (gain random)"}
		for _, l := range losses {
			s.X, s.Y = append(s.X, float64(l.Step)), append(s.Y, l.PSNR)
		}
		p := runio.Plot{Title: "training: PSNR of the noisy-quantised reconstruction", XLabel: "step",
			YLabel: "PSNR (dB) on training crops", Series: []runio.Series{s}}
		if err := p.Save(filepath.Join(dir, "loss.png")); err != nil {
			return err
		}
	}
	if len(vals) == 0 {
		return nil
	}
	p := runio.Plot{Title: "validation: learned codec at each QR v40 level", XLabel: "step",
		YLabel: "mean PSNR (dB), val split, 256x256"}
	for i, l := range Levels {
		s := runio.Series{Label: fmt.Sprintf("level %c (%d B)", l, Budget(l)), Color: i, Points: true}
		for _, v := range vals {
			s.X, s.Y = append(s.X, float64(v.Step)), append(s.Y, v.Levels[string(l)].PSNR)
		}
		p.Series = append(p.Series, s)
	}
	return p.Save(filepath.Join(dir, "validation.png"))
}
