package cipherloop

import (
	"context"
	"fmt"
	"path/filepath"

	G "gorgonia.org/gorgonia"

	"github.com/medqr/medqr/internal/detnn"
	"github.com/medqr/medqr/train/internal/nnops"
	"github.com/medqr/medqr/train/internal/runio"
)

// OneGroup is the Trainer of a gorgonia network whose parameters form one
// group and whose loss is one number (the sae and lstm trainers).
type OneGroup struct {
	Params []*G.Node // the network's parameter nodes, in weights-file order
	Loss   string    // the loss's column name in losses.csv
	// Pass runs step s's forward and backward passes (gradients left in
	// Params) and returns the loss.
	Pass func(s int) (float64, error)
	// Encode returns the current weights as the shipped weights file.
	Encode func() ([]byte, error)
}

// Groups returns the one group: Params' value slices.
func (o *OneGroup) Groups() [][][]float32 { return [][][]float32{nnops.Values(o.Params)} }

// LossNames returns the one loss name.
func (o *OneGroup) LossNames() []string { return []string{o.Loss} }

// Step runs Pass and collects Params' gradients.
func (o *OneGroup) Step(s int) ([]float64, [][][]float32, error) {
	loss, err := o.Pass(s)
	if err != nil {
		return nil, nil, err
	}
	g, err := nnops.Grads(o.Params)
	if err != nil {
		return nil, nil, err
	}
	return []float64{loss}, [][][]float32{g}, nil
}

// Export runs Encode.
func (o *OneGroup) Export() ([]byte, error) { return o.Encode() }

// WeightsFile encodes the current values of params as the weights file of
// scheme with architecture arch: params start with the tensors arch.Specs()
// lists, in that order (further parameters, such as sae's decoder, are not
// written).
func WeightsFile(scheme string, arch detnn.Arch, params []*G.Node) ([]byte, error) {
	vals := nnops.Values(params)
	ts := map[string][]float32{}
	for i, s := range arch.Specs() {
		ts[s.Name] = vals[i]
	}
	return detnn.EncodeWeights(scheme, arch, ts)
}

// Folder is the part of a trainer's config that places its run: the run
// folder Out/Name and the copy of the weights file at Export.
type Folder struct {
	Name   string `json:"name"`
	Out    string `json:"out"`
	Export string `json:"export"`
}

// SetName sets the run name (the run folder is Out/Name).
func (f *Folder) SetName(name string) { f.Name = name }

// Validate refuses a run name that is not a plain folder name and an
// empty Out; errors start with prefix.
func (f Folder) Validate(prefix string) error {
	if err := runio.CheckName(prefix, f.Name); err != nil {
		return err
	}
	if f.Out == "" {
		return fmt.Errorf("%s: out must be set", prefix)
	}
	return nil
}

// Start runs (or resumes) cfg's training with tr under the progress label
// "train-"+scheme, writing scheme+".mlw" in the run folder f.Out/f.Name.
func Start(ctx context.Context, scheme string, f Folder, cfg any, sched Schedule, tr Trainer, opt Options) (string, error) {
	r := Run{Name: "train-" + scheme, Dir: filepath.Join(f.Out, f.Name), Export: f.Export, File: scheme + ".mlw", Config: cfg, Sched: sched}
	return Execute(ctx, r, tr, opt)
}
