// Package train trains medqr's learned codec (package model) with gorgonia.
//
// One Config (experiments/*.json plus -set overrides; unknown fields are
// errors) drives a run: images come from the data package's cached
// content-hash splits (train for the steps, val for validation; test is
// never read here), random crops and flips feed a gorgonia graph of the
// model's exact architecture (Net), Adam with warm-up + cosine learning
// rate and global-norm gradient clipping updates the weights, and every
// ValEvery steps the current weights are exported to pure-Go inference and
// scored through the real codec (quantisation, range coding, rate control)
// at each QR level's byte budget. The run folder receives the effective
// config (with seed and code version), logs, loss and validation curves
// (CSV, JSON, PNG), checkpoints for resuming, and the best model's weights
// file.
//
// Losses (weights in Config.Loss, table in README.md): MSE and 1-SSIM
// for reconstruction, a log-magnitude rate proxy, a channel-decorrelation
// term for code statistics, and random latent erasures (Config.Erase) for
// code robustness.
package train
