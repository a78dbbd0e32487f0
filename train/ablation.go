package train

import (
	"fmt"
	"github.com/medqr/medqr/internal/jsonconfig"
	"image"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/medqr/medqr/codec"
	"github.com/medqr/medqr/eval"
	"github.com/medqr/medqr/qr"
	"github.com/medqr/medqr/train/internal/runio"
)

// AblationRow measures one trained run: fidelity at every level, code
// robustness and code statistics at level M.
type AblationRow struct {
	Run    string              `json:"run"`
	Config Config              `json:"config"`
	Levels map[string]LevelRes `json:"levels"`
	// PSNR at level M with a fraction EraseFrac of the latent values
	// erased (set to zero) after decoding the payload, and the drop.
	EraseFrac   float64 `json:"erase_frac"`
	PSNRErased  float64 `json:"psnr_erased_M"`
	ErasureDrop float64 `json:"erasure_drop_db_M"`
	// Code statistics at level M over all images' range-coded bodies:
	// byte entropy (bits/byte), lag-1 byte autocorrelation, and the mean
	// absolute off-diagonal correlation of the latent channels.
	ByteEntropy   float64 `json:"byte_entropy_bits"`
	ByteLag1      float64 `json:"byte_lag1_corr"`
	Bytes         int     `json:"code_bytes"`
	LatentChanCor float64 `json:"latent_mean_abs_channel_corr"`
}

// Ablate evaluates the best weights of each run folder on imgs.
func Ablate(runDirs []string, imgs []*image.Gray, eraseFrac float64) ([]AblationRow, error) {
	var rows []AblationRow
	for _, dir := range runDirs {
		wb, err := os.ReadFile(filepath.Join(dir, "best.mqw"))
		if err != nil {
			return nil, fmt.Errorf("train: run %s has no best.mqw: %w", dir, err)
		}
		lc, err := codec.NewLearnedFromWeights(wb)
		if err != nil {
			return nil, fmt.Errorf("train: run %s: %w", dir, err)
		}
		var cfg RunInfo
		b, err := os.ReadFile(filepath.Join(dir, "config.json"))
		if err != nil {
			return nil, fmt.Errorf("train: run %s: %w", dir, err)
		}
		if err := jsonconfig.DecodeStrict(b, &cfg); err != nil {
			return nil, fmt.Errorf("train: run %s config: %w", dir, err)
		}
		vp, err := Validate(lc.Model().Config, tensorsOf(lc), imgs)
		if err != nil {
			return nil, err
		}
		row := AblationRow{Run: filepath.Base(dir), Config: cfg.Config, Levels: vp.Levels, EraseFrac: eraseFrac}
		rng := rand.New(rand.NewPCG(42, 42))
		var code []byte
		var intact, erased, chanCor float64
		for _, img := range imgs {
			p, err := lc.Encode(img, Budget(qr.M))
			if err != nil {
				return nil, err
			}
			code = append(code, p[8:]...)
			y, w, h, err := lc.DecodeLatent(p)
			if err != nil {
				return nil, err
			}
			chanCor += meanAbsChannelCorr(y.Data, y.C, y.H*y.W)
			rec, err := lc.Reconstruct(y, w, h)
			if err != nil {
				return nil, err
			}
			intact += eval.PSNR(img, rec)
			for i := range y.Data {
				if rng.Float64() < eraseFrac {
					y.Data[i] = 0
				}
			}
			rec, err = lc.Reconstruct(y, w, h)
			if err != nil {
				return nil, err
			}
			erased += eval.PSNR(img, rec)
		}
		n := float64(len(imgs))
		row.PSNRErased = erased / n
		row.ErasureDrop = (intact - erased) / n
		row.LatentChanCor = chanCor / n
		row.Bytes = len(code)
		row.ByteEntropy, row.ByteLag1 = byteStats(code)
		rows = append(rows, row)
	}
	return rows, nil
}

func tensorsOf(lc *codec.Learned) map[string][]float32 {
	m := lc.Model()
	out := map[string][]float32{}
	for _, n := range m.TensorNames() {
		out[n] = m.Tensor(n)
	}
	return out
}

func meanAbsChannelCorr(y []float32, c, n int) float64 {
	mean := make([]float64, c)
	sd := make([]float64, c)
	for i := 0; i < c; i++ {
		for _, v := range y[i*n : (i+1)*n] {
			mean[i] += float64(v)
		}
		mean[i] /= float64(n)
		for _, v := range y[i*n : (i+1)*n] {
			d := float64(v) - mean[i]
			sd[i] += d * d
		}
		sd[i] = math.Sqrt(sd[i] / float64(n))
	}
	var s float64
	var k int
	for i := 0; i < c; i++ {
		for j := i + 1; j < c; j++ {
			if sd[i] == 0 || sd[j] == 0 {
				continue // a silent channel has no correlation
			}
			var cov float64
			for t := 0; t < n; t++ {
				cov += (float64(y[i*n+t]) - mean[i]) * (float64(y[j*n+t]) - mean[j])
			}
			s += math.Abs(cov / float64(n) / (sd[i] * sd[j]))
			k++
		}
	}
	if k == 0 {
		return 0
	}
	return s / float64(k)
}

func byteStats(b []byte) (entropy, lag1 float64) {
	if len(b) < 2 {
		return 0, 0
	}
	var hist [256]float64
	var mean float64
	for _, v := range b {
		hist[v]++
		mean += float64(v)
	}
	n := float64(len(b))
	for _, c := range hist {
		if c > 0 {
			p := c / n
			entropy -= p * math.Log2(p)
		}
	}
	mean /= n
	var num, den float64
	for i, v := range b {
		d := float64(v) - mean
		den += d * d
		if i > 0 {
			num += d * (float64(b[i-1]) - mean)
		}
	}
	return entropy, num / den
}

// WriteAblation writes ablation.{json,md} into dir.
func WriteAblation(dir string, rows []AblationRow, note string) error {
	if err := runio.WriteJSON(filepath.Join(dir, "ablation.json"), rows); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("# Loss ablation\n\n" + note + "\n\n")
	b.WriteString("| run | erase | w_ssim | w_decor | PSNR L | PSNR M | PSNR Q | PSNR H | SSIM M | PSNR M, latents erased | drop (dB) | byte entropy | byte lag-1 r | latent mean abs chan r |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		l := r.Levels
		fmt.Fprintf(&b, "| %s | %.3g | %.3g | %.3g | %.2f | %.2f | %.2f | %.2f | %.4f | %.2f | %.2f | %.4f | %.4f | %.3f |\n",
			r.Run, r.Config.Erase, r.Config.Loss.SSIM, r.Config.Loss.Decor,
			l["L"].PSNR, l["M"].PSNR, l["Q"].PSNR, l["H"].PSNR, l["M"].SSIM,
			r.PSNRErased, r.ErasureDrop, r.ByteEntropy, r.ByteLag1, r.LatentChanCor)
	}
	return runio.WriteAtomic(filepath.Join(dir, "ablation.md"), []byte(b.String()))
}
