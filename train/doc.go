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
// file (written through train/internal/runio, which train/iwave and the
// cipher trainers share). Adam, LR and CodeVersion serve those trainers
// too; CompareRD and Ablate score trained weights (eval/rd measures the
// codecs).
//
// Losses (weights in Config.Loss, table in docs/training.md): MSE and 1-SSIM
// for reconstruction, a log-magnitude rate proxy, a channel-decorrelation
// term for code statistics, and random latent erasures (Config.Erase) for
// code robustness.
//
// Speed: convolutions (with their bias and leaky ReLU), SSIM's Gaussian
// blur and the decorrelation loss are custom gorgonia ops
// (train/internal/nnops) over a blocked float32 GEMM
// (train/internal/sgemm) that splits work over GOMAXPROCS goroutines
// without changing any sum's order. TestTorchTwin checks the graph's loss
// against a PyTorch twin (train/torchref) over several Adam steps.
package train
