package eval

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"runtime"
	"time"

	"github.com/medqr/medqr/data"
	"github.com/medqr/medqr/model/iwave"
)

// LoadImages returns the configured split of the dataset, preprocessed by
// package data to Size x Size (its cache in cacheDir, "" for the default),
// in the manifest's path order and capped at MaxImages. Image names are the
// dataset-relative paths.
func LoadImages(c DataConfig, cacheDir string) ([]Image, error) {
	a, err := data.LoadSplitArrays(c.Dir, c.Split, c.Size, cacheDir)
	if err != nil {
		return nil, fmt.Errorf("failed to load the %s split of %s: %w", c.Split, c.Dir, err)
	}
	n := len(a.Images)
	if c.MaxImages > 0 {
		n = min(n, c.MaxImages)
	}
	if n == 0 {
		return nil, fmt.Errorf("the %s split of %s is empty", c.Split, c.Dir)
	}
	out := make([]Image, n)
	for i := range out {
		out[i] = Image{Name: path.Clean(a.Paths[i]), Gray: a.Images[i]}
	}
	return out, nil
}

// QuickOverrides are the settings of "medqr eval --quick": a smoke run of
// every subject on a few images (well under 30 s on two cores).
var QuickOverrides = []string{
	"data.max_images=4",
	"plaintext_trials=8",
	"key_trials=4",
	"local_null_trials=400",
}

// RunInfo is the metadata of one run, kept apart from the numbers so that
// results.json stays identical between runs.
type RunInfo struct {
	CodeVersion string   `json:"code_version"`
	GoVersion   string   `json:"go_version"`
	Platform    string   `json:"platform"`
	GOMAXPROCS  int      `json:"gomaxprocs"`
	ConfigFile  string   `json:"config_file"`
	Overrides   []string `json:"overrides"`
	Config      Config   `json:"config"`
	Images      int      `json:"images"`
	// Inputs maps input files outside the config (the learned codec's
	// weights) to their SHA-256.
	Inputs map[string]string `json:"inputs,omitempty"`
	// Models names the trained weights of the codecs that the configured
	// subjects run, by codec name: "iwave" -> the 2-byte model id (hex) that
	// every iwave payload carries, a hash of both embedded weights files.
	// ProductCodec names the default codec that "product-sealed" runs.
	Models       map[string]string `json:"models,omitempty"`
	ProductCodec string            `json:"product_codec,omitempty"`
	// Started and Seconds are left out when zero (a run whose files must
	// repeat byte for byte, "medqr eval --no-timing").
	Started time.Time `json:"started,omitzero"`
	Seconds float64   `json:"seconds,omitzero"`
	Files   []string  `json:"files"`
}

// NewRunInfo fills the host fields and the codec models of the configured
// subjects.
func NewRunInfo(codeVersion, configFile string, overrides []string, cfg Config) RunInfo {
	ri := RunInfo{CodeVersion: codeVersion, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH,
		GOMAXPROCS: runtime.GOMAXPROCS(0), ConfigFile: configFile, Overrides: overrides, Config: cfg, Started: time.Now().UTC()}
	ri.Models = map[string]string{}
	for _, n := range cfg.Subjects {
		name := ""
		switch n {
		case "iwave-code":
			name = "iwave"
		case "product-sealed":
			if c, err := ProductCodec(); err == nil {
				name = c.Name()
				ri.ProductCodec = name
			}
		}
		if name == "iwave" {
			if c, err := iwave.DefaultE(); err == nil {
				id := c.ID()
				ri.Models[name] = hex.EncodeToString(id[:])
			}
		}
	}
	if len(ri.Models) == 0 {
		ri.Models = nil
	}
	return ri
}

// FileRunInfo is where WriteRunInfo writes.
const FileRunInfo = "run.json"

// WriteRunInfo writes dir/run.json.
func WriteRunInfo(dir string, ri RunInfo) error {
	b, err := json.MarshalIndent(ri, "", " ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(path.Join(dir, FileRunInfo), append(b, '\n'))
}
