package train

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/medqr/medqr/codec"
	"github.com/medqr/medqr/data"
	"github.com/medqr/medqr/eval"
	"github.com/medqr/medqr/model"
	"github.com/medqr/medqr/qr"
	"github.com/medqr/medqr/seal"
	"github.com/medqr/medqr/train/internal/runio"
	"github.com/sirupsen/logrus"
)

// Levels are the QR error-correction levels validated, in order.
var Levels = []qr.Level{qr.L, qr.M, qr.Q, qr.H}

// Budget is the learned payload budget of one version-40 symbol at level l
// in key mode: the symbol capacity minus the sealing overhead.
func Budget(l qr.Level) int { return qr.Capacity(l) - seal.Overhead(seal.ModeKey) }

// RunInfo is saved as config.json in every run folder: the effective
// config (its Seed included) and the code version that ran it.
type RunInfo struct {
	Config      Config `json:"config"`
	CodeVersion string `json:"code_version"`
	Started     string `json:"started"`
	Resumed     bool   `json:"resumed"`
}

// Options are the run-time switches that are not part of the experiment.
type Options = runio.Options

// ErrStopped is returned when Options.StopAt ends a run early.
var ErrStopped = errors.New("train: stopped at the requested step")

// LossPoint is one point of the training curve (averages over LogEvery
// steps).
type LossPoint struct {
	Step  int     `json:"step"`
	LR    float64 `json:"lr"`
	Loss  float64 `json:"loss"`
	MSE   float64 `json:"mse"`
	PSNR  float64 `json:"psnr_noisy"`
	SSIM  float64 `json:"ssim"`
	Rate  float64 `json:"rate_bpp"`
	Decor float64 `json:"decor"`
	Norm  float64 `json:"grad_norm"`
	Secs  float64 `json:"elapsed_s"`
}

// ValPoint is one validation of the codec at every level.
type ValPoint struct {
	Step   int                 `json:"step"`
	Levels map[string]LevelRes `json:"levels"`
	Score  float64             `json:"score"` // mean PSNR over levels
}

// LevelRes is the mean result over the validation images at one level.
type LevelRes struct {
	Budget int     `json:"budget"`
	Bytes  float64 `json:"mean_bytes"`
	PSNR   float64 `json:"psnr"`
	SSIM   float64 `json:"ssim"`
	Fails  int     `json:"fails"`
}

type checkpoint struct {
	Step    int
	Params  map[string][]float32
	Adam    Adam
	RNG     []byte
	Best    float64
	Losses  []LossPoint
	Vals    []ValPoint
	Elapsed float64
}

// Run trains according to cfg. It returns the run folder.
func Run(ctx context.Context, cfg Config, opt Options) (string, error) {
	log := opt.Logger()
	if err := cfg.Validate(); err != nil {
		return "", err
	}
	dir := filepath.Join(cfg.Out, cfg.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("train: failed to create run folder: %w", err)
	}
	ckptPath := filepath.Join(dir, "checkpoint.gob")
	var ck checkpoint
	resumed := false
	if opt.Resume {
		if err := runio.ReadGob(ckptPath, &ck); err == nil {
			resumed = true
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("train: failed to read checkpoint %s: %w", ckptPath, err)
		}
	} else if _, err := os.Stat(ckptPath); err == nil {
		return "", fmt.Errorf("train: %s exists: resume it (-resume) or choose another name (-set name=...)", ckptPath)
	}
	// the effective config, seed and code version travel with the run
	eff := RunInfo{cfg, CodeVersion(), time.Now().UTC().Format(time.RFC3339), resumed}
	if err := runio.WriteRunInfo(filepath.Join(dir, "config.json"), eff, log, "train"); err != nil {
		return "", err
	}

	trainImgs, err := data.LoadSplit(cfg.Data, data.SplitTrain, cfg.Size)
	if err != nil {
		return "", fmt.Errorf("train: failed to load train split: %w", err)
	}
	valImgs, err := data.LoadSplit(cfg.Data, data.SplitVal, cfg.Size)
	if err != nil {
		return "", fmt.Errorf("train: failed to load val split: %w", err)
	}
	if len(trainImgs) == 0 {
		return "", fmt.Errorf("train: no training images in %s", cfg.Data)
	}
	if cfg.ValImages > 0 && len(valImgs) > cfg.ValImages {
		valImgs = valImgs[:cfg.ValImages]
	}
	log.Infof("train: %d train and %d val images from %s", len(trainImgs), len(valImgs), cfg.Data)

	pcg := rand.NewPCG(cfg.Seed, 0x747261696e)
	rng := rand.New(pcg)
	params := InitParams(cfg.Model, cfg.Seed)
	if resumed {
		params = ck.Params
		if err := pcg.UnmarshalBinary(ck.RNG); err != nil {
			return "", err
		}
		log.Infof("train: resumed at step %d", ck.Step)
	} else {
		ck.Best = math.Inf(-1)
	}
	net, err := NewNet(cfg.Model, cfg.Batch, cfg.Crop, cfg.Loss, params)
	if err != nil {
		return "", err
	}
	mach := NewMachine(net)
	defer mach.Close()
	live := mach.ParamSlices()
	adam := NewAdam(sizesOf(live), cfg.Clip)
	if resumed && ck.Adam.Step > 0 {
		adam.Step, adam.M, adam.V = ck.Adam.Step, ck.Adam.M, ck.Adam.V
	}

	bar := runio.NewBar(opt.Progress, "training "+cfg.Name, cfg.Steps, ck.Step)
	start := time.Now()
	base := ck.Elapsed
	var acc LossPoint
	nacc := 0
	save := func() error {
		ck.Params = net.ParamValues()
		ck.Adam = Adam{Step: adam.Step, M: adam.M, V: adam.V}
		b, err := pcg.MarshalBinary()
		if err != nil {
			return err
		}
		ck.RNG = b
		ck.Elapsed = base + time.Since(start).Seconds()
		return runio.WriteGob(ckptPath, &ck)
	}
	validate := func() error {
		vp, err := Validate(cfg.Model, net.ParamValues(), valImgs)
		if err != nil {
			return err
		}
		vp.Step = ck.Step
		ck.Vals = append(ck.Vals, vp)
		f := logrus.Fields{"step": vp.Step, "score": fmt.Sprintf("%.2f", vp.Score)}
		for _, l := range Levels {
			r := vp.Levels[string(l)]
			f[string(l)] = fmt.Sprintf("%.2fdB/%.3f/%.0fB", r.PSNR, r.SSIM, r.Bytes)
		}
		log.WithFields(f).Info("train: validation")
		if vp.Score > ck.Best {
			ck.Best = vp.Score
			if err := exportWeights(cfg, dir, net.ParamValues()); err != nil {
				return err
			}
			log.WithField("score", vp.Score).Info("train: new best model exported")
		}
		return writeCurves(dir, ck.Losses, ck.Vals)
	}
	crop := make([]float32, cfg.Batch*cfg.Crop*cfg.Crop)
	for ck.Step < cfg.Steps {
		if err := ctx.Err(); err != nil {
			if serr := save(); serr != nil {
				return dir, serr
			}
			return dir, fmt.Errorf("train: interrupted at step %d (checkpoint saved; rerun with -resume): %w", ck.Step, err)
		}
		fillCrops(rng, trainImgs, cfg.Crop, crop)
		b := net.NewBatchAux(rng, crop, cfg.Model.GainMin, cfg.Model.GainMax, cfg.Erase)
		res, err := mach.Run(b)
		if err != nil {
			return dir, fmt.Errorf("train: step %d: %w", ck.Step, err)
		}
		grads, err := mach.Grads()
		if err != nil {
			return dir, err
		}
		lr := cfg.Schedule.At(ck.Step)
		norm := adam.Update(live, grads, lr)
		ck.Step++
		acc.Loss += res.Loss
		acc.MSE += res.MSE
		acc.SSIM += res.SSIM
		acc.Rate += res.Rate
		acc.Decor += res.Decor
		acc.Norm += norm
		nacc++
		bar.Add()
		if ck.Step%cfg.LogEvery == 0 || ck.Step == cfg.Steps {
			k := float64(nacc)
			p := LossPoint{Step: ck.Step, LR: lr, Loss: acc.Loss / k, MSE: acc.MSE / k, SSIM: acc.SSIM / k,
				Rate: acc.Rate / k, Decor: acc.Decor / k, Norm: acc.Norm / k, Secs: base + time.Since(start).Seconds()}
			p.PSNR = 10 * math.Log10(1/p.MSE)
			ck.Losses = append(ck.Losses, p)
			log.WithFields(logrus.Fields{"step": p.Step, "loss": fmt.Sprintf("%.5f", p.Loss), "psnr": fmt.Sprintf("%.2f", p.PSNR),
				"ssim": fmt.Sprintf("%.4f", p.SSIM), "bpp": fmt.Sprintf("%.3f", p.Rate), "decor": fmt.Sprintf("%.4f", p.Decor),
				"lr": fmt.Sprintf("%.2g", lr), "gnorm": fmt.Sprintf("%.3g", p.Norm)}).Debug("train: step")
			acc, nacc = LossPoint{}, 0
		}
		if cfg.ValEvery > 0 && ck.Step%cfg.ValEvery == 0 && ck.Step < cfg.Steps {
			if err := validate(); err != nil {
				return dir, err
			}
		}
		// a stop comes after the step's validation, which the resumed run
		// would otherwise skip
		stop := opt.StopAt > 0 && ck.Step == opt.StopAt && ck.Step < cfg.Steps
		if ck.Step%cfg.CkptEvery == 0 || stop {
			if err := save(); err != nil {
				return dir, err
			}
		}
		if stop {
			return dir, fmt.Errorf("%w %d (resume with -resume)", ErrStopped, ck.Step)
		}
	}
	if len(ck.Vals) == 0 || ck.Vals[len(ck.Vals)-1].Step != ck.Step {
		if err := validate(); err != nil {
			return dir, err
		}
	}
	if err := save(); err != nil {
		return dir, err
	}
	bar.Finish()
	// the final weights too, whatever their score
	if b, err := model.EncodeWeights(cfg.Model, net.ParamValues()); err == nil {
		if err := runio.WriteAtomic(filepath.Join(dir, "final.mqw"), b); err != nil {
			return dir, err
		}
	}
	log.WithField("best_score", ck.Best).WithField("elapsed_s", fmt.Sprintf("%.0f", base+time.Since(start).Seconds())).Info("train: done")
	return dir, writeCurves(dir, ck.Losses, ck.Vals)
}

func exportWeights(cfg Config, dir string, params map[string][]float32) error {
	b, err := model.EncodeWeights(cfg.Model, params)
	if err != nil {
		return err
	}
	if err := runio.WriteAtomic(filepath.Join(dir, "best.mqw"), b); err != nil {
		return err
	}
	if cfg.Export != "" {
		return runio.WriteAtomic(cfg.Export, b)
	}
	return nil
}

// Validate scores weights through the real codec at every level on imgs.
func Validate(mc model.Config, params map[string][]float32, imgs []*image.Gray) (ValPoint, error) {
	b, err := model.EncodeWeights(mc, params)
	if err != nil {
		return ValPoint{}, err
	}
	lc, err := codec.NewLearnedFromWeights(b)
	if err != nil {
		return ValPoint{}, err
	}
	vp := ValPoint{Levels: map[string]LevelRes{}}
	for _, l := range Levels {
		rs, err := EvalCodec(lc, Budget(l), imgs, 2)
		if err != nil {
			return vp, err
		}
		s := Summarize(rs)
		vp.Levels[string(l)] = LevelRes{Budget: Budget(l), Bytes: s.MeanBytes, PSNR: s.MeanPSNR, SSIM: s.MeanSSIM, Fails: s.Fails}
		vp.Score += s.MeanPSNR / float64(len(Levels))
	}
	return vp, nil
}

// ImageResult is one image coded at one budget.
type ImageResult struct {
	Index int     `json:"index"`
	Bytes int     `json:"bytes"`
	PSNR  float64 `json:"psnr"`
	SSIM  float64 `json:"ssim"`
	Err   string  `json:"error,omitempty"`
}

// EvalCodec codes every image with c at budget bytes, decodes it and
// measures PSNR and SSIM (package eval) against the input. workers images
// run concurrently. Images the codec cannot fit are reported with Err set.
func EvalCodec(c codec.Codec, budget int, imgs []*image.Gray, workers int) ([]ImageResult, error) {
	out := make([]ImageResult, len(imgs))
	var wg sync.WaitGroup
	ch := make(chan int)
	var firstErr error
	var mu sync.Mutex
	for w := 0; w < max(1, workers); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ch {
				r := ImageResult{Index: i}
				p, err := c.Encode(imgs[i], budget)
				if err != nil {
					r.Err = err.Error()
					out[i] = r
					continue
				}
				r.Bytes = len(p)
				dec, err := c.Decode(p)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("train: %s failed to decode its own payload: %w", c.Name(), err)
					}
					mu.Unlock()
					continue
				}
				r.PSNR = eval.PSNR(imgs[i], dec)
				r.SSIM = eval.SSIM(imgs[i], dec)
				out[i] = r
			}
		}()
	}
	for i := range imgs {
		ch <- i
	}
	close(ch)
	wg.Wait()
	return out, firstErr
}

// Summary aggregates ImageResults.
type Summary struct {
	N          int     `json:"n"`
	Fails      int     `json:"fails"`
	MeanBytes  float64 `json:"mean_bytes"`
	MeanPSNR   float64 `json:"mean_psnr"`
	MedianPSNR float64 `json:"median_psnr"`
	MeanSSIM   float64 `json:"mean_ssim"`
	MedianSSIM float64 `json:"median_ssim"`
}

// Summarize computes means and medians over the images that fitted.
func Summarize(rs []ImageResult) Summary {
	var s Summary
	var ps, ss []float64
	for _, r := range rs {
		if r.Err != "" {
			s.Fails++
			continue
		}
		s.N++
		s.MeanBytes += float64(r.Bytes)
		ps = append(ps, r.PSNR)
		ss = append(ss, r.SSIM)
	}
	if s.N == 0 {
		return s
	}
	s.MeanBytes /= float64(s.N)
	s.MeanPSNR, s.MedianPSNR = meanMedian(ps)
	s.MeanSSIM, s.MedianSSIM = meanMedian(ss)
	return s
}

func meanMedian(v []float64) (float64, float64) {
	c := append([]float64(nil), v...)
	var sum float64
	for _, x := range c {
		sum += x
	}
	sort.Float64s(c)
	n := len(c)
	med := c[n/2]
	if n%2 == 0 {
		med = (c[n/2-1] + c[n/2]) / 2
	}
	return sum / float64(n), med
}

// fillCrops draws len(dst)/(crop*crop) random crops (with random
// horizontal flips) on the network's scale.
func fillCrops(rng *rand.Rand, imgs []*image.Gray, crop int, dst []float32) {
	n := len(dst) / (crop * crop)
	for b := 0; b < n; b++ {
		g := imgs[rng.IntN(len(imgs))]
		w, h := g.Rect.Dx(), g.Rect.Dy()
		x0, y0 := rng.IntN(w-crop+1), rng.IntN(h-crop+1)
		flip := rng.IntN(2) == 1
		out := dst[b*crop*crop:]
		for y := 0; y < crop; y++ {
			row := g.Pix[(y0+y)*g.Stride+x0:]
			for x := 0; x < crop; x++ {
				sx := x
				if flip {
					sx = crop - 1 - x
				}
				out[y*crop+x] = float32(row[sx])/255 - 0.5
			}
		}
	}
}

// CodeVersion is the VCS revision the binary was built from (with
// "+dirty" when the tree had changes), or "unknown".
func CodeVersion() string {
	rev, dirty := "", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if rev == "" {
		if out, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil {
			rev = strings.TrimSpace(string(out))
			if st, err := exec.Command("git", "status", "--porcelain", "--", "model", "train", "internal/entropy", "codec").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
				dirty = true
			}
		}
	}
	if rev == "" {
		return "unknown"
	}
	if dirty {
		rev += "+dirty"
	}
	return rev
}
