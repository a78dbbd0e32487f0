package train

import (
	"math"
	"math/rand/v2"
	"strings"

	"github.com/medqr/medqr/model"
)

// InitParams draws initial weights: He-normal kernels (fan-in, leaky ReLU
// gain), zero biases, and the second convolution of each coupling residual
// scaled by 0.1 so every reversible block starts close to the identity;
// the output layers (and the linear decoder path) are scaled by 0.1 too so the first reconstructions are
// close to mid-gray instead of large.
func InitParams(cfg model.Config, seed uint64) map[string][]float32 {
	rng := rand.New(rand.NewPCG(seed, 0x6d6f64656c))
	out := map[string][]float32{}
	slope := float64(cfg.Slope)
	for _, p := range cfg.Params() {
		n := 1
		for _, d := range p.Shape {
			n *= d
		}
		v := make([]float32, n)
		if len(p.Shape) == 4 {
			fanIn := float64(p.Shape[1] * p.Shape[2] * p.Shape[3])
			std := math.Sqrt(2 / ((1 + slope*slope) * fanIn))
			if strings.Contains(p.Name, "rev.") && (strings.HasSuffix(p.Name, "f2.w") || strings.HasSuffix(p.Name, "g2.w")) {
				std *= 0.1
			}
			if p.Name == "dec4.w" || p.Name == "decskip.w" { // start near the mean image
				std *= 0.1
			}
			for i := range v {
				v[i] = float32(rng.NormFloat64() * std)
			}
		}
		out[p.Name] = v
	}
	return out
}
