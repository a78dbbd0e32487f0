// Package baselines is the harness behind "make baselines": it runs every
// registered cipher-image scheme (cipherimg.Names(), so schemes added to
// the registry are picked up without changes here) through the statistics
// battery of package eval (NPCR/UACI for plaintext and key sensitivity
// against Wu's critical values, global and local entropy with simulated
// intervals, adjacent-pixel correlation with its band, chi-square, exact
// reconstruction), through noise, crop and JPEG damage of the cipher image
// (package attacks' damage models), a throughput measurement beside
// AES-256-GCM, and every attack registered for it in package
// attacks/breaks, and writes report.md, report.json, the eval battery's
// files and plots (stats/) and sample images.
//
// Everything is seeded by Config.Seed: keys, fixed nonces, damage, oracle
// nonces and attack randomness. report.json is identical between runs of
// the same config and code except the fields under "timing" (measured
// seconds and MB/s), which Normalize zeroes for comparison.
package baselines

import (
	"fmt"

	"github.com/medqr/medqr/attacks"
	"github.com/medqr/medqr/eval"
	"github.com/medqr/medqr/internal/jsonconfig"
)

// Config drives one run. DefaultConfig documents the defaults; a JSON file
// in experiments/ overrides some of them (unknown keys are errors).
type Config struct {
	// Seed derives every key, nonce and random choice of the run.
	Seed uint64 `json:"seed"`
	// Data selects the images (the held-out split, preprocessed to
	// Size x Size), as in package eval.
	Data eval.DataConfig `json:"data"`
	// Schemes to run, in report order; empty means every registered one.
	Schemes []string `json:"schemes"`
	// Alpha is the significance level of every test.
	Alpha float64 `json:"alpha"`
	// PlaintextTrials and KeyTrials are the NPCR/UACI trials per scheme.
	PlaintextTrials int `json:"plaintext_trials"`
	KeyTrials       int `json:"key_trials"`
	// LocalNullTrials is the number of simulated random images behind the
	// local-entropy critical values.
	LocalNullTrials int `json:"local_null_trials"`
	// Damage lists the damage applied to cipher images before decryption;
	// DamageImages is how many images each is applied to.
	Damage       []attacks.Damage `json:"damage"`
	DamageImages int              `json:"damage_images"`
	// ThroughputSide is the side of the square image whose encryption is
	// timed, ThroughputReps the number of timed repetitions (median kept).
	ThroughputSide int `json:"throughput_side"`
	ThroughputReps int `json:"throughput_reps"`
	// AttackMaxQueries bounds the random-image stage of attacks that have
	// one (the DNA attack); 0 keeps the attack's default.
	AttackMaxQueries int `json:"attack_max_queries"`
	// Plots turns the eval battery's PNG figures on.
	Plots bool `json:"plots"`
}

// DefaultConfig is the full run of "make baselines".
func DefaultConfig() Config {
	return Config{
		Seed:  20260113,
		Data:  eval.DataConfig{Dir: "data/samples/kermany_cxr_224", Split: "test", Size: 256, MaxImages: 20},
		Alpha: 0.05, PlaintextTrials: 40, KeyTrials: 20, LocalNullTrials: 2000,
		Damage: []attacks.Damage{
			{Kind: "salt-pepper", Strength: 0.001},
			{Kind: "salt-pepper", Strength: 0.01},
			{Kind: "block", Strength: 1.0 / 16, Position: "center"},
			{Kind: "jpeg", Strength: 95},
		},
		DamageImages:   4,
		ThroughputSide: 256, ThroughputReps: 5,
		Plots: true,
	}
}

// QuickConfig is the small setting "make test" runs: a few 32x32 images.
func QuickConfig() Config {
	c := DefaultConfig()
	c.Data.Size, c.Data.MaxImages = 32, 2
	c.PlaintextTrials, c.KeyTrials, c.LocalNullTrials = 4, 2, 100
	c.DamageImages = 1
	c.ThroughputSide, c.ThroughputReps = 32, 1
	c.Plots = false
	return c
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	if err := eval.CheckBattery(c.Alpha, c.PlaintextTrials, c.KeyTrials, c.LocalNullTrials, c.Data); err != nil {
		return fmt.Errorf("baselines: %w", err)
	}
	switch {
	case c.DamageImages < 0 || c.ThroughputSide < 1 || c.ThroughputReps < 1:
		return fmt.Errorf("baselines: damage_images, throughput_side and throughput_reps must be positive")
	case c.AttackMaxQueries < 0:
		return fmt.Errorf("baselines: attack_max_queries is negative")
	}
	return nil
}

// LoadConfig reads a JSON file over base; unknown keys are errors.
func LoadConfig(path string, base Config) (Config, error) {
	c := base
	if err := jsonconfig.ReadFile(path, &c); err != nil {
		return c, fmt.Errorf("baselines: %w", err)
	}
	return c, c.Validate()
}
