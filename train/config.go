package train

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/medqr/medqr/model"
	"github.com/medqr/medqr/train/internal/runio"
)

// Config is one training run. Every field is documented; a config file
// (experiments/*.json) may set any subset of them, unknown fields are
// errors, and -set key=value overrides (dotted keys for nested fields,
// e.g. -set loss.ssim=0) are applied after the file.
type Config struct {
	// Name labels the run; outputs go to Out/Name.
	Name string `json:"name"`
	// Seed drives initialisation, crops, noise and erasures.
	Seed uint64 `json:"seed"`
	// Data is the dataset source given to data.LoadSplit (folder, .npz or
	// manifest); training uses its "train" split, validation its "val"
	// split. The "test" split is never read by training.
	Data string `json:"data"`
	// Size is the side of the preprocessed images (data.Preprocess).
	Size int `json:"size"`
	// Crop is the side of the random training crops (multiple of 16).
	Crop int `json:"crop"`
	// Batch is the number of crops per step.
	Batch int `json:"batch"`
	// Schedule is the learning-rate schedule: steps, lr, lr_min, warmup.
	Schedule
	// Clip bounds the global L2 norm of the gradient (0: no clipping).
	Clip float64 `json:"clip"`
	// Loss holds the loss weights (see docs/training.md, "Losses", for the table).
	Loss LossWeights `json:"loss"`
	// Erase is the probability that a latent value is erased (set to 0)
	// during training: the code-robustness term.
	Erase float64 `json:"erase"`
	// ValEvery is the number of steps between validations (0: only at
	// the end); ValImages caps the validation images used.
	ValEvery  int `json:"val_every"`
	ValImages int `json:"val_images"`
	// CkptEvery is the number of steps between checkpoints.
	CkptEvery int `json:"ckpt_every"`
	// LogEvery is the number of steps between log lines and curve points.
	LogEvery int `json:"log_every"`
	// Out is the folder that receives run folders.
	Out string `json:"out"`
	// Export, when set, receives the best model's weights file.
	Export string `json:"export"`
	// Model is the network architecture.
	Model model.Config `json:"model"`
}

// Schedule is a run's optimiser steps and learning-rate schedule (LR): a
// linear warm-up over Warmup steps to LR, then a cosine decay to LRMin at
// Steps. Trainer configs embed it, so its fields are theirs in JSON.
type Schedule struct {
	// Steps is the total number of optimiser steps.
	Steps int `json:"steps"`
	// LR is the peak learning rate, reached after Warmup steps and decayed
	// with a cosine to LRMin at Steps.
	LR     float64 `json:"lr"`
	LRMin  float64 `json:"lr_min"`
	Warmup int     `json:"warmup"`
}

// At is the learning rate at step s (0-based).
func (c Schedule) At(s int) float64 { return LR(s, c.Warmup, c.Steps, c.LR, c.LRMin) }

// Validate reports a schedule that cannot run.
func (c Schedule) Validate() error {
	if c.Steps < 1 || !(c.LR > 0) || c.LRMin < 0 || c.LRMin > c.LR || c.Warmup < 0 {
		return fmt.Errorf("steps %d, lr %v, lr_min %v, warmup %d: need steps >= 1, 0 <= lr_min <= lr, lr > 0", c.Steps, c.LR, c.LRMin, c.Warmup)
	}
	return nil
}

// UnmarshalJSON for LossWeights keeps JSON names lowercase.
type lossJSON struct {
	MSE   float64 `json:"mse"`
	SSIM  float64 `json:"ssim"`
	Rate  float64 `json:"rate"`
	Decor float64 `json:"decor"`
}

func (w LossWeights) MarshalJSON() ([]byte, error) { return json.Marshal(lossJSON(w)) }

func (w *LossWeights) UnmarshalJSON(b []byte) error {
	var l lossJSON = lossJSON(*w)
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&l); err != nil {
		return err
	}
	*w = LossWeights(l)
	return nil
}

// DefaultConfig holds the defaults every config file starts from (the
// settings of the first shipped run; experiments/default.json holds those
// of the weights shipped now).
func DefaultConfig() Config {
	return Config{
		Name:      "default",
		Seed:      1,
		Data:      "data/samples/kermany_cxr_224",
		Size:      256,
		Crop:      64,
		Batch:     8,
		Schedule:  Schedule{Steps: 4500, LR: 5e-4, LRMin: 1e-5, Warmup: 200},
		Clip:      1,
		Loss:      LossWeights{MSE: 1, SSIM: 0.01, Rate: 0.002, Decor: 0.001},
		Erase:     0.01,
		ValEvery:  500,
		ValImages: 24,
		CkptEvery: 100,
		LogEvery:  10,
		Out:       "results/train",
		Export:    "",
		Model:     model.DefaultConfig(),
	}
}

// LoadConfig reads a config file over the defaults, then applies sets.
func LoadConfig(path string, sets []string) (Config, error) {
	return runio.LoadConfig("train", path, sets, DefaultConfig(), Config.Validate)
}

// Validate reports settings that cannot run.
func (c Config) Validate() error {
	if err := runio.CheckName("train", c.Name); err != nil {
		return err
	}
	switch {
	case c.Crop <= 0 || c.Crop%model.Downsampling != 0 || c.Crop > c.Size:
		return fmt.Errorf("train: crop %d must be a multiple of %d and at most size %d", c.Crop, model.Downsampling, c.Size)
	case c.Size <= 0 || c.Size%model.Downsampling != 0:
		return fmt.Errorf("train: size %d must be a positive multiple of %d", c.Size, model.Downsampling)
	case c.Batch <= 0:
		return fmt.Errorf("train: batch %d must be positive", c.Batch)
	case c.Clip < 0 || c.Erase < 0 || c.Erase >= 1:
		return fmt.Errorf("train: clip %v / erase %v out of range", c.Clip, c.Erase)
	case c.Loss.MSE < 0 || c.Loss.SSIM < 0 || c.Loss.Rate < 0 || c.Loss.Decor < 0:
		return fmt.Errorf("train: loss weights must be non-negative")
	case c.CkptEvery <= 0 || c.LogEvery <= 0 || c.ValEvery < 0 || c.ValImages < 0:
		return fmt.Errorf("train: ckpt_every, log_every must be positive, val_every, val_images non-negative")
	}
	if err := c.Schedule.Validate(); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return c.Model.Validate()
}

// Set applies one key=value override (dotted JSON names for nested fields;
// see jsonconfig.Set for how values are read).
func (c *Config) Set(kv string) error {
	return runio.Set("train", c, kv)
}
