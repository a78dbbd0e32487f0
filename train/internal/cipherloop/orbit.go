package cipherloop

import (
	"math/rand/v2"

	"github.com/medqr/medqr/internal/detnn"
)

// LogisticOrbit draws one training sequence of the logistic-map trainers
// (sae, lstm): a map with mu uniform in [muMin, muMin+width) and x0 uniform
// in (0, 1), both from rng; it discards warmup values and returns the next
// n. No cipher key is involved. The trainers pass width as the constant
// expression MuMax-MuMin, which Go evaluates exactly (a float64
// subtraction at run time differs in the last bits and would change every
// sequence, so the shipped weights could not be retrained).
func LogisticOrbit(rng *rand.Rand, muMin, width float64, warmup, n int) []float64 {
	mu := muMin + rng.Float64()*width
	x := detnn.Unit(rng.Uint64())
	for range warmup {
		x = detnn.Logistic(mu, x)
	}
	out := make([]float64, n)
	for i := range out {
		x = detnn.Logistic(mu, x)
		out[i] = x
	}
	return out
}
