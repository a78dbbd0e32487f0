// Package damage measures how well QR symbols survive damage: for each
// error-correction level and each damage condition it encodes seeded random
// full-capacity payloads (version 40), damages the rendered symbol, and
// counts how often qr.Decode and, for comparison, zbarimg (zbar-tools)
// return exactly the payload. Every trial has its own random stream derived
// from (seed, level, condition, trial), so the counts do not depend on the
// number of workers or the order of execution.
package damage

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"image"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/medqr/medqr/qr"
	"github.com/medqr/medqr/qr/internal/distort"
)

// Sample is one rendered symbol handed to a condition.
type Sample struct {
	Img     *image.Gray
	Px      int // pixels per module
	Version int
}

// symbolRect is the symbol without its quiet zone, in pixels.
func (s Sample) symbolRect() image.Rectangle {
	q := qr.QuietZone * s.Px
	return image.Rect(q, q, s.Img.Rect.Dx()-q, s.Img.Rect.Dy()-q)
}

// finders are the three finder patterns with their separators (8 x 8
// modules each), in pixels.
func (s Sample) finders() []image.Rectangle {
	r := s.symbolRect()
	f := 8 * s.Px
	return []image.Rectangle{
		image.Rect(r.Min.X, r.Min.Y, r.Min.X+f, r.Min.Y+f),
		image.Rect(r.Max.X-f, r.Min.Y, r.Max.X, r.Min.Y+f),
		image.Rect(r.Min.X, r.Max.Y-f, r.Min.X+f, r.Max.Y),
	}
}

// Condition is one kind of damage.
type Condition struct {
	Name  string // short id used in files
	Title string // for tables and plots
	Apply func(s Sample, r *rand.Rand) (*image.Gray, error)
}

// Conditions are the damages of the study, from none to heavy.
var Conditions = []Condition{
	{"clean", "clean, 4 px/module", func(s Sample, r *rand.Rand) (*image.Gray, error) { return s.Img, nil }},
	{"scale2", "downscaled to 2 px/module", func(s Sample, r *rand.Rand) (*image.Gray, error) {
		return distort.Scale(s.Img, 2/float64(s.Px), r.Float64(), r.Float64()), nil
	}},
	{"jpeg50", "JPEG quality 50", func(s Sample, r *rand.Rand) (*image.Gray, error) {
		return distort.JPEG(s.Img, 50)
	}},
	{"rotate5", "rotated 5 degrees", func(s Sample, r *rand.Rand) (*image.Gray, error) {
		return distort.Rotate(s.Img, 5*float64(1-2*r.IntN(2))), nil
	}},
	tilt(0.05), tilt(0.10),
	{"blur", "Gaussian blur sigma 0.4 module", func(s Sample, r *rand.Rand) (*image.Gray, error) {
		return distort.Blur(s.Img, 0.4*float64(s.Px)), nil
	}},
	{"saltpepper2", "2 % salt-and-pepper noise", func(s Sample, r *rand.Rand) (*image.Gray, error) {
		return distort.SaltPepper(s.Img, 0.02, r), nil
	}},
	occlusion(0.10), occlusion(0.20), occlusion(0.30),
	{"photo", "photo-like: tilt 5 %, rotate 3 deg, 3 px/module, blur, JPEG 75", func(s Sample, r *rand.Rand) (*image.Gray, error) {
		g := distort.Tilt(s.Img, 0.05, r.IntN(4))
		g = distort.Rotate(g, 3*float64(1-2*r.IntN(2)))
		g = distort.Scale(g, 3/float64(s.Px), r.Float64(), r.Float64())
		g = distort.Blur(g, 0.6)
		return distort.JPEG(g, 75)
	}},
}

func tilt(frac float64) Condition {
	return Condition{
		Name:  fmt.Sprintf("tilt%02.0f", 100*frac),
		Title: fmt.Sprintf("perspective tilt, far edge %.0f %% shorter", 100*frac),
		Apply: func(s Sample, r *rand.Rand) (*image.Gray, error) {
			return distort.Tilt(s.Img, frac, r.IntN(4)), nil
		},
	}
}

func occlusion(frac float64) Condition {
	return Condition{
		Name:  fmt.Sprintf("occlude%02.0f", 100*frac),
		Title: fmt.Sprintf("%.0f %% occluded", 100*frac),
		Apply: func(s Sample, r *rand.Rand) (*image.Gray, error) {
			g, _, err := distort.Occlude(s.Img, s.symbolRect(), frac, s.finders(), r)
			return g, err
		},
	}
}

// Config selects what Run measures.
type Config struct {
	Trials     int         // trials per (level, condition)
	Seed       uint64      // master seed
	Px         int         // pixels per module of the clean rendering
	Levels     []qr.Level  // default qr.Levels
	Conditions []Condition // default Conditions
	Zbar       string      // path of zbarimg; "" skips the comparison
	Workers    int         // parallel trials; default 1
	// Progress, when set, is called after each finished cell.
	Progress func(c Cell)
}

// Cell is the outcome of one (level, condition) pair.
type Cell struct {
	Level     string  `json:"level"`
	Condition string  `json:"condition"`
	Title     string  `json:"title"`
	Trials    int     `json:"trials"`
	OK        int     `json:"ok"`    // qr.Decode returned exactly the payload
	Wrong     int     `json:"wrong"` // qr.Decode returned other bytes (must stay 0)
	MeanMs    float64 `json:"mean_ms"`
	ZbarOK    int     `json:"zbar_ok"`
	ZbarWrong int     `json:"zbar_wrong"`
	ZbarRun   bool    `json:"zbar_run"`
	// Strategies counts which Decode strategy read the symbol.
	Strategies map[string]int `json:"strategies"`
}

// Rate is OK/Trials.
func (c Cell) Rate() float64 { return float64(c.OK) / float64(max(c.Trials, 1)) }

// ZbarRate is ZbarOK/Trials.
func (c Cell) ZbarRate() float64 { return float64(c.ZbarOK) / float64(max(c.Trials, 1)) }

// Report is the whole study.
type Report struct {
	Trials  int           `json:"trials"`
	Seed    uint64        `json:"seed"`
	Px      int           `json:"px_per_module"`
	Zbar    string        `json:"zbar_version,omitempty"`
	Workers int           `json:"workers,omitempty"`
	Cells   []Cell        `json:"cells"`
	Runtime time.Duration `json:"-"`
}

type trialResult struct {
	ok, wrong, zok, zwrong bool
	strategy               string
	dur                    time.Duration
	err                    error
}

// Run performs the study. It stops early when ctx is cancelled.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Trials <= 0 {
		return nil, errors.New("damage: trials must be positive")
	}
	if cfg.Px <= 0 {
		cfg.Px = qr.DefaultPxPerModule
	}
	if len(cfg.Levels) == 0 {
		cfg.Levels = qr.Levels
	}
	if len(cfg.Conditions) == 0 {
		cfg.Conditions = Conditions
	}
	cfg.Workers = max(cfg.Workers, 1)
	start := time.Now()
	rep := &Report{Trials: cfg.Trials, Seed: cfg.Seed, Px: cfg.Px, Workers: cfg.Workers}
	var zb *zbar
	if cfg.Zbar != "" {
		var err error
		if zb, err = newZbar(cfg.Zbar); err != nil {
			return nil, err
		}
		defer zb.close()
		rep.Zbar = zb.version
	}
	for _, l := range cfg.Levels {
		for _, c := range cfg.Conditions {
			cell, err := runCell(ctx, cfg, l, c, zb)
			if err != nil {
				return nil, err
			}
			rep.Cells = append(rep.Cells, cell)
			if cfg.Progress != nil {
				cfg.Progress(cell)
			}
		}
	}
	rep.Runtime = time.Since(start)
	return rep, nil
}

func runCell(ctx context.Context, cfg Config, l qr.Level, c Condition, zb *zbar) (Cell, error) {
	res := make([]trialResult, cfg.Trials)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < cfg.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				res[i] = trial(cfg, l, c, i, zb)
			}
		}()
	}
	var err error
feed:
	for i := 0; i < cfg.Trials; i++ {
		select {
		case jobs <- i:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err != nil {
		return Cell{}, err
	}
	cell := Cell{Level: l.String(), Condition: c.Name, Title: c.Title, Trials: cfg.Trials,
		ZbarRun: zb != nil, Strategies: map[string]int{}}
	var total time.Duration
	for _, r := range res {
		if r.err != nil {
			return Cell{}, fmt.Errorf("damage: level %v, %s: %w", l, c.Name, r.err)
		}
		total += r.dur
		if r.ok {
			cell.OK++
			cell.Strategies[r.strategy]++
		}
		if r.wrong {
			cell.Wrong++
		}
		if r.zok {
			cell.ZbarOK++
		}
		if r.zwrong {
			cell.ZbarWrong++
		}
	}
	cell.MeanMs = float64(total.Microseconds()) / 1000 / float64(cfg.Trials)
	return cell, nil
}

// trialRand derives the random stream of one trial.
func trialRand(seed uint64, l qr.Level, cond string, i int) *rand.Rand {
	h := fnv.New64a()
	fmt.Fprintf(h, "%v/%s/%d", l, cond, i)
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}

func trial(cfg Config, l qr.Level, c Condition, i int, zb *zbar) trialResult {
	r := trialRand(cfg.Seed, l, c.Name, i)
	payload := make([]byte, qr.Capacity(l))
	for k := range payload {
		payload[k] = byte(r.Uint32())
	}
	sym, err := qr.EncodeSymbol(payload, l)
	if err != nil {
		return trialResult{err: err}
	}
	s := Sample{Img: sym.Image(cfg.Px), Px: cfg.Px, Version: sym.Version}
	img, err := c.Apply(s, r)
	if err != nil {
		return trialResult{err: err}
	}
	var tr trialResult
	t0 := time.Now()
	got, strat, err := qr.DecodeStrategy(img)
	tr.dur = time.Since(t0)
	if err == nil {
		tr.ok = string(got) == string(payload)
		tr.wrong = !tr.ok
		tr.strategy = strat
	}
	if zb != nil {
		zgot, found, err := zb.read(img)
		if err != nil {
			return trialResult{err: err}
		}
		if found {
			tr.zok = string(zgot) == string(payload)
			tr.zwrong = !tr.zok
		}
	}
	return tr
}
