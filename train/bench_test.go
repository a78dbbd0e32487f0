package train

import (
	"math/rand/v2"
	"testing"

	"github.com/medqr/medqr/model"
)

func benchTrain(b *testing.B, batch, size int) {
	cfg := model.DefaultConfig()
	n, err := NewNet(cfg, batch, size, LossWeights{MSE: 1, SSIM: 0.01, Rate: 0.002, Decor: 0.001}, InitParams(cfg, 1))
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
	for b.Loop() {
		if _, err := m.Run(n.NewBatchAux(rng, x, 1, 8, 0.01)); err != nil {
			b.Fatal(err)
		}
		g, err := m.Grads()
		if err != nil {
			b.Fatal(err)
		}
		opt.Update(m.ParamSlices(), g, 1e-4)
	}
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "images/s")
}

func BenchmarkTrainStepCrop128(b *testing.B) { benchTrain(b, 8, 128) }
func BenchmarkTrainStepCrop64(b *testing.B)  { benchTrain(b, 16, 64) }
func BenchmarkTrainStep256(b *testing.B)     { benchTrain(b, 2, 256) }
