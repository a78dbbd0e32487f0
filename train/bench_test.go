package train

import (
	"math/rand/v2"
	"testing"

	"github.com/medqr/medqr/internal/cputime"
)

func benchTrain(b *testing.B, batch, size int) {
	tc := DefaultConfig()
	cfg := tc.Model
	n, err := NewNet(cfg, batch, size, tc.Loss, InitParams(cfg, 1))
	if err != nil {
		b.Fatal(err)
	}
	m := NewMachine(n)
	defer m.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, batch*size*size)
	for i := range x {
		x[i] = float32(rng.Float64() - 0.5)
	}
	opt := NewAdam(sizesOf(m.ParamSlices()), 1)
	b.ResetTimer()
	cpu := cputime.Now()
	for b.Loop() {
		if _, err := m.Run(n.NewBatchAux(rng, x, cfg.GainMin, cfg.GainMax, tc.Erase)); err != nil {
			b.Fatal(err)
		}
		g, err := m.Grads()
		if err != nil {
			b.Fatal(err)
		}
		opt.Update(m.ParamSlices(), g, 1e-4)
	}
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "images/s")
	if d := cputime.Now() - cpu; d > 0 {
		// throughput per second of process CPU time (all goroutines):
		// what a loaded machine does not distort
		b.ReportMetric(float64(batch*b.N)/d.Seconds(), "images/cpu-s")
	}
}

// Training throughput (forward, backward and Adam step) at the default
// crop size and batch, and on whole 256x256 images.
func BenchmarkTrainStepCrop64(b *testing.B) { benchTrain(b, 8, 64) }
func BenchmarkTrainStep256(b *testing.B)    { benchTrain(b, 2, 256) }
