// Package rd is medqr's one rate-distortion harness (medqr rd, and the RD
// tables of training: train.CompareRD, train/iwave.RD). In it, every lossy
// image codec medqr registers (package codec), plain Go image/jpeg at full
// resolution, and the
// external baselines of package extcodec (libjpeg, WebP, JPEG 2000, AVIF)
// are each fitted to the payload budget of one QR version-40 symbol at every
// error-correction level, and the reconstructions are scored with eval.PSNR
// and eval.SSIM against the originals. Each summary row also carries
// statistics of the coded bytes pooled over the images (ByteStats): Shannon
// entropy in bits per byte beside its exact value for uniformly random
// bytes, the lag-1 serial correlation within each encoding, and the
// histogram's chi-square against uniform; they are measured on the codec
// payload for package codec and on the whole file, headers included, for
// gojpeg and the external tools.
//
// Contract: Run codes each image with each method at each level on a worker
// pool of Config.Workers goroutines (GOMAXPROCS when zero), and the Report it
// returns depends only on the images and the Config (never on scheduling or
// timing): rows come in a fixed order, so two runs on the same inputs write
// byte-identical rd.json, rd.csv, rd_summary.csv and rd.md. Timings and code
// version go to run.json, written separately (WriteRunInfo). An encoding must
// use at most the level's budget; a method that returns more is an error
// (ErrOverBudget), not a data point. A method that cannot fit the budget at
// all (codec.ErrBudget, extcodec.ErrBudget) is counted in the row's Fails and
// left out of its means and medians. Results of methods with a Key (the
// external tools) may be reused from Config.Cache (cache.go): the report is
// the same with or without it.
package rd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/medqr/medqr/codec"
	"github.com/medqr/medqr/eval"
	"github.com/medqr/medqr/internal/extcodec"
	"github.com/medqr/medqr/qr"
	"github.com/medqr/medqr/seal"
)

// GoJPEGName is the method name of plain Go image/jpeg at full resolution
// with quality bisection only (the literal baseline); the registered
// codec "jpeg" also searches a lower resolution and omits the headers.
const GoJPEGName = "gojpeg"

// PSNRCap replaces an infinite PSNR (an exact reconstruction), which JSON
// cannot carry. No lossy method reaches it at these budgets.
const PSNRCap = 100.0

// ErrOverBudget reports an encoding larger than the budget it was given.
var ErrOverBudget = errors.New("rd: encoding exceeds the budget")

// Level is one QR error-correction level and the payload budget, in bytes,
// that one version-40 symbol leaves for the image in key mode.
type Level struct {
	Level    string `json:"level"`
	Capacity int    `json:"symbol_capacity"`
	Budget   int    `json:"budget"`
}

// KeyModeLevels computes the four levels' budgets through packages qr and
// seal: seal.PayloadBudget(qr.Capacity(l), key sealer).
func KeyModeLevels() []Level {
	var k seal.Key // all zero: the budget depends on the mode only
	s := seal.NewKeySealer(k)
	out := make([]Level, 0, len(qr.Levels))
	for _, l := range qr.Levels {
		c := qr.Capacity(l)
		out = append(out, Level{Level: string(rune(l)), Capacity: c, Budget: seal.PayloadBudget(c, s)})
	}
	return out
}

// Method is one way of coding an image into at most budget bytes.
type Method struct {
	Name string
	Kind string // "codec" (package codec), "go" (plain image/jpeg) or "external" (extcodec)
	// Code returns the reconstruction, the number of bytes the encoding
	// used and, where the method exposes them, those bytes.
	Code func(img *image.Gray, budget int) (Coding, error)
	// Key, when set, names the method and its settings exactly enough that
	// its result on an image at a budget can be reused from Config.Cache
	// (the slow external tools); empty means never cached.
	Key string
}

// Coding is one encoding of an image by a Method.
type Coding struct {
	Rec   image.Image // the reconstruction
	Bytes int         // bytes the encoding used
	// Payload is the encoding itself (len(Payload) == Bytes): the codec
	// payload for package codec, the whole file for gojpeg and the external
	// tools. Nil where a method does not expose it; the row's byte
	// statistics are then left empty.
	Payload []byte
}

// Byte-statistic sources, recorded in Row.StatSource.
const (
	SourcePayload = "codec payload"                 // package codec: the bytes the container carries
	SourceFile    = "whole file (headers included)" // gojpeg, external tools: a complete file
	SourceNone    = "not exposed"                   // the method gives no bytes
	SourceNoFit   = "nothing fit"                   // no image fit the budget: no bytes to measure
)

// CodecMethod wraps a registered codec: the payload is what the container
// would carry.
func CodecMethod(c codec.Codec) Method {
	return Method{Name: c.Name(), Kind: "codec", Code: func(img *image.Gray, budget int) (Coding, error) {
		p, err := c.Encode(img, budget)
		if err != nil {
			return Coding{}, err
		}
		rec, err := c.Decode(p)
		if err != nil {
			return Coding{}, fmt.Errorf("%s: decoding its own payload: %w", c.Name(), err)
		}
		return Coding{Rec: rec, Bytes: len(p), Payload: p}, nil
	}}
}

// ExternalMethod wraps an extcodec tool; bytes are the whole file it wrote,
// headers included, and so is the Payload its byte statistics are taken
// over.
func ExternalMethod(t extcodec.Tool) Method {
	return Method{Name: t.Name, Kind: "external", Key: t.Name + ": " + t.Settings, Code: func(img *image.Gray, budget int) (Coding, error) {
		r, err := t.Fit(img, budget)
		if err != nil {
			return Coding{}, err
		}
		return Coding{Rec: r.Image, Bytes: r.Bytes, Payload: r.File}, nil
	}}
}

// GoJPEGMethod is Go's image/jpeg at full resolution: the largest quality
// (1..100, by bisection) whose complete JFIF file fits the budget.
func GoJPEGMethod() Method {
	return Method{Name: GoJPEGName, Kind: "go", Code: func(img *image.Gray, budget int) (Coding, error) {
		rec, file, err := GoJPEG(img, budget)
		if err != nil {
			return Coding{}, err
		}
		return Coding{Rec: rec, Bytes: len(file), Payload: file}, nil
	}}
}

// GoJPEG codes img with image/jpeg at the largest quality whose file fits
// budget, and returns the decoded reconstruction and the JFIF file.
func GoJPEG(img *image.Gray, budget int) (image.Image, []byte, error) {
	enc := func(q int) ([]byte, error) {
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
			return nil, fmt.Errorf("gojpeg: encoding at quality %d: %w", q, err)
		}
		return b.Bytes(), nil
	}
	best, err := enc(1)
	if err != nil {
		return nil, nil, err
	}
	if len(best) > budget {
		return nil, nil, fmt.Errorf("%w: gojpeg needs %d bytes at quality 1, budget %d", codec.ErrBudget, len(best), budget)
	}
	lo, hi := 1, 100
	for lo < hi {
		mid := (lo + hi + 1) / 2
		b, err := enc(mid)
		if err != nil {
			return nil, nil, err
		}
		if len(b) <= budget {
			lo, best = mid, b
		} else {
			hi = mid - 1
		}
	}
	rec, err := jpeg.Decode(bytes.NewReader(best))
	if err != nil {
		return nil, nil, fmt.Errorf("gojpeg: decoding: %w", err)
	}
	return rec, best, nil
}

// GoCodecs lists the registered lossy codecs (every name in codec.Names
// but "lossless") followed by gojpeg.
func GoCodecs() []string {
	var out []string
	for _, n := range codec.Names() {
		if n != "lossless" && n != "" {
			out = append(out, n)
		}
	}
	return append(out, GoJPEGName)
}

// ExternalCodecs lists the extcodec tools in table order.
func ExternalCodecs() []string {
	var out []string
	for _, t := range extcodec.Tools() {
		out = append(out, t.Name)
	}
	return out
}

// Methods resolves names (registered codecs, "gojpeg", extcodec tools).
func Methods(names []string) ([]Method, error) {
	tools := map[string]extcodec.Tool{}
	for _, t := range extcodec.Tools() {
		tools[t.Name] = t
	}
	var out []Method
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			return nil, fmt.Errorf("codec %q named twice", n)
		}
		seen[n] = true
		switch {
		case n == GoJPEGName:
			out = append(out, GoJPEGMethod())
		case n == "lossless":
			return nil, fmt.Errorf("codec %q is not lossy: a rate-distortion table has no place for it", n)
		default:
			if t, ok := tools[n]; ok {
				if err := t.Available(); err != nil {
					return nil, err
				}
				out = append(out, ExternalMethod(t))
				continue
			}
			c, err := codec.ByName(n)
			if err != nil {
				return nil, fmt.Errorf("%w (or %s, %s)", err, GoJPEGName, strings.Join(ExternalCodecs(), ", "))
			}
			out = append(out, CodecMethod(c))
		}
	}
	return out, nil
}

// Image is one test image and the name it is reported under.
type Image struct {
	Name string
	Img  *image.Gray
}

// Config is what a run measures.
type Config struct {
	Data    string   `json:"data"`  // where the images came from (recorded only)
	Split   string   `json:"split"` // likewise
	Levels  []Level  `json:"levels"`
	Methods []Method `json:"-"`
	// Limit caps the images coded by a method (name -> the first N images);
	// a method not named codes them all. Used to bound the slow external
	// tools; the report says which subset each row covers.
	Limit   map[string]int `json:"limit,omitempty"`
	Workers int            `json:"-"`
	// Cache, when set, is a folder of results of the methods that have a
	// Key, reused when the same image is coded by the same method and
	// settings at the same budget (see cache.go). The report is the same
	// with or without it.
	Cache string `json:"-"`
	// Progress, when set, is called after each (image, method) unit with
	// the number of units done and the total.
	Progress func(done, total int) `json:"-"`
}

// Cell is one image coded by one method at one level.
type Cell struct {
	Image  string  `json:"image"`
	Codec  string  `json:"codec"`
	Level  string  `json:"level"`
	Budget int     `json:"budget"`
	Bytes  int     `json:"bytes,omitempty"`
	PSNR   float64 `json:"psnr,omitempty"`
	SSIM   float64 `json:"ssim,omitempty"`
	Fail   string  `json:"fail,omitempty"` // why nothing fit the budget

	stats *ByteStats // the payload's bytes; nil when the method exposes none
}

// Row summarises one method at one level.
type Row struct {
	Level      string  `json:"level"`
	Budget     int     `json:"budget"`
	Codec      string  `json:"codec"`
	Kind       string  `json:"kind"`
	Images     int     `json:"images"` // images coded (fits + fails)
	Fails      int     `json:"fails"`
	MeanBytes  float64 `json:"mean_bytes"`
	MeanBPP    float64 `json:"mean_bpp"`
	MeanPSNR   float64 `json:"mean_psnr"`
	MedianPSNR float64 `json:"median_psnr"`
	MeanSSIM   float64 `json:"mean_ssim"`
	MedianSSIM float64 `json:"median_ssim"`

	// Statistics of the encodings' bytes, pooled over the images that fit
	// (ByteStats): what they were measured on (SourcePayload, SourceFile,
	// or SourceNone or SourceNoFit with StatBytes 0 and the rest NaN), the number of
	// bytes, their Shannon entropy in bits per byte (8 at most) beside the
	// exact mean and standard deviation of that entropy for as many
	// uniformly random bytes (eval.EntropyNull), Pearson's correlation of
	// consecutive bytes within each encoding with the half-width of its
	// 95 % band for independent bytes (eval.CorrelationBand), and the
	// histogram's chi-square against uniform (255 degrees of freedom, 5 %
	// critical value 293.25) with its p-value.
	StatSource       string  `json:"stat_source"`
	StatBytes        int     `json:"stat_bytes"`
	ByteEntropy      float64 `json:"byte_entropy"`
	EntropyUniform   float64 `json:"byte_entropy_uniform"`
	EntropyUniformSD float64 `json:"byte_entropy_uniform_sd"`
	Lag1             float64 `json:"lag1_r"`
	Lag1Pairs        int     `json:"lag1_pairs"`
	Lag1Band         float64 `json:"lag1_band95"`
	ChiSquare        float64 `json:"chi_square"`
	ChiSquareP       float64 `json:"chi_square_p"`
}

// Report is the result of a run.
type Report struct {
	Data   string   `json:"data"`
	Split  string   `json:"split"`
	Images []string `json:"images"`
	Pixels int      `json:"pixels_per_image"`
	Levels []Level  `json:"levels"`
	Codecs []string `json:"codecs"`
	// Subset names, per method, how many of the images (the first N) it coded.
	Subset  map[string]int `json:"subset"`
	Summary []Row          `json:"summary"`
	Cells   []Cell         `json:"cells"`
	// Timing is per method: CPU-independent wall time summed over units.
	// It is kept out of the JSON so rd.json is identical across runs.
	Timing map[string]time.Duration `json:"-"`
}

type unit struct{ img, meth int }

// subset is how many of n images method m codes: the first Limit[m.Name]
// when that is set and smaller, else all n.
func (cfg Config) subset(m Method, n int) int {
	if k, ok := cfg.Limit[m.Name]; ok && k > 0 && k < n {
		return k
	}
	return n
}

// Run measures every method on every image at every level.
func Run(ctx context.Context, cfg Config, imgs []Image) (*Report, error) {
	cfg, px, err := prepare(cfg, imgs)
	if err != nil {
		return nil, err
	}
	cells, times, err := measure(ctx, cfg, imgs, func(int) bool { return true })
	if err != nil {
		return nil, err
	}
	names := make([]string, len(imgs))
	for i, im := range imgs {
		names[i] = im.Name
	}
	return assemble(cfg, names, px, cells, nil, times), nil
}

// prepare checks cfg and the images that carry pixels (a shard's images
// outside the shard carry none) and returns cfg with its default levels
// and the images' pixel count (0 when none carries pixels).
func prepare(cfg Config, imgs []Image) (Config, int, error) {
	if len(imgs) == 0 {
		return cfg, 0, errors.New("rd: no images")
	}
	if len(cfg.Methods) == 0 {
		return cfg, 0, errors.New("rd: no codecs")
	}
	if len(cfg.Levels) == 0 {
		cfg.Levels = KeyModeLevels()
	}
	px := 0
	for _, im := range imgs {
		if im.Img == nil {
			continue
		}
		n := im.Img.Bounds().Dx() * im.Img.Bounds().Dy()
		if px == 0 {
			px = n
		} else if n != px {
			return cfg, 0, fmt.Errorf("rd: image %s is %v, the first is %d pixels: all must be the same size", im.Name, im.Img.Bounds().Size(), px)
		}
	}
	return cfg, px, nil
}

// measure codes the units (image, method) of the images that owned
// selects on cfg.Workers goroutines and returns their cells, indexed
// [img*len(cfg.Methods)+meth][level] (nil for units not run), and the time
// spent per method.
func measure(ctx context.Context, cfg Config, imgs []Image, owned func(int) bool) ([][]Cell, []time.Duration, error) {
	var units []unit
	// Slow methods' units interleave with the others' so progress is even;
	// the order of work does not affect the output.
	for i := range imgs {
		if !owned(i) {
			continue
		}
		for m := range cfg.Methods {
			if i < cfg.subset(cfg.Methods[m], len(imgs)) {
				units = append(units, unit{i, m})
			}
		}
	}
	nl := len(cfg.Levels)
	cells := make([][]Cell, len(imgs)*len(cfg.Methods))
	times := make([]time.Duration, len(cfg.Methods))
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
		done     int
		wg       sync.WaitGroup
	)
	jobs := make(chan unit)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range jobs {
				m := cfg.Methods[u.meth]
				im := imgs[u.img]
				start := time.Now()
				row := make([]Cell, nl)
				var err error
				for li, lv := range cfg.Levels {
					row[li], err = cachedCode(cfg.Cache, m, im, lv)
					if err != nil {
						break
					}
				}
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
					cancel()
				}
				cells[u.img*len(cfg.Methods)+u.meth] = row
				times[u.meth] += time.Since(start)
				done++
				if cfg.Progress != nil {
					cfg.Progress(done, len(units))
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for _, u := range units {
		select {
		case jobs <- u:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return nil, nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("rd: %w", err)
	}
	return cells, times, nil
}

// assemble builds the report of every image from cells indexed as measure
// returns them, all present. pooled, when not nil, holds each row's byte
// statistics [level*len(cfg.Methods)+meth] (a merge of shards, whose cells
// carry none); nil pools them from the cells.
func assemble(cfg Config, names []string, px int, cells [][]Cell, pooled []PooledStats, times []time.Duration) *Report {
	rep := &Report{Data: cfg.Data, Split: cfg.Split, Pixels: px, Levels: cfg.Levels, Images: names,
		Subset: map[string]int{}, Timing: map[string]time.Duration{}}
	for mi, m := range cfg.Methods {
		rep.Codecs = append(rep.Codecs, m.Name)
		rep.Subset[m.Name] = cfg.subset(m, len(names))
		rep.Timing[m.Name] = times[mi]
	}
	for li, lv := range cfg.Levels {
		for mi, m := range cfg.Methods {
			var got []Cell
			for i := 0; i < cfg.subset(m, len(names)); i++ {
				got = append(got, cells[i*len(cfg.Methods)+mi][li])
			}
			if pooled == nil {
				rep.Summary = append(rep.Summary, summarise(lv, m, got, px))
				continue
			}
			p := pooled[li*len(cfg.Methods)+mi]
			rep.Summary = append(rep.Summary, summariseRow(lv, m, got, p.Stats, p.Exposed, px))
		}
	}
	for i := range names {
		for mi, m := range cfg.Methods {
			if i < cfg.subset(m, len(names)) {
				rep.Cells = append(rep.Cells, cells[i*len(cfg.Methods)+mi]...)
			}
		}
	}
	return rep
}

func code(m Method, im Image, lv Level) (Cell, error) {
	c, _, err := codePayload(m, im, lv)
	return c, err
}

// codePayload is code that also returns the encoding (nil when the method
// exposes none or nothing fit).
func codePayload(m Method, im Image, lv Level) (Cell, []byte, error) {
	c := Cell{Image: im.Name, Codec: m.Name, Level: lv.Level, Budget: lv.Budget}
	cd, err := m.Code(im.Img, lv.Budget)
	if errors.Is(err, codec.ErrBudget) || errors.Is(err, extcodec.ErrBudget) {
		c.Fail = err.Error()
		return c, nil, nil
	}
	if err != nil {
		return c, nil, fmt.Errorf("rd: %s on %s at level %s (%d bytes): %w", m.Name, im.Name, lv.Level, lv.Budget, err)
	}
	n, rec := cd.Bytes, cd.Rec
	if n > lv.Budget {
		return c, nil, fmt.Errorf("%w: %s on %s at level %s used %d bytes, budget %d", ErrOverBudget, m.Name, im.Name, lv.Level, n, lv.Budget)
	}
	if cd.Payload != nil && len(cd.Payload) != n {
		return c, nil, fmt.Errorf("rd: %s on %s at level %s: reports %d bytes but returned %d", m.Name, im.Name, lv.Level, n, len(cd.Payload))
	}
	if rec == nil {
		return c, nil, fmt.Errorf("rd: %s on %s at level %s returned no reconstruction", m.Name, im.Name, lv.Level)
	}
	psnr, err := eval.PSNRE(im.Img, rec)
	if err != nil {
		return c, nil, fmt.Errorf("rd: %s on %s: %w", m.Name, im.Name, err)
	}
	ssim, err := eval.SSIME(im.Img, rec)
	if err != nil {
		return c, nil, fmt.Errorf("rd: %s on %s: %w", m.Name, im.Name, err)
	}
	c.Bytes, c.PSNR, c.SSIM = n, math.Min(psnr, PSNRCap), ssim
	if cd.Payload != nil {
		c.stats = new(ByteStats)
		c.stats.Add(cd.Payload)
	}
	return c, cd.Payload, nil
}

func summarise(lv Level, m Method, cells []Cell, px int) Row {
	p := poolCells(cells)
	return summariseRow(lv, m, cells, p.Stats, p.Exposed, px)
}

// poolCells pools the byte statistics of the cells that fit.
func poolCells(cells []Cell) PooledStats {
	var p PooledStats
	for _, c := range cells {
		if c.Fail == "" && c.stats != nil {
			p.Stats.Merge(c.stats)
			p.Exposed = true
		}
	}
	return p
}

// summariseRow is one summary row from the row's cells and its pooled byte
// statistics st (exposed: some fitting encoding exposed its bytes).
func summariseRow(lv Level, m Method, cells []Cell, st ByteStats, exposed bool, px int) Row {
	r := Row{Level: lv.Level, Budget: lv.Budget, Codec: m.Name, Kind: m.Kind, Images: len(cells)}
	var ps, ss, bs []float64
	for _, c := range cells {
		if c.Fail != "" {
			r.Fails++
			continue
		}
		ps = append(ps, c.PSNR)
		ss = append(ss, c.SSIM)
		bs = append(bs, float64(c.Bytes))
	}
	r.MeanPSNR, r.MedianPSNR = mean(ps), median(ps)
	r.MeanSSIM, r.MedianSSIM = mean(ss), median(ss)
	r.MeanBytes = mean(bs)
	r.MeanBPP = r.MeanBytes * 8 / float64(px)
	r.StatSource = SourceNone
	switch {
	case len(ps) == 0:
		r.StatSource = SourceNoFit
	case exposed:
		r.StatSource = SourcePayload
		if m.Kind != "codec" {
			r.StatSource = SourceFile
		}
	}
	fillByteStats(&r, &st)
	return r
}

// mean sums in sorted order so the result does not depend on input order.
func mean(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	sort.Float64s(s)
	t := 0.0
	for _, x := range s {
		t += x
	}
	return t / float64(len(s))
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Lookup returns one method's summary row at one level and its cells in
// image order (the method's subset of the images); ok is false when the
// report has no such row.
func (r *Report) Lookup(codec, level string) (row Row, cells []Cell, ok bool) {
	for _, s := range r.Summary {
		if s.Codec == codec && s.Level == level {
			row, ok = s, true
		}
	}
	if !ok {
		return Row{}, nil, false
	}
	for _, c := range r.Cells {
		if c.Codec == codec && c.Level == level {
			cells = append(cells, c)
		}
	}
	return row, cells, true
}

// GrayImages names plain images by their index ("0", "1", ...) for Run.
func GrayImages(imgs []*image.Gray) []Image {
	out := make([]Image, len(imgs))
	for i, g := range imgs {
		out[i] = Image{Name: strconv.Itoa(i), Img: g}
	}
	return out
}
