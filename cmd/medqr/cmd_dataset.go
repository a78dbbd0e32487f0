package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"time"

	"github.com/medqr/medqr/data"
	"github.com/medqr/medqr/eval"
	"github.com/medqr/medqr/eval/shard"
	"github.com/medqr/medqr/store"
)

const datasetUsage = `Usage:
    medqr dataset index [--json] [-o MANIFEST.json [--force]] DIR|FILE.npz
    medqr dataset cache [--size N] [--cache-dir DIR] [--shard I/N] DIR|FILE.npz|MANIFEST.json

Index a dataset and cache its preprocessed images.

"index" lists every image with its content-hash split (80% train, 10% val,
10% test); "cache" stores the images preprocessed for training and
evaluation. Each subcommand has its own help: "medqr help dataset index".

Flags:
    -h, --help    this help

Examples:
    medqr dataset index data/samples/kermany_cxr_224
    medqr dataset cache --size 256 data/samples/kermany_cxr_224
`

const datasetIndexUsage = `Usage:
    medqr dataset index [--json] [-o MANIFEST.json [--force]] DIR|FILE.npz

List a dataset's images with their labels and content-hash split.

Lists every PNG, JPEG and DICOM file under DIR (labels from the first-level
class folders, e.g. NORMAL/ and PNEUMONIA/) or every image of a
MedMNIST-style .npz, with its SHA-256, size, label and split. The split is
decided by the file's content hash: 80% train, 10% val, 10% test, stable
when files are renamed, added or removed. It prints a summary (counts per
split and class, and the manifest hash).

Flags:
    --json              print the summary as JSON
    -o, --output FILE   write the full manifest to FILE
    --force             overwrite FILE if it exists

Examples:
    medqr dataset index data/samples/kermany_cxr_224
    medqr dataset index -o manifest.json data/samples/kermany_cxr_224
`

const datasetCacheUsage = `Usage:
    medqr dataset cache [--size N] [--cache-dir DIR] [--shard I/N] DIR|FILE.npz|MANIFEST.json

Cache a dataset's images, preprocessed, for training and evaluation.

Decodes every image, renders it to 8-bit gray (VOI window for DICOM),
resizes it to N x N (centre crop, Lanczos-3) and stores the arrays in a
versioned cache file that training reads instead of the images. An existing
valid cache is reused; a corrupt one is rebuilt. With --shard I/N it caches
only the images that shard I of N owns (chosen by content hash, see
docs/scale.md): the cache that "medqr eval --shard I/N" reads.

Flags:
    --size N            working size (default 256)
    --cache-dir DIR     cache folder (default $MEDQR_CACHE_DIR or ~/.cache/medqr)
    --shard I/N         only the images of shard I of N

Examples:
    medqr dataset cache --size 256 data/samples/kermany_cxr_224
    medqr dataset cache --shard 0/4 data/samples/kermany_cxr_224
`

func init() {
	register(&command{
		name:    "dataset",
		summary: "index a dataset (manifest, content-hash split) and cache it",
		usage:   datasetUsage,
		subs: []*command{
			{name: "index", usage: datasetIndexUsage, run: withFlags(oneArg("dataset index needs exactly one DIR or FILE.npz"), runDatasetIndex)},
			{name: "cache", usage: datasetCacheUsage, run: withFlags(oneArg("dataset cache needs exactly one DIR, FILE.npz or MANIFEST.json"), runDatasetCache)},
		},
	})
}

type datasetIndexOptions struct {
	json   bool
	output string
	force  bool
}

func (o *datasetIndexOptions) flags(fs *flag.FlagSet) {
	fs.BoolVar(&o.json, "json", false, "")
	aliasVar(fs, &o.output, "", "o", "output")
	fs.BoolVar(&o.force, "force", false, "")
}

type datasetCacheOptions struct {
	size     int
	cacheDir string
	shard    shard.Spec
}

func (o *datasetCacheOptions) flags(fs *flag.FlagSet) {
	fs.IntVar(&o.size, "size", data.DefaultSize, "")
	fs.StringVar(&o.cacheDir, "cache-dir", "", "")
	fs.Var(&o.shard, "shard", "")
}

// datasetSummary is the --json output of "dataset index".
type datasetSummary struct {
	Root         string                    `json:"root"`
	Kind         string                    `json:"kind"`
	Samples      int                       `json:"samples"`
	Classes      []string                  `json:"classes"`
	SplitRule    string                    `json:"split_rule"`
	Counts       map[string]map[string]int `json:"counts"` // split -> class -> n
	ManifestHash string                    `json:"manifest_hash"`
	Manifest     string                    `json:"manifest,omitempty"`
}

func runDatasetIndex(_ context.Context, e *env, o datasetIndexOptions, args []string) error {
	src := args[0]
	if o.output != "" && !o.force {
		if _, err := os.Lstat(o.output); err == nil {
			return withHint(fmt.Errorf("%s already exists", o.output), "pass --force to overwrite it, or choose another name")
		}
	}
	start := time.Now()
	m, err := data.Index(src)
	if err != nil {
		return withHint(err, "pass a folder of PNG/JPEG/DICOM images (class subfolders give labels) or a MedMNIST .npz")
	}
	e.log.WithField("samples", len(m.Samples)).WithField("elapsed", time.Since(start).Round(time.Millisecond)).Debug("indexed dataset")
	s := datasetSummary{
		Root: src, Kind: m.Kind, Samples: len(m.Samples), Classes: m.Classes,
		SplitRule: m.SplitRule, ManifestHash: m.Hash(), Counts: map[string]map[string]int{},
	}
	for split, byLabel := range m.Counts() {
		s.Counts[split] = map[string]int{}
		for l, n := range byLabel {
			name := "(unlabelled)"
			if l >= 0 {
				name = m.Classes[l]
			}
			s.Counts[split][name] = n
		}
	}
	if o.output != "" {
		var buf bytes.Buffer
		if err := m.WriteManifest(&buf); err != nil {
			return err
		}
		if err := store.WriteFileAtomic(o.output, buf.Bytes(), 0o644, true); err != nil {
			return fmt.Errorf("manifest: %w", err)
		}
		s.Manifest = o.output
	}
	if o.json {
		return e.printJSON(s)
	}
	fmt.Fprintf(e.stdout, "dataset:  %s (%s, %d images)\n", src, m.Kind, len(m.Samples))
	fmt.Fprintf(e.stdout, "classes:  %v\n", m.Classes)
	fmt.Fprintf(e.stdout, "split:    %s\n", m.SplitRule)
	names := append([]string(nil), m.Classes...)
	if hasUnlabelled(s.Counts) {
		names = append(names, "(unlabelled)")
	}
	fmt.Fprintf(e.stdout, "%-8s", "")
	for _, n := range names {
		fmt.Fprintf(e.stdout, " %12s", n)
	}
	fmt.Fprintf(e.stdout, " %8s\n", "total")
	for _, split := range []string{data.SplitTrain, data.SplitVal, data.SplitTest} {
		fmt.Fprintf(e.stdout, "%-8s", split)
		total := 0
		for _, n := range names {
			fmt.Fprintf(e.stdout, " %12d", s.Counts[split][n])
			total += s.Counts[split][n]
		}
		fmt.Fprintf(e.stdout, " %8d\n", total)
	}
	fmt.Fprintf(e.stdout, "manifest: sha256 %s\n", s.ManifestHash)
	if o.output != "" {
		fmt.Fprintf(e.stdout, "written:  %s\n", o.output)
	}
	return nil
}

func hasUnlabelled(c map[string]map[string]int) bool {
	for _, m := range c {
		if m["(unlabelled)"] > 0 {
			return true
		}
	}
	return false
}

func runDatasetCache(_ context.Context, e *env, o datasetCacheOptions, args []string) error {
	src := args[0]
	if o.size < 1 || o.size > 8192 {
		return usageError{fmt.Sprintf("--size %d out of range 1..8192", o.size)}
	}
	start := time.Now()
	m, err := data.Index(src)
	if err != nil {
		return withHint(err, "pass a folder of images, a MedMNIST .npz or a manifest written by \"medqr dataset index -o\"")
	}
	build := data.BuildCache
	if o.shard.Enabled() { // a shard's cache is built with bounded memory
		m = eval.ShardManifest(m, o.shard)
		build = data.BuildCacheStream
		e.log.Infof("dataset: shard %s holds %d images", o.shard, len(m.Samples))
	}
	path, err := build(m, o.size, o.cacheDir)
	if err != nil {
		return err
	}
	counts := map[string]int{}
	for _, s := range m.Samples {
		counts[s.Split]++
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintf(e.stdout, "cache:    %s\n", path)
	fmt.Fprintf(e.stdout, "images:   %d at %dx%d (", len(m.Samples), o.size, o.size)
	for i, k := range keys {
		if i > 0 {
			fmt.Fprint(e.stdout, ", ")
		}
		fmt.Fprint(e.stdout, k+" "+strconv.Itoa(counts[k]))
	}
	fmt.Fprintln(e.stdout, ")")
	e.log.WithField("elapsed", time.Since(start).Round(time.Millisecond)).Info("dataset cache ready")
	return nil
}
