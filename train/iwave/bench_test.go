package iwave

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/medqr/medqr/internal/cputime"

	"github.com/medqr/medqr/model/iwave"
)

// benchFilter measures one post-filter training step (forward, backward,
// Adam) on batch crops of size x size.
func benchFilter(b *testing.B, batch, size int) {
	cfg := DefaultConfig()
	net, err := NewNet(cfg.Filter, batch, size, InitTensors(cfg.Filter, 1), true)
	if err != nil {
		b.Fatal(err)
	}
	opt := newAdam(net.Params, 1)
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, batch*iwave.InputPlanes*size*size)
	t := make([]float32, batch*size*size)
	for i := range x {
		x[i] = float32(rng.Float64() - 0.5)
	}
	cpu := cputime.Now()
	for b.Loop() {
		if _, _, err := net.Run(append([]float32(nil), x...), append([]float32(nil), t...)); err != nil {
			b.Fatal(err)
		}
		if _, err := opt.step(net.Params, 1e-4); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "images/s")
	reportCPU(b, cpu, batch, "images/cpu-s")
}

// reportCPU adds the throughput per second of process CPU time since
// start (all goroutines), which a loaded machine does not distort.
func reportCPU(b *testing.B, start time.Duration, perOp int, unit string) {
	if d := cputime.Now() - start; d > 0 {
		b.ReportMetric(float64(perOp*b.N)/d.Seconds(), unit)
	}
}

// Post-filter training throughput at the config's crop size and batch, and
// on whole 256x256 images.
func BenchmarkFilterStepCrop32(b *testing.B) { benchFilter(b, 8, 32) }
func BenchmarkFilterStep256(b *testing.B)    { benchFilter(b, 1, 256) }

// BenchmarkLiftStep measures one training step of a learned predict
// network at the shipped config's batch and width; samples/s counts
// high-pass coefficients (about 87,000 per 256x256 image over the three
// networks and five levels).
func BenchmarkLiftStep(b *testing.B) {
	lt := DefaultConfig().Lift
	lt.Hidden = 32 // the shipped width (experiments/iwave.json)
	ln, err := newLiftNet(lt, lt.Batch, liftInit(lt, 1))
	if err != nil {
		b.Fatal(err)
	}
	opt := newAdam(ln.params, 1)
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, lt.Batch*iwave.LiftFeatures)
	t := make([]float32, lt.Batch)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	cpu := cputime.Now()
	for b.Loop() {
		if _, err := ln.run(append([]float32(nil), x...), append([]float32(nil), t...)); err != nil {
			b.Fatal(err)
		}
		if _, err := opt.step(ln.params, 1e-4); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(lt.Batch*b.N)/b.Elapsed().Seconds(), "samples/s")
	reportCPU(b, cpu, lt.Batch, "samples/cpu-s")
}
