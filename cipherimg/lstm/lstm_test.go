package lstm

import (
	"bytes"
	"errors"
	"testing"

	"github.com/medqr/medqr/cipherimg/internal/learnedtest"
	"github.com/medqr/medqr/internal/detnn"
)

func TestShared(t *testing.T) {
	learnedtest.Suite(t, Scheme, learnedtest.Sizes)
}

// TestRoundTripMax covers the largest size the issue names, 2048x2048: a
// million network steps, several seconds on a loaded machine, so it runs
// with MEDQR_LONG_TESTS=1 (make learnedciphers-long).
func TestRoundTripMax(t *testing.T) {
	learnedtest.RoundTripLong(t, Scheme, learnedtest.LongSizes)
}

// TestKeystream: the keystream depends on the key, its prefix does not
// depend on the length asked for, and its bytes are not degenerate.
func TestKeystream(t *testing.T) {
	m := learnedtest.Model(t, Default)
	k := learnedtest.TestKey()
	p1, _ := DeriveParams(k[:])
	k[0] ^= 1
	p2, _ := DeriveParams(k[:])
	a, b := m.Keystream(p1, 65536), m.Keystream(p2, 65536)
	if bytes.Equal(a[:64], b[:64]) {
		t.Error("keys one bit apart give the same keystream")
	}
	if !bytes.Equal(m.Keystream(p1, 1001), a[:1001]) {
		t.Error("keystream prefix depends on the length")
	}
	learnedtest.CheckUniform(t, "keystream", a)
}

func TestWeightsRefused(t *testing.T) {
	learnedtest.WeightsRefused(t, shipped, len(shipped)/2, Decode)
	bad, err := detnn.EncodeWeights("sae", Config{Hidden: 1}, map[string][]float32{"wx": make([]float32, 4), "wh": make([]float32, 4), "b": make([]float32, 4), "wy": {0}, "by": {0}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(bad); !errors.Is(err, detnn.ErrWeights) {
		t.Errorf("weights of another scheme: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	learnedtest.FuzzDecode(f, shipped, Decode, func(t *testing.T, m *Model) {
		m.Step(m.NewState(), 0.5, make([]float64, 4*m.Cfg.Hidden))
	})
}
