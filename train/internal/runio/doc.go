// Package runio is the run-folder plumbing every trainer in train/ shares:
// loading an experiment config (defaults, then a JSON file with unknown
// fields refused, then key=value overrides, then validation), writing
// files atomically (JSON, CSV, raw bytes), checkpoints as gob with a
// SHA-256 trailer that is checked on reading, and training-curve plots.
//
// It holds no training logic: package train (the learned autoencoder),
// train/iwave and train/internal/cipherloop (the learned ciphers' loop)
// decide what goes into a run folder, runio only how it is written.
package runio
