package iwave

import (
	"math/rand/v2"
	"testing"

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
	for b.Loop() {
		if _, _, err := net.Run(append([]float32(nil), x...), append([]float32(nil), t...)); err != nil {
			b.Fatal(err)
		}
		if _, err := opt.step(net.Params, 1e-4); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "images/s")
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
	for b.Loop() {
		if _, err := ln.run(append([]float32(nil), x...), append([]float32(nil), t...)); err != nil {
			b.Fatal(err)
		}
		if _, err := opt.step(ln.params, 1e-4); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(lt.Batch*b.N)/b.Elapsed().Seconds(), "samples/s")
}
