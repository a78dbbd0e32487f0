package attacks

import (
	"hash/fnv"
	"math/rand/v2"
)

// newRNG returns the deterministic generator of one part of the run: the same
// seed and label give the same stream whatever else the run does, so adding
// an attack never shifts the numbers of another.
func newRNG(seed uint64, label string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(label))
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}

// randBytes fills n bytes from rng (research keys and nonces of a seeded run;
// never used for a product key).
func randBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func randKey(rng *rand.Rand) [32]byte {
	var k [32]byte
	copy(k[:], randBytes(rng, 32))
	return k
}

// seededReader returns a ChaCha8 stream (math/rand/v2) keyed by 32 bytes
// drawn from rng. RESEARCH ONLY: the attack suite passes it to
// seal.WithRand so that the message ids of the containers it seals, and so
// their QR modules, follow from the run's seed and the report repeats. The
// product path never does this: its message ids come from crypto/rand.
func seededReader(rng *rand.Rand) *rand.ChaCha8 {
	var s [32]byte
	copy(s[:], randBytes(rng, 32))
	return rand.NewChaCha8(s)
}
