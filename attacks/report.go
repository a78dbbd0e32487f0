package attacks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/medqr/medqr/eval/shard"
)

// ReportVersion is the version of report.json's layout.
const ReportVersion = 2

// Report is every number of one attack run. Fields named "timing" (and
// RuntimeSeconds, "runtime_s") are measurements that vary from run to run;
// everything else is a deterministic function of the config and the code:
// every key, nonce, image choice and damage comes from streams seeded by
// Config.Seed, and so do the message ids of the product containers the
// run seals (seal.WithRand, research only).
type Report struct {
	Version        int                `json:"version"`
	Code           string             `json:"code_version"`
	Quick          bool               `json:"quick"`
	Config         Config             `json:"config"`
	Noise          *NoiseReport       `json:"noise"`
	QR             *QRReport          `json:"qr"`
	Differential   *DiffReport        `json:"differential"`
	Chosen         []ChosenResult     `json:"chosen_plaintext"`
	Learned        []LearnedResult    `json:"learned"`
	Brute          *BruteReport       `json:"brute_force"`
	Tamper         []TamperResult     `json:"tamper"`
	Plots          []string           `json:"plots"`
	Timing         map[string]float64 `json:"timing"` // seconds per attack, measured
	RuntimeSeconds float64            `json:"runtime_s"`

	example *image.Gray // the first noise image, images/plaintext.png
}

// Options control where a run writes and how it reports progress.
type Options struct {
	Out      string    // report folder (created); empty: write nothing
	Progress io.Writer // progress bar destination; nil: none
	Code     string    // code version recorded in the report
	Quick    bool      // recorded in the report
	// Log, when set, receives one line as each attack starts and ends.
	Log func(format string, args ...any)
	// Only, when set, limits the run to the stages (Stages) it accepts,
	// and Run writes nothing: one shard of a sharded run (RunShard).
	Only func(stage string) bool
}

// runs reports whether the run includes stage.
func (o Options) runs(stage string) bool { return o.Only == nil || o.Only(stage) }

// Run executes every attack of cfg and, when o.Out is set, writes
// report.json, report.md, the plots and example images there.
func Run(ctx context.Context, cfg Config, o Options) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("attacks: %w", err)
	}
	start := time.Now()
	set, err := openImageSet(cfg.Images)
	if err != nil {
		return nil, err
	}
	research, err := researchSchemes(cfg.Keystream)
	if err != nil {
		return nil, err
	}
	full := research[0]
	rep := &Report{Version: ReportVersion, Code: o.Code, Quick: o.Quick, Config: cfg, Timing: map[string]float64{}}

	noiseSchemes := []Scheme{full, AESCTR{}}
	noiseDamage := damageList(cfg.Noise.SaltPepper, cfg.Noise.Gaussian, cfg.Noise.Blocks, cfg.Noise.Positions, cfg.Noise.JPEG)
	qrDamage := damageList(cfg.QR.SaltPepper, cfg.QR.Gaussian, cfg.QR.Blocks, cfg.QR.Positions, cfg.QR.JPEG)
	diffSchemes := append(append([]Scheme{}, research...), AESCTR{})
	chosenSchemes := append([]Scheme{PermXOR{}}, research...)
	learnedSchemes := append([]Scheme{PermXOR{}}, research...)
	total := len(noiseSchemes)*len(noiseDamage) + len(cfg.QR.Levels)*len(qrDamage) +
		len(diffSchemes)*len(DiffTests)*cfg.Differential.Trials + 4*len(chosenSchemes) +
		2*len(learnedSchemes)*cfg.Learned.Epochs + 2
	var bar *progressbar.ProgressBar
	if o.Progress != nil {
		bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(o.Progress),
			progressbar.OptionSetDescription("attacks"), progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true), progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(200*time.Millisecond))
		defer bar.Close()
	}
	tick := func() {
		if bar != nil {
			bar.Add(1)
		}
	}
	stage := func(name string) func() {
		if bar != nil {
			bar.Describe(name)
		}
		if o.Log != nil {
			o.Log("attacks: %s", name)
		}
		t := time.Now()
		return func() {
			rep.Timing[name] = round6(time.Since(t).Seconds())
			if o.Log != nil {
				o.Log("attacks: %s done in %.1f s", name, rep.Timing[name])
			}
		}
	}

	// 1. noise, blocks, JPEG on the cipher image
	imgs, err := set.pick(newRNG(cfg.Seed, "noise-images"), cfg.Noise.Images, cfg.Size, 0)
	if err != nil {
		return nil, err
	}
	rep.example = imgs[0]
	if o.runs("noise") {
		done := stage("noise")
		if rep.Noise, err = runNoise(ctx, newRNG(cfg.Seed, "noise"), noiseSchemes, imgs, noiseDamage, tick); err != nil {
			return nil, err
		}
		done()
	}

	// 2. the product path's QR symbols
	if o.runs("qr") {
		done := stage("qr")
		qimgs, err := set.pick(newRNG(cfg.Seed, "qr-images"), cfg.QR.Images, 256, 0)
		if err != nil {
			return nil, err
		}
		if rep.QR, err = runQR(ctx, newRNG(cfg.Seed, "qr"), cfg.QR, qimgs, tick); err != nil {
			return nil, err
		}
		done()
	}

	// 3. differential and key sensitivity
	if o.runs("differential") {
		done := stage("differential")
		dimgs, err := set.pick(newRNG(cfg.Seed, "diff-images"), min(cfg.Differential.Trials, 8), cfg.Size, 0)
		if err != nil {
			return nil, err
		}
		if rep.Differential, err = runDifferential(ctx, newRNG(cfg.Seed, "differential"), diffSchemes, dimgs, cfg.Differential.Trials, cfg.Differential.Alpha, tick); err != nil {
			return nil, err
		}
		done()
	}

	// 4a. classical chosen plaintext
	if o.runs("chosen-plaintext") {
		done := stage("chosen-plaintext")
		targets, err := set.pick(newRNG(cfg.Seed, "chosen-images"), cfg.Chosen.Targets, cfg.Chosen.Size, -0.2)
		if err != nil {
			return nil, err
		}
		if rep.Chosen, err = runChosen(ctx, newRNG(cfg.Seed, "chosen"), chosenSchemes, targets, tick); err != nil {
			return nil, err
		}
		done()
	}

	// 4b. learned known plaintext
	if o.runs("learned") {
		done := stage("learned")
		lrng := newRNG(cfg.Seed, "learned-images")
		train, err := set.crops(lrng, cfg.Learned.Train, cfg.Learned.Size, 256, 0.8, 50)
		if err != nil {
			return nil, err
		}
		test, err := set.crops(lrng, cfg.Learned.Test, cfg.Learned.Size, 256, -0.2, 5)
		if err != nil {
			return nil, err
		}
		if rep.Learned, err = runLearned(ctx, newRNG(cfg.Seed, "learned"), learnedSchemes, train, test, cfg.Learned, tick); err != nil {
			return nil, err
		}
		done()
	}

	// 5. brute force
	if o.runs("brute-force") {
		done := stage("brute-force")
		if rep.Brute, err = runBrute(ctx, newRNG(cfg.Seed, "brute"), cfg.Brute, full, imgs[0]); err != nil {
			return nil, err
		}
		tick()
		done()
	}

	// 6. tamper
	if o.runs("tamper") {
		done := stage("tamper")
		if rep.Tamper, err = runTamper(ctx, newRNG(cfg.Seed, "tamper"), cfg.Tamper); err != nil {
			return nil, err
		}
		tick()
		done()
	}

	rep.RuntimeSeconds = round6(time.Since(start).Seconds())
	if o.Out != "" && o.Only == nil {
		if err := rep.write(o.Out, imgs[0]); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

// write saves the report, plots and example images under dir.
func (r *Report) write(dir string, example *image.Gray) error {
	if err := os.MkdirAll(filepath.Join(dir, "images"), 0o755); err != nil {
		return fmt.Errorf("attacks: failed to create report folder: %w", err)
	}
	imgs := map[string]*image.Gray{}
	for k, v := range r.Noise.exImgs {
		imgs[k] = v
	}
	for k, v := range r.Differential.flipImgs {
		imgs[k] = v
	}
	if r.Brute.ResearchWrongKey != nil && r.Brute.researchWrong != nil {
		imgs[r.Brute.ResearchWrongKey.Image] = r.Brute.researchWrong
	}
	imgs["images/plaintext.png"] = example
	for name, g := range imgs {
		if err := writePNG(filepath.Join(dir, name), g); err != nil {
			return err
		}
	}
	// Plots and Markdown are drawn from the numbers as report.json stores
	// them, so Render reproduces them exactly.
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("attacks: failed to encode report: %w", err)
	}
	var stored Report
	if err := json.Unmarshal(b, &stored); err != nil {
		return fmt.Errorf("attacks: failed to decode report: %w", err)
	}
	if err := stored.drawPlots(dir); err != nil {
		return err
	}
	r.Plots = stored.Plots
	if b, err = json.MarshalIndent(r, "", "  "); err != nil {
		return fmt.Errorf("attacks: failed to encode report: %w", err)
	}
	if err := shard.WriteFileAtomic(filepath.Join(dir, "report.json"), append(b, '\n')); err != nil {
		return err
	}
	return shard.WriteFileAtomic(filepath.Join(dir, "report.md"), []byte(stored.Markdown()))
}

// writePNG writes g to path as a PNG with shard.WriteFileAtomic, as the
// report files beside it are written.
func writePNG(path string, g *image.Gray) error {
	var b bytes.Buffer
	if err := png.Encode(&b, g); err != nil {
		return fmt.Errorf("attacks: failed to write %s: %w", path, err)
	}
	return shard.WriteFileAtomic(path, b.Bytes())
}

// Render redraws the plots and report.md of a finished run from its
// report.json (example images are left as they are). It lets a change to
// the presentation reach a report without rerunning the attacks.
func Render(dir string) error {
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		return fmt.Errorf("attacks: failed to read report: %w", err)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("attacks: %s: %w", filepath.Join(dir, "report.json"), err)
	}
	if r.Version != ReportVersion {
		return fmt.Errorf("attacks: %s has report version %d, this medqr renders version %d: rerun \"medqr attacks\"", filepath.Join(dir, "report.json"), r.Version, ReportVersion)
	}
	if r.Noise == nil || r.QR == nil || r.Differential == nil || r.Brute == nil {
		return fmt.Errorf("attacks: %s is incomplete: rerun \"medqr attacks\"", filepath.Join(dir, "report.json"))
	}
	if err := r.drawPlots(dir); err != nil {
		return err
	}
	return shard.WriteFileAtomic(filepath.Join(dir, "report.md"), []byte(r.Markdown()))
}

// drawPlots renders every plot of the report into dir and lists them in
// r.Plots.
func (r *Report) drawPlots(dir string) error {
	r.Plots = nil
	add := func(name string, err error) error {
		if err != nil {
			return err
		}
		if name != "" {
			r.Plots = append(r.Plots, name)
		}
		return nil
	}
	for _, kind := range []string{"salt-pepper", "gaussian", "block", "jpeg"} {
		for _, m := range []string{"psnr", "ssim"} {
			if err := add(plotNoise(r.Noise, kind, m, dir)); err != nil {
				return err
			}
		}
		if err := add(plotQR(r.QR, kind, dir)); err != nil {
			return err
		}
	}
	var schemes []string // the full research scheme and the AES-CTR reference
	for _, d := range r.Differential.Dists {
		if (strings.Contains(d.Scheme, " full ") || strings.HasPrefix(d.Scheme, "AES")) && !slices.Contains(schemes, d.Scheme) {
			schemes = append(schemes, d.Scheme)
		}
	}
	for _, s := range schemes {
		for _, m := range []string{"npcr", "uaci"} {
			if err := add(plotDiff(r.Differential, s, m, dir)); err != nil {
				return err
			}
		}
	}
	if err := add(plotLearned(r.Learned, dir)); err != nil {
		return err
	}
	return nil
}
