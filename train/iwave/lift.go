package iwave

import (
	"context"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/medqr/medqr/model/iwave"
	"github.com/medqr/medqr/train"
	"github.com/medqr/medqr/train/internal/nnops"
	"github.com/medqr/medqr/train/internal/runio"
)

// LiftTrain configures the first stage of `train-iwave`: the learned
// predict steps of the transform (model/iwave LiftRow, LiftColLow,
// LiftColHigh), trained one after the other in transform order.
type LiftTrain struct {
	// Export, if set, receives the trained lifting weights (the shipped
	// file is model/iwave/weights/lift.iwl). Empty skips the stage: the
	// post-filter is then trained on Load's steps, or without Load on the
	// plain CDF 9/7 transform.
	Export string `json:"export"`
	// Load, if set, is a lifting weights file (lift.iwl) used instead of
	// training the stage, so that a post-filter can be retrained alone on
	// the shipped lifting steps; it excludes Export.
	Load string `json:"load"`
	// Hidden and Leak are the architecture (iwave.LiftConfig).
	Hidden int     `json:"hidden"`
	Leak   float64 `json:"leak"`
	// Images is the number of training images samples are drawn from
	// (0: the whole split); Samples caps the samples kept per network.
	Images  int `json:"images"`
	Samples int `json:"samples"`
	// Batch, Steps, LR, LRMin, Warmup: Adam on random minibatches, per
	// network, with the cosine schedule of the post-filter stage.
	Batch  int     `json:"batch"`
	Steps  int     `json:"steps"`
	LR     float64 `json:"lr"`
	LRMin  float64 `json:"lr_min"`
	Warmup int     `json:"warmup"`
	// StepIndex sets the quantiser step the rate proxy assumes
	// (iwave.StepSize(StepIndex)); Spread draws each sample's step index
	// uniformly from StepIndex +- Spread so the networks serve every budget.
	StepIndex int `json:"step_index"`
	Spread    int `json:"spread"`
}

func (l LiftTrain) validate() error {
	if l.Load != "" && l.Export != "" {
		return fmt.Errorf("train/iwave: lift: load %s and export %s both set: load the lifting weights or train them", l.Load, l.Export)
	}
	if l.Export == "" {
		return nil
	}
	if err := (iwave.LiftConfig{Hidden: l.Hidden, Leak: l.Leak}).Validate(); err != nil {
		return fmt.Errorf("train/iwave: lift: %w", err)
	}
	switch {
	case l.Images < 0 || l.Samples < 1000:
		return fmt.Errorf("train/iwave: lift: images %d must be >= 0 and samples %d >= 1000", l.Images, l.Samples)
	case l.Batch < 1 || l.Batch > l.Samples || l.Steps < 1:
		return fmt.Errorf("train/iwave: lift: batch %d (1..samples) or steps %d (>= 1) out of range", l.Batch, l.Steps)
	case l.StepIndex < 0 || l.StepIndex >= iwave.StepCount || l.Spread < 0 || l.Spread > l.StepIndex:
		return fmt.Errorf("train/iwave: lift: step_index %d or spread %d out of range", l.StepIndex, l.Spread)
	}
	if err := l.schedule().Validate(); err != nil {
		return fmt.Errorf("train/iwave: lift: %w", err)
	}
	return nil
}

// schedule is the learning-rate schedule of each lifting network.
func (l LiftTrain) schedule() train.Schedule {
	return train.Schedule{Steps: l.Steps, LR: l.LR, LRMin: l.LRMin, Warmup: l.Warmup}
}

// liftSamples holds one network's training samples: features and targets
// divided by the sample's quantiser step (the network is positively
// homogeneous, so g(f/D) = g(f)/D and the rate proxy log(1+|d+g|/D) is a
// function of the scaled values alone).
type liftSamples struct {
	F []float32 // n x LiftFeatures
	T []float32 // n
}

func (s *liftSamples) n() int { return len(s.T) }

// collectLift runs the transform with lf over imgs and keeps, for network
// net, each high-pass sample with probability keep.
func collectLift(imgs []*image.Gray, lf *iwave.Lift, net int, lt LiftTrain, keep float64, seed uint64) *liftSamples {
	out := &liftSamples{}
	rng := rand.New(rand.NewPCG(seed, uint64(net)+11))
	var f [iwave.LiftFeatures]float64
	for _, g := range imgs {
		w, h := g.Rect.Dx(), g.Rect.Dy()
		levels := iwave.Levels(w, h)
		gains := iwave.BandGains(w, h, levels)
		bands := iwave.Bands(w, h, levels)
		gain := func(level, orient int) float64 {
			for i, b := range bands {
				if b.Level == level && b.Orient == orient {
					return gains[i]
				}
			}
			return 1
		}
		x := make([]float64, w*h)
		for y := 0; y < h; y++ {
			for i := 0; i < w; i++ {
				x[y*w+i] = float64(g.Pix[g.PixOffset(g.Rect.Min.X+i, g.Rect.Min.Y+y)]) - 128
			}
		}
		iwave.ForwardVisit(x, w, h, levels, lf, func(level, n int, geom iwave.LiftGeom, x []float64) {
			if n != net {
				return
			}
			var bg float64
			switch n {
			case iwave.LiftRow:
				bg = math.Sqrt(gain(level, 1) * gain(level, 3))
			case iwave.LiftColLow:
				bg = gain(level, 2)
			default:
				bg = gain(level, 3)
			}
			for c := geom.C0; c < geom.C1; c++ {
				for i := 0; i < geom.ND; i++ {
					if rng.Float64() >= keep {
						continue
					}
					s := lt.StepIndex
					if lt.Spread > 0 {
						s += rng.IntN(2*lt.Spread+1) - lt.Spread
					}
					inv := bg / iwave.StepSize(s)
					geom.Features(x, i, c, &f)
					for _, v := range f {
						out.F = append(out.F, float32(v*inv))
					}
					out.T = append(out.T, float32(x[geom.Index(i, c)]*inv))
				}
			}
		})
	}
	return out
}

// liftNet is one predict network's training graph: X (batch x 12) -> leaky
// (X W1) -> leaky (. W2) -> . W3 (batch x 1); the loss is the mean rate
// proxy log(1 + |T + out|). Weights are stored in x out in the graph and
// transposed to the file's out x in on export.
type liftNet struct {
	g      *G.ExprGraph
	params []*G.Node
	x, t   *G.Node
	lossV  G.Value
	outV   G.Value
	vm     G.VM
	hidden int
}

func newLiftNet(lt LiftTrain, batch int, init [3][]float32) (*liftNet, error) {
	n := &liftNet{g: G.NewGraph(), hidden: lt.Hidden}
	h := lt.Hidden
	shapes := [3][2]int{{iwave.LiftFeatures, h}, {h, h}, {h, 1}}
	for i, s := range shapes {
		p := G.NewMatrix(n.g, tensor.Float32, G.WithShape(s[0], s[1]), G.WithName("w"+strconv.Itoa(i+1)),
			G.WithValue(tensor.New(tensor.WithShape(s[0], s[1]), tensor.WithBacking(append([]float32(nil), init[i]...)))))
		n.params = append(n.params, p)
	}
	n.x = G.NewMatrix(n.g, tensor.Float32, G.WithShape(batch, iwave.LiftFeatures), G.WithName("x"), G.WithInit(G.Zeroes()))
	n.t = G.NewMatrix(n.g, tensor.Float32, G.WithShape(batch, 1), G.WithName("t"), G.WithInit(G.Zeroes()))
	var build nnops.Builder
	must := build.Node
	// products and activations fused in nnops ops; the loss is computed in
	// Go with its analytic gradient (one op instead of five)
	a := must(nnops.DenseLeaky(n.x, n.params[0], lt.Leak))
	a = must(nnops.DenseLeaky(a, n.params[1], lt.Leak))
	out := must(nnops.Dense(a, n.params[2]))
	loss, _, err := nnops.Scalar(must(G.Add(out, n.t)), "lift rate proxy", rateProxy)
	build.Keep(err)
	if err = build.Err(); err != nil {
		return nil, fmt.Errorf("train/iwave: failed to build the lifting graph: %w", err)
	}
	G.Read(loss, &n.lossV)
	G.Read(out, &n.outV)
	if n.vm, err = nnops.Compile(n.g, loss, n.params); err != nil {
		return nil, fmt.Errorf("train/iwave: failed to differentiate the lifting graph: %w", err)
	}
	return n, nil
}

// rateProxy is the lifting loss mean(log(1 + |v|)) over the residuals v
// and its gradient sign(v) / (1 + |v|) / len(v).
func rateProxy(v []float32) (float64, []float32) {
	var sum float64
	grad := make([]float32, len(v))
	inv := 1 / float64(len(v))
	for i, e := range v {
		a := math.Abs(float64(e))
		sum += math.Log1p(a)
		g := inv / (1 + a)
		if e < 0 {
			g = -g
		} else if e == 0 {
			g = 0
		}
		grad[i] = float32(g)
	}
	return sum * inv, grad
}

func (n *liftNet) run(x, t []float32) (float64, error) {
	if err := nnops.RunInputs(n.vm, n.params, []*G.Node{n.x, n.t}, x, t); err != nil {
		return 0, fmt.Errorf("train/iwave: lifting graph run failed: %w", err)
	}
	return float64(n.lossV.Data().(float32)), nil
}

// fileTensors returns the network's weights in the file's out x in layout.
func (n *liftNet) fileTensors() [3][]float32 {
	var out [3][]float32
	for i, p := range n.params {
		s := p.Shape()
		v := p.Value().Data().([]float32)
		t := make([]float32, len(v))
		for r := 0; r < s[0]; r++ {
			for c := 0; c < s[1]; c++ {
				t[c*s[0]+r] = v[r*s[1]+c]
			}
		}
		out[i] = t
	}
	return out
}

// liftInit draws He-normal first and second layers and a zero last layer:
// the untrained step predicts nothing and the transform is plain CDF 9/7.
func liftInit(lt LiftTrain, seed uint64) [3][]float32 {
	rng := rand.New(rand.NewPCG(seed, 0x51f7))
	h := lt.Hidden
	he := func(fanIn, n int) []float32 {
		sd := math.Sqrt(2 / (float64(fanIn) * (1 + lt.Leak*lt.Leak)))
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64() * sd)
		}
		return v
	}
	return [3][]float32{he(iwave.LiftFeatures, iwave.LiftFeatures*h), he(h, h*h), make([]float32, h)}
}

// proxy is the mean rate proxy of s with network net of lf evaluated in
// pure Go, or with no prediction when lf is nil.
func proxy(s *liftSamples, lf *iwave.Lift, net int) float64 {
	var sum float64
	var f [iwave.LiftFeatures]float64
	for i, t := range s.T {
		v := float64(t)
		if lf != nil {
			for k := range f {
				f[k] = float64(s.F[i*iwave.LiftFeatures+k])
			}
			v += lf.Eval(net, &f)
		}
		sum += math.Log1p(math.Abs(v))
	}
	return sum / float64(max(1, s.n()))
}

// LiftNetReport is one network's training outcome.
type LiftNetReport struct {
	Net     string  `json:"net"`
	Train   int     `json:"train_samples"`
	Val     int     `json:"val_samples"`
	Before  float64 `json:"val_proxy_before"` // rate proxy with the plain CDF 9/7 step
	After   float64 `json:"val_proxy_after"`
	Percent float64 `json:"val_proxy_change_pct"`
	Seconds float64 `json:"seconds"`
}

// LiftReport is the lifting stage's summary: per-network rate proxies and
// the codec's validation PSNR (no post-filter) at every budget with and
// without the learned steps.
type LiftReport struct {
	Config      LiftTrain       `json:"config"`
	CodeVersion string          `json:"code_version"`
	Nets        []LiftNetReport `json:"nets"`
	Plain       []LevelScore    `json:"val_plain"`
	Lifted      []LevelScore    `json:"val_lifted"`
	Losses      [][]float64     `json:"losses"` // per network: mean loss over each liftLogEvery steps
	Seconds     float64         `json:"seconds"`
}

type liftCheckpoint struct {
	Done    int // networks finished
	Tensors map[string][]float32
	Report  LiftReport
}

var liftNetNames = []string{"row", "collow", "colhigh"}

// liftLogEvery is the period, in steps, of the logged training loss.
const liftLogEvery = 50

// TrainLift trains the three predict networks in transform order (each on
// samples from the transform with the networks before it in place), writes
// dir/lift/ (run.json, report.json, report.md, losses.csv, checkpoint) and
// exports the weights. With opt.Resume, networks finished by an
// interrupted run are kept; opt.StopAt applies to the post-filter stage
// only.
func TrainLift(ctx context.Context, cfg Config, dir string, trainImgs, valImgs []*image.Gray, opt Options) (*iwave.Lift, error) {
	log, resume, progress := opt.Logger(), opt.Resume, opt.Progress
	lt := cfg.Lift
	ldir := filepath.Join(dir, "lift")
	if err := os.MkdirAll(ldir, 0o755); err != nil {
		return nil, err
	}
	ckPath := filepath.Join(ldir, "checkpoint.gob")
	arch := iwave.LiftConfig{Hidden: lt.Hidden, Leak: lt.Leak}
	ck := liftCheckpoint{Tensors: arch.ZeroTensors()}
	if resume {
		var c liftCheckpoint
		if found, err := loadGob(ckPath, &c); err != nil {
			return nil, fmt.Errorf("train/iwave: failed to read lifting checkpoint %s: %w", ckPath, err)
		} else if found {
			ck = c
		}
	}
	ck.Report.Config, ck.Report.CodeVersion = lt, train.CodeVersion()
	if err := runio.WriteJSON(filepath.Join(ldir, "run.json"), map[string]any{"config": lt, "code_version": train.CodeVersion(), "seed": cfg.Seed, "data": cfg.Data, "resumed": resume}); err != nil {
		return nil, err
	}
	imgs := pick(trainImgs, lt.Images, cfg.Seed+2)
	start := time.Now()
	for net := ck.Done; net < len(liftNetNames); net++ {
		lf, err := iwave.NewLift(arch, ck.Tensors)
		if err != nil {
			return nil, err
		}
		t0 := time.Now()
		// About 45k high-pass samples per 256x256 image and network.
		keep := math.Min(1, float64(lt.Samples)/(45000*float64(len(imgs))))
		tr := collectLift(imgs, lf, net, lt, keep, cfg.Seed)
		va := collectLift(valImgs, lf, net, lt, math.Min(1, 100000/(45000*float64(max(1, len(valImgs))))), cfg.Seed+1)
		log.Infof("train/iwave: lift %s: %d train, %d val samples", liftNetNames[net], tr.n(), va.n())
		if tr.n() < lt.Batch {
			return nil, fmt.Errorf("train/iwave: lift %s: %d samples, fewer than a batch of %d", liftNetNames[net], tr.n(), lt.Batch)
		}
		ln, err := newLiftNet(lt, lt.Batch, liftInit(lt, cfg.Seed+uint64(net)))
		if err != nil {
			return nil, err
		}
		opt := newAdam(ln.params, 1)
		bar := runio.NewBar(progress, "train-iwave lift "+liftNetNames[net], lt.Steps, 0)
		x := make([]float32, lt.Batch*iwave.LiftFeatures)
		t := make([]float32, lt.Batch)
		sched := lt.schedule()
		var curve []float64
		var run float64
		for step := 0; step < lt.Steps; step++ {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			rng := rand.New(rand.NewPCG(cfg.Seed+uint64(net)<<32, uint64(step)+1))
			for b := 0; b < lt.Batch; b++ {
				j := rng.IntN(tr.n())
				copy(x[b*iwave.LiftFeatures:(b+1)*iwave.LiftFeatures], tr.F[j*iwave.LiftFeatures:])
				t[b] = tr.T[j]
			}
			loss, err := ln.run(append([]float32(nil), x...), append([]float32(nil), t...))
			if err != nil {
				return nil, err
			}
			if _, err := opt.step(ln.params, sched.At(step)); err != nil {
				return nil, err
			}
			run += loss
			if (step+1)%liftLogEvery == 0 {
				curve = append(curve, run/liftLogEvery)
				run = 0
			}
			bar.Add()
		}
		bar.Finish()
		ft := ln.fileTensors()
		for k := 0; k < 3; k++ {
			ck.Tensors[iwave.LiftTensorNames()[net*3+k]] = ft[k]
		}
		trained, err := iwave.NewLift(arch, ck.Tensors)
		if err != nil {
			return nil, err
		}
		r := LiftNetReport{Net: liftNetNames[net], Train: tr.n(), Val: va.n(), Before: proxy(va, nil, net), After: proxy(va, trained, net), Seconds: time.Since(t0).Seconds()}
		r.Percent = 100 * (r.After - r.Before) / r.Before
		log.Infof("train/iwave: lift %s: validation rate proxy %.4f -> %.4f (%+.2f %%) in %.0f s", r.Net, r.Before, r.After, r.Percent, r.Seconds)
		ck.Report.Nets = append(ck.Report.Nets, r)
		ck.Report.Losses = append(ck.Report.Losses, curve)
		ck.Done = net + 1
		if err := saveGob(ckPath, &ck); err != nil {
			return nil, err
		}
	}
	lf, err := iwave.NewLift(arch, ck.Tensors)
	if err != nil {
		return nil, err
	}
	wb, err := iwave.EncodeLift(arch, ck.Tensors)
	if err != nil {
		return nil, err
	}
	if lf, err = iwave.DecodeLift(wb); err != nil {
		return nil, err
	}
	if err := runio.WriteAtomic(filepath.Join(ldir, "lift.iwl"), wb); err != nil {
		return nil, err
	}
	if err := runio.WriteAtomic(lt.Export, wb); err != nil {
		return nil, err
	}
	// The codec's own measure: validation PSNR without post-filter at every
	// budget, plain CDF 9/7 against the learned steps.
	ck.Report.Plain, err = scoreCodec(cfg.PairsCodec(nil), valImgs, cfg.Budgets)
	if err != nil {
		return nil, err
	}
	ck.Report.Lifted, err = scoreCodec(cfg.PairsCodec(lf), valImgs, cfg.Budgets)
	if err != nil {
		return nil, err
	}
	ck.Report.Seconds += time.Since(start).Seconds()
	for i := range ck.Report.Plain {
		log.Infof("train/iwave: lift: budget %d: val PSNR %.3f dB plain, %.3f dB lifted", ck.Report.Plain[i].Budget, ck.Report.Plain[i].PSNR, ck.Report.Lifted[i].PSNR)
	}
	if err := runio.WriteJSON(filepath.Join(ldir, "report.json"), ck.Report); err != nil {
		return nil, err
	}
	if err := writeLiftMarkdown(filepath.Join(ldir, "report.md"), ck.Report); err != nil {
		return nil, err
	}
	if err := writeLiftCurves(ldir, ck.Report); err != nil {
		return nil, err
	}
	return lf, nil
}

// scoreCodec codes imgs at every budget and returns the mean PSNR and SSIM
// of the decoded images (BasePSNR/BaseSSIM hold the same values).
func scoreCodec(c *iwave.Codec, imgs []*image.Gray, budgets []int) ([]LevelScore, error) {
	pairs, err := MakePairs(c, imgs, budgets)
	if err != nil {
		return nil, err
	}
	var out []LevelScore
	for _, b := range budgets {
		ls := LevelScore{Budget: b}
		ls.PSNR, ls.SSIM = meanScore(pairs, b, decoded)
		ls.BasePSNR, ls.BaseSSIM = ls.PSNR, ls.SSIM
		out = append(out, ls)
	}
	return out, nil
}

func writeLiftMarkdown(path string, r LiftReport) error {
	s := "# iwave learned lifting steps\n\n"
	s += fmt.Sprintf("Code version %s; %d hidden units; %d steps of batch %d per network; %.0f s.\n\n", r.CodeVersion, r.Config.Hidden, r.Config.Steps, r.Config.Batch, r.Seconds)
	s += "Rate proxy mean log(1 + |d|/step) of each network's high-pass samples on the validation images (lower is fewer bits):\n\n"
	s += "| network | train samples | val samples | plain CDF 9/7 | learned | change |\n|---|---:|---:|---:|---:|---:|\n"
	for _, n := range r.Nets {
		s += fmt.Sprintf("| %s | %d | %d | %.4f | %.4f | %+.2f %% |\n", n.Net, n.Train, n.Val, n.Before, n.After, n.Percent)
	}
	s += "\nCodec without post-filter on the validation images (mean PSNR / SSIM at each budget):\n\n"
	s += "| budget (bytes) | plain CDF 9/7 | learned lifting | gain |\n|---:|---:|---:|---:|\n"
	for i := range r.Plain {
		p, l := r.Plain[i], r.Lifted[i]
		s += fmt.Sprintf("| %d | %.3f dB / %.4f | %.3f dB / %.4f | %+.3f dB |\n", p.Budget, p.PSNR, p.SSIM, l.PSNR, l.SSIM, l.PSNR-p.PSNR)
	}
	return runio.WriteAtomic(path, []byte(s))
}
