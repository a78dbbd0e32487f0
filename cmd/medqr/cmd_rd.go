package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/sirupsen/logrus"

	"github.com/medqr/medqr/eval/rd"
	"github.com/medqr/medqr/eval/shard"
)

func init() {
	register(&command{
		name:    "rd",
		summary: "rate-distortion of every lossy codec and the Debian baselines at the QR budgets",
		usage: `Usage:
    medqr rd [--quick] [-n N] [--codecs a,b,...] [--limit CODEC=N]... [-j N] [--data SRC] [--split test] [--shard I/N [--force]] -o DIR
    medqr rd --multicode SIZE:CODES,... [--multicode-levels L] [--codecs ...] [--limit ...] -o DIR FILE...

Measure every codec's rate-distortion at the QR budgets (research).

Codes the images of one split (default: the test split of the shipped
samples, preprocessed to 256x256) with each codec at the key-mode payload
budget of one QR version-40 symbol at levels L, M, Q and H, and scores the
reconstructions with PSNR and SSIM (package eval).

Codecs: every lossy codec registered in package codec, "gojpeg" (Go's
image/jpeg at full resolution, quality bisection only) and the Debian
tools libjpeg, webp, jpeg2000 and avif (install them with
scripts/deps.sh results). Default: all of them.

DIR receives rd.json (every number; identical across runs of the same
inputs), rd.csv (per image), rd_summary.csv, rd.md (tables), rd_psnr.png,
rd_ssim.png, and run.json (configuration, code version, timings).

Flags:
    -o DIR            output folder (required)
    --quick           2 images, the Go codecs only (a smoke test)
    -n N              only the first N images of the split (0: all)
    --codecs LIST     comma-separated codec names
    --limit CODEC=N   code only the first N images with CODEC (repeatable;
                      for slow tools, e.g. --limit avif=16)
    -j N              parallel workers (default GOMAXPROCS)
    --data SRC        dataset: folder, .npz or manifest (default
                      data/samples/kermany_cxr_224)
    --split NAME      train, val, test or all (default test)
    --cache DIR       reuse the external tools' results on the same image,
                      settings and budget from DIR (default: rd under the
                      data cache, $MEDQR_CACHE_DIR); "" disables it
    --no-progress     no progress bar
    --shard I/N       code only the images that shard I of N owns (chosen
                      by content hash; --data must be a dataset folder or
                      manifest), streamed from that shard's cache, into
                      DIR/rd-partial.json and DIR/shard.json; "medqr merge"
                      combines the N folders into the files above
    --force           with --shard: replace a shard's results already in DIR
    --multicode LIST  lossy multi-code sets (encrypt --codes): code the image
                      FILEs (PNG, JPEG, DICOM) at each SIZE into the payload
                      of CODES symbols; files smaller than SIZE are left out,
                      never upscaled. DIR receives multicode.md, .json, a
                      folder of rd.json and rd.csv per point, and run.json
    --multicode-levels LEVELS
                      levels of the multi-code table, letters of LMQH
                      (default L)

Examples:
    medqr rd --quick -o /tmp/rd
    medqr rd --codecs iwave,jpeg,avif --limit avif=16 -o results/codec
    medqr rd --quick --shard 0/2 -o shards/0 && medqr rd --quick --shard 1/2 -o shards/1
    medqr rd --multicode 256:1,512:4 --codecs iwave,avif -o results/codec/multicode chest.dcm
`,
		run: runRDReport,
	})
}

type rdOptions struct {
	quick, noProgress, force   bool
	n, workers                 int
	codecs, out, src, cacheDir string
	split, multicode, mcLvls   string
	limits                     stringList
	spec                       shard.Spec
}

func (o *rdOptions) flags(fs *flag.FlagSet) {
	fs.BoolVar(&o.quick, "quick", false, "")
	fs.IntVar(&o.n, "n", 0, "")
	fs.StringVar(&o.codecs, "codecs", "", "")
	fs.Var(&o.limits, "limit", "")
	fs.IntVar(&o.workers, "j", 0, "")
	fs.BoolVar(&o.noProgress, "no-progress", false, "")
	fs.StringVar(&o.cacheDir, "cache", rd.DefaultCache(), "")
	aliasVar(fs, &o.out, "", "o", "output")
	fs.StringVar(&o.src, "data", "data/samples/kermany_cxr_224", "")
	fs.StringVar(&o.split, "split", "test", "")
	fs.Var(&o.spec, "shard", "")
	fs.BoolVar(&o.force, "force", false, "")
	fs.StringVar(&o.multicode, "multicode", "", "")
	fs.StringVar(&o.mcLvls, "multicode-levels", "L", "")
}

type rdReportRunInfo struct {
	Command     []string          `json:"command"`
	CodeVersion string            `json:"code_version"`
	Data        string            `json:"data"`
	Split       string            `json:"split"`
	Images      int               `json:"images"`
	Codecs      []string          `json:"codecs"`
	Subset      map[string]int    `json:"subset"`
	Levels      []rd.Level        `json:"levels"`
	Workers     int               `json:"workers"`
	GOMAXPROCS  int               `json:"gomaxprocs"`
	Started     string            `json:"started"`
	WallSeconds float64           `json:"wall_seconds"`
	CodecSecs   map[string]string `json:"codec_seconds"` // summed over workers
}

func runRDReport(ctx context.Context, e *env, args []string) error {
	var o rdOptions
	rest, err := parseFlags(&o, args, anyArgs)
	if err != nil {
		return err
	}
	if len(rest) > 0 && o.multicode == "" {
		return usageError{fmt.Sprintf("rd takes no arguments, got %q", rest)}
	}
	if o.out == "" {
		return usageError{"rd needs -o DIR"}
	}
	if o.n < 0 || o.workers < 0 {
		return usageError{"-n and -j must not be negative"}
	}
	names := append(rd.GoCodecs(), rd.ExternalCodecs()...)
	if o.quick {
		names = rd.QuickCodecs()
		if o.n == 0 {
			o.n = rd.QuickImages
		}
	}
	if o.codecs != "" {
		names = strings.Split(o.codecs, ",")
	}
	limit := map[string]int{}
	for _, l := range o.limits {
		name, num, ok := strings.Cut(l, "=")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 {
			return usageError{fmt.Sprintf("--limit %q: want CODEC=N with N >= 1", l)}
		}
		limit[name] = v
	}
	methods, err := rd.Methods(names)
	if err != nil {
		return withHint(err, "run scripts/deps.sh results for the Debian tools, or pick --codecs")
	}
	for name := range limit {
		found := false
		for _, m := range methods {
			found = found || m.Name == name
		}
		if !found {
			return usageError{fmt.Sprintf("--limit names %q, which is not among the codecs run", name)}
		}
	}
	if o.workers == 0 {
		o.workers = runtime.GOMAXPROCS(0)
	}
	cfg := rd.Config{Data: o.src, Split: o.split, Levels: rd.KeyModeLevels(), Methods: methods, Limit: limit, Workers: o.workers, Cache: o.cacheDir}
	if !o.noProgress {
		cfg.Progress = rdProgress(e, "rd "+o.spec.String())
	}
	if o.multicode != "" && o.spec.Enabled() {
		return usageError{"--multicode and --shard cannot be used together"}
	} else if o.multicode != "" {
		return runRDMulticode(ctx, e, cfg, o.multicode, o.mcLvls, rest, o.out, args, !o.noProgress)
	}
	if o.spec.Enabled() {
		return runRDShard(ctx, e, cfg, o.n, o.spec, o.out, o.force)
	}
	imgs, err := rd.LoadImages(o.src, o.split, o.n)
	if err != nil {
		return err
	}
	e.log.WithFields(logrus.Fields{
		"code_version": codeVersion(), "data": o.src, "split": o.split, "images": len(imgs),
		"codecs": strings.Join(names, ","), "limit": limit, "workers": o.workers, "levels": cfg.Levels,
	}).Info("rd: configuration")
	start := time.Now()
	rep, err := rd.Run(ctx, cfg, imgs)
	if err != nil {
		return err
	}
	wall := time.Since(start)
	if err := rd.Write(o.out, rep); err != nil {
		return err
	}
	if err := writeRDRunInfo(o.out, rep, append([]string{"medqr", "rd"}, args...), codeVersion(), o.workers, start, wall); err != nil {
		return err
	}
	e.log.WithField("wall", wall.Round(time.Second).String()).Info("rd: done")
	printRDSummary(e, o.out, rep)
	return nil
}

// writeRDRunInfo writes out/run.json: what ran, with which code, how long.
func writeRDRunInfo(out string, rep *rd.Report, command []string, code string, workers int, start time.Time, wall time.Duration) error {
	ri := rdReportRunInfo{Command: command, CodeVersion: code, Data: rep.Data, Split: rep.Split,
		Images: len(rep.Images), Codecs: rep.Codecs, Subset: rep.Subset, Levels: rep.Levels, Workers: workers,
		GOMAXPROCS: runtime.GOMAXPROCS(0), Started: start.UTC().Format(time.RFC3339), WallSeconds: wall.Seconds(),
		CodecSecs: codecSeconds(rep.Timing)}
	return writeRunJSON(out, ri)
}

// codecSeconds is a report's time per codec in seconds, as run.json
// records it (one decimal).
func codecSeconds(timing map[string]time.Duration) map[string]string {
	secs := map[string]string{}
	for c, d := range timing {
		secs[c] = strconv.FormatFloat(d.Seconds(), 'f', 1, 64)
	}
	return secs
}

// writeRunJSON writes ri, indented, to out/run.json, atomically as rd.Write
// writes the report beside it.
func writeRunJSON(out string, ri any) error {
	b, err := json.MarshalIndent(ri, "", "  ")
	if err != nil {
		return err
	}
	return shard.WriteFileAtomic(filepath.Join(out, "run.json"), append(b, '\n'))
}

// printRDSummary prints one line per summary row and the files written.
func printRDSummary(e *env, out string, rep *rd.Report) {
	for _, r := range rep.Summary {
		fmt.Fprintf(e.stdout, "%s %5d B  %-9s %3d img  %5.0f B  PSNR %6.2f (median %6.2f)  SSIM %.4f (median %.4f)  fails %d\n",
			r.Level, r.Budget, r.Codec, r.Images, r.MeanBytes, r.MeanPSNR, r.MedianPSNR, r.MeanSSIM, r.MedianSSIM, r.Fails)
	}
	fmt.Fprintf(e.stdout, "wrote %s/{%s,run.json}\n", out, strings.Join(rd.Files, ","))
}

// rdProgress is a progress bar on stderr, made at the first report.
func rdProgress(e *env, desc string) func(done, total int) {
	var bar *progressbar.ProgressBar
	return func(done, total int) {
		if bar == nil {
			bar = progressbar.NewOptions(total,
				progressbar.OptionSetWriter(e.stderr),
				progressbar.OptionSetDescription(strings.TrimSpace(desc)),
				progressbar.OptionShowCount(),
				progressbar.OptionSetPredictTime(true),
				progressbar.OptionThrottle(500*time.Millisecond),
				progressbar.OptionOnCompletion(func() { fmt.Fprintln(e.stderr) }))
		}
		bar.Set(done)
	}
}
