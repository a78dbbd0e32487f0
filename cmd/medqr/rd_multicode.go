package main

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/medqr/medqr/eval/rd"
)

// medqr rd --multicode SIZE:CODES,... FILE...: the rate-distortion table of
// lossy multi-code sets (encrypt --codes), through the same harness, methods
// and result cache as the single-code table.

// multicodeRunInfo is DIR/run.json of a multi-code run: what ran, with
// which code, how long (kept apart from the deterministic tables).
type multicodeRunInfo struct {
	Command     []string                     `json:"command"`
	CodeVersion string                       `json:"code_version"`
	Files       []string                     `json:"files"`
	Points      []rd.MultiPoint              `json:"points"`
	Levels      string                       `json:"levels"`
	Codecs      []string                     `json:"codecs"`
	Limit       map[string]int               `json:"limit,omitempty"`
	Workers     int                          `json:"workers"`
	GOMAXPROCS  int                          `json:"gomaxprocs"`
	Started     string                       `json:"started"`
	WallSeconds float64                      `json:"wall_seconds"`
	CodecSecs   map[string]map[string]string `json:"codec_seconds"` // point -> codec -> seconds summed over workers
}

// runRDMulticode runs cfg's methods on files at each point of list and
// writes rd.WriteMulti's files and run.json into out.
func runRDMulticode(ctx context.Context, e *env, cfg rd.Config, list, levels string, files []string, out string, args []string, progress bool) error {
	points, err := rd.ParseMultiPoints(list)
	if err != nil {
		return usageError{err.Error()}
	}
	if len(files) == 0 {
		return usageError{"rd --multicode needs the image files to code (PNG, JPEG or DICOM)"}
	}
	if _, err := rd.MultiLevels(1, levels); err != nil {
		return usageError{fmt.Sprintf("--multicode-levels %q: want letters of LMQH", levels)}
	}
	e.log.WithFields(logrus.Fields{
		"code_version": codeVersion(), "files": len(files), "points": list, "levels": levels, "workers": cfg.Workers,
	}).Info("rd: multi-code configuration")
	var bar func(rd.MultiPoint) func(int, int)
	if progress {
		bar = func(p rd.MultiPoint) func(int, int) { return rdProgress(e, "rd "+p.String()) }
	}
	start := time.Now()
	mr, err := rd.RunMulti(ctx, cfg, files, points, levels, bar)
	if err != nil {
		return withHint(err, "pass PNG, JPEG or DICOM files at least as large as the largest --multicode size")
	}
	wall := time.Since(start)
	if err := rd.WriteMulti(out, mr); err != nil {
		return err
	}
	ri := multicodeRunInfo{Command: append([]string{"medqr", "rd"}, args...), CodeVersion: codeVersion(), Files: files,
		Points: points, Levels: levels, Limit: cfg.Limit, Workers: cfg.Workers, GOMAXPROCS: runtime.GOMAXPROCS(0),
		Started: start.UTC().Format(time.RFC3339), WallSeconds: wall.Seconds(), CodecSecs: map[string]map[string]string{}}
	for _, t := range mr.Tables {
		ri.Codecs = t.Report.Codecs
		ri.CodecSecs[t.MultiPoint.String()] = codecSeconds(t.Report.Timing)
	}
	if err := writeRunJSON(out, ri); err != nil {
		return err
	}
	for _, r := range rd.MultiRows(mr) {
		fmt.Fprintf(e.stdout, "%4d px %2d codes %s %6d B  %d img  %s %6.2f dB %.4f  %s %6.2f dB %.4f  diff %+.2f dB (%+.2f..%+.2f) %+.4f\n",
			r.Size, r.Codes, r.Level, r.Budget, r.Images, r.Ref, r.RefPSNR, r.RefSSIM, r.Rival, r.RivalPSNR, r.RivalSSIM, r.DPSNR, r.DPSNRMin, r.DPSNRMax, r.DSSIM)
	}
	fmt.Fprintf(e.stdout, "wrote %s/{multicode.md,multicode.json,run.json} and %d folders of rd.json, rd.csv\n", out, len(mr.Tables))
	return nil
}
