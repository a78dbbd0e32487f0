package iwave

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"errors"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/medqr/medqr/data"
	"github.com/medqr/medqr/eval"
	"github.com/medqr/medqr/model/iwave"
	"github.com/medqr/medqr/train"
	"github.com/medqr/medqr/train/internal/runio"
)

// Options are the run's non-config settings.
type Options = runio.Options

// ErrStopped is returned when Options.StopAt ends the run early.
var ErrStopped = errors.New("train/iwave: stopped before the last step")

// Pair is one training or validation example: the original image and its
// decoding without the post-filter at one budget.
type Pair struct {
	W, H   int
	Budget int
	Step   int
	Orig   []uint8
	Dec    []float64
}

// MakePairs codes every image at every budget with c and decodes it
// without post-filter (c's post-filter, if any, is not applied).
func MakePairs(c *iwave.Codec, imgs []*image.Gray, budgets []int) ([]Pair, error) {
	pairs := make([]Pair, len(imgs)*len(budgets))
	errs := make([]error, len(pairs))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < max(2, runtime.GOMAXPROCS(0)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				g, b := imgs[i/len(budgets)], budgets[i%len(budgets)]
				p, err := c.Encode(g, b)
				if err != nil {
					errs[i] = err
					continue
				}
				x, h, err := c.DecodeRaw(p)
				if err != nil {
					errs[i] = err
					continue
				}
				orig := make([]uint8, h.Width*h.Height)
				for y := 0; y < h.Height; y++ {
					copy(orig[y*h.Width:], g.Pix[g.PixOffset(g.Rect.Min.X, g.Rect.Min.Y+y):][:h.Width])
				}
				pairs[i] = Pair{W: h.Width, H: h.Height, Budget: b, Step: h.Step, Orig: orig, Dec: x}
			}
		}()
	}
	for i := range pairs {
		next <- i
	}
	close(next)
	wg.Wait()
	return pairs, errors.Join(errs...)
}

// LossPoint is one logged training step.
type LossPoint struct {
	Step int     `json:"step"`
	LR   float64 `json:"lr"`
	Loss float64 `json:"loss"`
	// PSNR is of the filtered crops (from the loss, 255 grey levels = 1).
	PSNR float64 `json:"psnr"`
	Norm float64 `json:"grad_norm"`
	Secs float64 `json:"elapsed_s"`
}

// LevelScore is the validation score at one budget.
type LevelScore struct {
	Budget   int     `json:"budget"`
	PSNR     float64 `json:"psnr"`
	SSIM     float64 `json:"ssim"`
	BasePSNR float64 `json:"base_psnr"` // without the post-filter
	BaseSSIM float64 `json:"base_ssim"`
}

// ValPoint is one validation pass.
type ValPoint struct {
	Step   int          `json:"step"`
	Levels []LevelScore `json:"levels"`
	Mean   float64      `json:"mean_psnr"`
}

type checkpoint struct {
	Step    int
	Tensors map[string][]float32
	Adam    adam
	Losses  []LossPoint
	Vals    []ValPoint
	Best    float64
	Secs    float64
}

// RunInfo is the effective config saved with the run.
type RunInfo struct {
	Config      Config `json:"config"`
	CodeVersion string `json:"code_version"`
	Started     string `json:"started"`
	Resumed     bool   `json:"resumed"`
	TrainPairs  int    `json:"train_pairs"`
	ValPairs    int    `json:"val_pairs"`
	// SourcePairs counts the train pairs made by Config.Sources.
	SourcePairs int `json:"source_pairs,omitempty"`
	// LiftSHA256 is the SHA-256 of the lifting weights file loaded by
	// Config.Lift.Load.
	LiftSHA256 string `json:"lift_sha256,omitempty"`
}

func pick(imgs []*image.Gray, n int, seed uint64) []*image.Gray {
	idx := rand.New(rand.NewPCG(seed, 7)).Perm(len(imgs))
	if n == 0 || n > len(imgs) {
		n = len(imgs)
	}
	out := make([]*image.Gray, n)
	for i := range out {
		out[i] = imgs[idx[i]]
	}
	return out
}

// Run trains the post-filter and returns the run folder.
func Run(ctx context.Context, cfg Config, opt Options) (string, error) {
	log := opt.Logger()
	if err := cfg.Validate(); err != nil {
		return "", err
	}
	dir := filepath.Join(cfg.Out, cfg.Name)
	ckptPath := filepath.Join(dir, "checkpoint.gob")
	var ck checkpoint
	// A run interrupted in the lifting stage has no post-filter checkpoint
	// yet: resuming it keeps the finished networks and starts the filter.
	liftOnly := false
	if opt.Resume && cfg.Lift.Export != "" {
		_, errF := os.Stat(ckptPath)
		_, errL := os.Stat(filepath.Join(dir, "lift", "checkpoint.gob"))
		liftOnly = errF != nil && errL == nil
	}
	if opt.Resume && !liftOnly {
		if found, err := loadGob(ckptPath, &ck); err != nil {
			return "", fmt.Errorf("train/iwave: failed to read checkpoint %s: %w", ckptPath, err)
		} else if !found {
			return "", fmt.Errorf("train/iwave: no checkpoint to resume in %s", dir)
		}
	} else {
		if _, err := os.Stat(ckptPath); err == nil {
			return "", fmt.Errorf("train/iwave: %s already holds a run (resume it or remove the folder)", dir)
		}
		ck = checkpoint{Tensors: InitTensors(cfg.Filter, cfg.Seed), Best: math.Inf(-1)}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	start := time.Now()
	trainImgs, err := data.LoadSplit(cfg.Data, "train", data.DefaultSize)
	if err != nil {
		return "", err
	}
	valImgs, err := data.LoadSplit(cfg.Data, "val", data.DefaultSize)
	if err != nil {
		return "", err
	}
	trainImgs, valImgs = pick(trainImgs, cfg.TrainImages, cfg.Seed), pick(valImgs, cfg.ValImages, cfg.Seed+1)
	var lift *iwave.Lift
	var liftSum string
	switch {
	case cfg.Lift.Export != "":
		all, err := data.LoadSplit(cfg.Data, "train", data.DefaultSize)
		if err != nil {
			return dir, err
		}
		if lift, err = TrainLift(ctx, cfg, dir, all, valImgs, opt); err != nil {
			return dir, err
		}
	case cfg.Lift.Load != "":
		b, err := os.ReadFile(cfg.Lift.Load)
		if err != nil {
			return dir, fmt.Errorf("train/iwave: failed to read lifting weights: %w", err)
		}
		if lift, err = iwave.DecodeLift(b); err != nil {
			return dir, fmt.Errorf("train/iwave: %s: %w", cfg.Lift.Load, err)
		}
		liftSum = fmt.Sprintf("%x", sha256.Sum256(b))
		log.Infof("train/iwave: lifting steps loaded from %s (sha256 %s)", cfg.Lift.Load, liftSum)
	}
	base := cfg.PairsCodec(lift)
	log.Infof("train/iwave: coding %d train and %d val images at %d budgets", len(trainImgs), len(valImgs), len(cfg.Budgets))
	trainPairs, err := MakePairs(base, trainImgs, cfg.Budgets)
	if err != nil {
		return dir, err
	}
	srcPairs := 0
	for _, src := range cfg.Sources {
		imgs, err := data.LoadSplit(cfg.Data, "train", src.Load)
		if err != nil {
			return dir, err
		}
		ps, err := SourcePairs(base, src, pick(imgs, cfg.TrainImages, cfg.Seed), cfg.Budgets)
		if err != nil {
			return dir, err
		}
		log.Infof("train/iwave: source %s: %d pairs at budgets %v", src, len(ps), src.Budgets(cfg.Budgets))
		trainPairs = append(trainPairs, ps...)
		srcPairs += len(ps)
	}
	valPairs, err := MakePairs(base, valImgs, cfg.Budgets)
	if err != nil {
		return dir, err
	}
	info := RunInfo{cfg, train.CodeVersion(), time.Now().UTC().Format(time.RFC3339), opt.Resume, len(trainPairs), len(valPairs), srcPairs, liftSum}
	if err := runio.WriteRunInfo(filepath.Join(dir, "run.json"), info, log, "train/iwave"); err != nil {
		return dir, err
	}
	log.Infof("train/iwave: pairs ready in %.0f s", time.Since(start).Seconds())

	net, err := NewNet(cfg.Filter, cfg.Batch, cfg.Crop, ck.Tensors, true)
	if err != nil {
		return dir, err
	}
	opt2 := newAdam(net.Params, cfg.Clip)
	if opt.Resume && !liftOnly {
		opt2.M, opt2.V, opt2.T = ck.Adam.M, ck.Adam.V, ck.Adam.T
	}
	save := func() error {
		ck.Tensors = net.Tensors()
		ck.Adam = adam{M: opt2.M, V: opt2.V, T: opt2.T}
		return saveGob(ckptPath, &ck)
	}
	validate := func(step int) error {
		wb, pf, err := exportFilter(cfg.Filter, net.Tensors())
		if err != nil {
			return err
		}
		vp := Validate(pf, valPairs, cfg.Budgets)
		vp.Step = step
		ck.Vals = append(ck.Vals, vp)
		log.Infof("train/iwave: step %d: val PSNR %.3f dB (mean over budgets)", step, vp.Mean)
		if vp.Mean > ck.Best {
			ck.Best = vp.Mean
			if err := runio.WriteAtomic(filepath.Join(dir, "best.iwq"), wb); err != nil {
				return err
			}
			if cfg.Export != "" {
				if err := runio.WriteAtomic(cfg.Export, wb); err != nil {
					return err
				}
			}
		}
		return writeCurves(dir, ck.Losses, ck.Vals)
	}
	if len(ck.Vals) == 0 {
		if err := validate(0); err != nil {
			return dir, err
		}
	}
	bar := runio.NewBar(opt.Progress, "train-iwave", cfg.Steps, ck.Step)
	n := cfg.Crop * cfg.Crop
	x := make([]float32, cfg.Batch*iwave.InputPlanes*n)
	t := make([]float32, cfg.Batch*n)
	t0 := time.Now()
	for ck.Step < cfg.Steps {
		if err := ctx.Err(); err != nil {
			save()
			return dir, err
		}
		step := ck.Step
		rng := rand.New(rand.NewPCG(cfg.Seed, uint64(step)+1))
		for b := 0; b < cfg.Batch; b++ {
			p := drawPair(rng, trainPairs, len(trainPairs)-srcPairs, cfg.SourceShare)
			x0, y0 := rng.IntN(p.W-cfg.Crop+1), rng.IntN(p.H-cfg.Crop+1)
			sv := float32(float64(p.Step-iwave.StepRef) / 256)
			for y := 0; y < cfg.Crop; y++ {
				for i := 0; i < cfg.Crop; i++ {
					k := (y0+y)*p.W + x0 + i
					d := p.Dec[k]
					o := b*n + y*cfg.Crop + i
					x[b*iwave.InputPlanes*n+y*cfg.Crop+i] = float32(d/255 - 0.5)
					x[b*iwave.InputPlanes*n+n+y*cfg.Crop+i] = sv
					t[o] = float32((float64(p.Orig[k]) - d) / 255)
				}
			}
		}
		loss, _, err := net.Run(append([]float32(nil), x...), append([]float32(nil), t...))
		if err != nil {
			return dir, err
		}
		lr := cfg.Schedule.At(step)
		norm, err := opt2.step(net.Params, lr)
		if err != nil {
			return dir, err
		}
		ck.Step++
		ck.Losses = append(ck.Losses, LossPoint{Step: ck.Step, LR: lr, Loss: loss, PSNR: 10 * math.Log10(1/loss), Norm: norm, Secs: ck.Secs + time.Since(t0).Seconds()})
		bar.Add()
		if ck.Step%cfg.ValEvery == 0 || ck.Step == cfg.Steps {
			if err := validate(ck.Step); err != nil {
				return dir, err
			}
		}
		if ck.Step%cfg.CkptEvery == 0 || ck.Step == cfg.Steps || ck.Step == opt.StopAt {
			ck.Secs += time.Since(t0).Seconds()
			t0 = time.Now()
			if err := save(); err != nil {
				return dir, err
			}
			if err := writeCurves(dir, ck.Losses, ck.Vals); err != nil {
				return dir, err
			}
		}
		if ck.Step == opt.StopAt && ck.Step < cfg.Steps {
			return dir, ErrStopped
		}
	}
	bar.Finish()
	log.Infof("train/iwave: done in %.0f s of training; best val PSNR %.3f dB", ck.Secs, ck.Best)
	return dir, nil
}

// drawPair draws a training pair: uniformly from all pairs when share is
// 0 (one draw of rng, as before sources existed), otherwise from the
// source pairs (pairs[nBase:]) with probability share and from the base
// pairs (pairs[:nBase]) otherwise, uniformly within each.
func drawPair(rng *rand.Rand, pairs []Pair, nBase int, share float64) Pair {
	switch {
	case share <= 0:
		return pairs[rng.IntN(len(pairs))]
	case rng.Float64() < share:
		return pairs[nBase+rng.IntN(len(pairs)-nBase)]
	default:
		return pairs[rng.IntN(nBase)]
	}
}

// exportFilter encodes the post-filter tensors ts as a weights file and
// decodes it again: the file's bytes and the inference filter a user of
// the file gets.
func exportFilter(cfg iwave.FilterConfig, ts map[string][]float32) ([]byte, *iwave.PostFilter, error) {
	wb, err := iwave.EncodeWeights(cfg, ts)
	if err != nil {
		return nil, nil, err
	}
	pf, err := iwave.DecodeWeights(wb)
	if err != nil {
		return nil, nil, err
	}
	return wb, pf, nil
}

// saveGob writes v gob-encoded (runio.WriteAtomic). It has no checksum
// trailer (runio.WriteGob's), so the checkpoints of earlier runs resume.
func saveGob(path string, v any) error {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		return err
	}
	return runio.WriteAtomic(path, buf.Bytes())
}

// loadGob decodes into v the file saveGob wrote at path and reports
// whether there was one (a missing file is not an error).
func loadGob(path string, v any) (bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return true, gob.NewDecoder(bytes.NewReader(b)).Decode(v)
}

// Validate scores pf on whole decoded images: mean PSNR and SSIM per budget
// with and without the filter.
func Validate(pf *iwave.PostFilter, pairs []Pair, budgets []int) ValPoint {
	var vp ValPoint
	for _, b := range budgets {
		ls := LevelScore{Budget: b}
		ls.PSNR, ls.SSIM = meanScore(pairs, b, func(p Pair) *image.Gray {
			return iwave.ToGray(pf.Apply(p.Dec, p.W, p.H, p.Step), p.W, p.H)
		})
		ls.BasePSNR, ls.BaseSSIM = meanScore(pairs, b, decoded)
		vp.Levels = append(vp.Levels, ls)
		vp.Mean += ls.PSNR / float64(len(budgets))
	}
	return vp
}

// decoded is a pair's decoding without the post-filter.
func decoded(p Pair) *image.Gray { return iwave.ToGray(p.Dec, p.W, p.H) }

// meanScore returns the mean PSNR and SSIM over the pairs at budget b of
// each pair's original against dec(p), the image made from its decoding
// (0, 0 when no pair is at b).
func meanScore(pairs []Pair, b int, dec func(Pair) *image.Gray) (psnr, ssim float64) {
	k := 0
	for _, p := range pairs {
		if p.Budget != b {
			continue
		}
		orig := &image.Gray{Pix: p.Orig, Stride: p.W, Rect: image.Rect(0, 0, p.W, p.H)}
		d := dec(p)
		psnr += eval.PSNR(orig, d)
		ssim += eval.SSIM(orig, d)
		k++
	}
	if k > 0 {
		psnr, ssim = psnr/float64(k), ssim/float64(k)
	}
	return psnr, ssim
}
