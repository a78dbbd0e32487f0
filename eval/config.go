package eval

import (
	"encoding/json"
	"fmt"
	"github.com/medqr/medqr/internal/jsonconfig"
	"strconv"
	"strings"
)

// Config drives one evaluation run. Every field has a documented default
// (DefaultConfig); a JSON file in experiments/ overrides some of them and
// key=value pairs override the file. Unknown keys are errors.
type Config struct {
	// Seed derives every key, nonce, pixel choice and simulation of the run.
	Seed uint64 `json:"seed"`
	// Data selects the images: the held-out split of a dataset folder.
	Data DataConfig `json:"data"`
	// Alpha is the significance level of every test (0.05).
	Alpha float64 `json:"alpha"`
	// Subjects names what to evaluate, in report order (see SubjectNames).
	Subjects []string `json:"subjects"`
	// PlaintextTrials is the number of one-pixel plaintext-sensitivity
	// trials per subject, spread round-robin over the images.
	PlaintextTrials int `json:"plaintext_trials"`
	// KeyTrials is the number of one-bit key-sensitivity trials per subject.
	KeyTrials int `json:"key_trials"`
	// LocalNullTrials is the number of simulated random images behind the
	// local-entropy critical values and p-values.
	LocalNullTrials int `json:"local_null_trials"`
	// QRLevel is the error-correction level whose capacity sizes the
	// product path's sealed payload ("L", "M", "Q" or "H").
	QRLevel string `json:"qr_level"`
	// Plots turns the PNG figures on.
	Plots bool `json:"plots"`
}

// DataConfig says where the evaluation images come from.
type DataConfig struct {
	// Dir is a dataset folder with class subfolders, relative to the
	// repository root.
	Dir string `json:"dir"`
	// Split is the split to evaluate on ("test").
	Split string `json:"split"`
	// Size is the working size: images are preprocessed to Size x Size.
	Size int `json:"size"`
	// MaxImages caps the number of images (0: all of the split).
	MaxImages int `json:"max_images"`
}

// DefaultConfig returns the configuration of the full evaluation.
func DefaultConfig() Config {
	return Config{
		Seed: 20260101,
		Data: DataConfig{
			Dir:   "data/samples/kermany_cxr_224",
			Split: "test",
			Size:  256,
		},
		Alpha:           0.05,
		Subjects:        SubjectNames(),
		PlaintextTrials: 100,
		KeyTrials:       50,
		LocalNullTrials: 10000,
		QRLevel:         "L",
		Plots:           true,
	}
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	switch {
	case c.Alpha <= 0 || c.Alpha >= 0.5:
		return fmt.Errorf("config: alpha %g is not in (0, 0.5)", c.Alpha)
	case c.PlaintextTrials < 1 || c.KeyTrials < 1:
		return fmt.Errorf("config: plaintext_trials and key_trials must be at least 1")
	case c.LocalNullTrials < 100:
		return fmt.Errorf("config: local_null_trials %d is below 100", c.LocalNullTrials)
	case c.Data.Size < 16:
		return fmt.Errorf("config: data.size %d is below 16", c.Data.Size)
	case c.Data.Dir == "":
		return fmt.Errorf("config: data.dir is empty")
	case len(c.Subjects) == 0:
		return fmt.Errorf("config: no subjects")
	}
	switch c.QRLevel {
	case "L", "M", "Q", "H":
	default:
		return fmt.Errorf("config: qr_level %q is not L, M, Q or H", c.QRLevel)
	}
	known := map[string]bool{}
	for _, n := range SubjectNames() {
		known[n] = true
	}
	seen := map[string]bool{}
	for _, s := range c.Subjects {
		if !known[s] {
			return fmt.Errorf("config: unknown subject %q (known: %s)", s, strings.Join(SubjectNames(), ", "))
		}
		if seen[s] {
			return fmt.Errorf("config: subject %q listed twice", s)
		}
		seen[s] = true
	}
	return nil
}

// LoadConfig reads a JSON config over the defaults, then applies key=value
// overrides (dotted keys for nested fields: data.max_images=20). Unknown
// keys, in the file or the overrides, are errors.
func LoadConfig(path string, overrides []string) (Config, error) {
	c := DefaultConfig()
	if path != "" {
		if err := jsonconfig.ReadFile(path, &c); err != nil {
			return c, err
		}
	}
	if len(overrides) > 0 {
		var err error
		if c, err = applyOverrides(c, overrides); err != nil {
			return c, err
		}
	}
	return c, c.Validate()
}

func applyOverrides(c Config, overrides []string) (Config, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return c, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return c, err
	}
	for _, o := range overrides {
		k, v, ok := strings.Cut(o, "=")
		if !ok || k == "" {
			return c, fmt.Errorf("override %q: want key=value", o)
		}
		parts := strings.Split(k, ".")
		node := m
		for _, p := range parts[:len(parts)-1] {
			sub, ok := node[p].(map[string]any)
			if !ok {
				return c, fmt.Errorf("override %q: unknown key %q", o, p)
			}
			node = sub
		}
		last := parts[len(parts)-1]
		old, ok := node[last]
		if !ok {
			return c, fmt.Errorf("override %q: unknown key %q", o, last)
		}
		switch old.(type) {
		case float64:
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return c, fmt.Errorf("override %q: %s is not a number", o, v)
			}
			node[last] = f
		case bool:
			bv, err := strconv.ParseBool(v)
			if err != nil {
				return c, fmt.Errorf("override %q: %s is not true or false", o, v)
			}
			node[last] = bv
		case []any:
			var list []any
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(s); s != "" {
					list = append(list, s)
				}
			}
			node[last] = list
		default:
			node[last] = v
		}
	}
	b, err = json.Marshal(m)
	if err != nil {
		return c, err
	}
	var out Config
	if err := jsonconfig.DecodeStrict(b, &out); err != nil {
		return c, fmt.Errorf("overrides: %w", err)
	}
	return out, nil
}
