package eval

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/medqr/medqr/internal/jsonconfig"
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

// CheckBattery checks the settings every run of the statistics battery
// needs (eval's config and the baselines'): the significance level, the
// sensitivity and null trials, and the data.
func CheckBattery(alpha float64, plainTrials, keyTrials, localNullTrials int, d DataConfig) error {
	switch {
	case alpha <= 0 || alpha >= 0.5:
		return fmt.Errorf("alpha %g is not in (0, 0.5)", alpha)
	case plainTrials < 1 || keyTrials < 1:
		return fmt.Errorf("plaintext_trials and key_trials must be at least 1")
	case localNullTrials < 100:
		return fmt.Errorf("local_null_trials %d is below 100", localNullTrials)
	case d.Size < 16:
		return fmt.Errorf("data.size %d is below 16", d.Size)
	case d.Dir == "":
		return fmt.Errorf("data.dir is empty")
	}
	return nil
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	if err := CheckBattery(c.Alpha, c.PlaintextTrials, c.KeyTrials, c.LocalNullTrials, c.Data); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if len(c.Subjects) == 0 {
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
	if err := Override(&c, overrides...); err != nil {
		return c, err
	}
	return c, c.Validate()
}

// Override is the one override rule of the research configs (eval,
// attacks, baselines): each "key=value" is applied with jsonconfig.Set (a
// dotted JSON name; the value as JSON, or as written for a string field),
// and a list field also takes a comma-separated list of words
// ("subjects=aes-ecb,aes-256-gcm"). The result must Validate; *c is left
// unchanged on any error.
func Override[C interface{ Validate() error }](c *C, kvs ...string) error {
	n := *c
	for _, kv := range kvs {
		err := jsonconfig.Set(&n, kv)
		if k, v, ok := strings.Cut(kv, "="); err != nil && ok && !strings.HasPrefix(strings.TrimSpace(v), "[") {
			words := []string{}
			for _, w := range strings.Split(v, ",") {
				if w = strings.TrimSpace(w); w != "" {
					words = append(words, w)
				}
			}
			if b, jerr := json.Marshal(words); jerr == nil && jsonconfig.Set(&n, k+"="+string(b)) == nil {
				err = nil
			}
		}
		if err != nil {
			return fmt.Errorf("override: %w", err)
		}
	}
	if len(kvs) > 0 {
		if err := n.Validate(); err != nil {
			return err
		}
	}
	*c = n
	return nil
}
