package iwave

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

func randomFilter(t *testing.T, cfg FilterConfig) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(9, 9))
	m := map[string][]float32{}
	for _, n := range cfg.TensorNames() {
		v := make([]float32, prod(cfg.dims(n)))
		for i := range v {
			v[i] = float32(rng.NormFloat64() * 0.05)
		}
		m[n] = v
	}
	b, err := EncodeWeights(cfg, m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWeightsRoundTrip(t *testing.T) {
	cfg := FilterConfig{Channels: 5, Layers: 3, Leak: 0.2}
	b := randomFilter(t, cfg)
	pf, err := DecodeWeights(b)
	if err != nil {
		t.Fatal(err)
	}
	if pf.Config != cfg || len(pf.W) != 3 || len(pf.W[0]) != 5*InputPlanes*9 || len(pf.B[2]) != 1 {
		t.Fatalf("decoded %+v", pf.Config)
	}
	b2, err := EncodeWeights(cfg, map[string][]float32{"w0": pf.W[0], "b0": pf.B[0], "w1": pf.W[1], "b1": pf.B[1], "w2": pf.W[2], "b2": pf.B[2]})
	if err != nil || string(b2) != string(b) {
		t.Fatalf("re-encoding differs (err %v)", err)
	}
}

func TestWeightsErrors(t *testing.T) {
	b := randomFilter(t, FilterConfig{Channels: 3, Layers: 2, Leak: 0.1})
	mut := func(f func([]byte) []byte) []byte { return f(append([]byte(nil), b...)) }
	for name, bad := range map[string][]byte{
		"empty":     nil,
		"magic":     mut(func(x []byte) []byte { x[0] = 'X'; return x }),
		"checksum":  mut(func(x []byte) []byte { x[40] ^= 1; return x }),
		"truncated": b[:len(b)-40],
		"version": mut(func(x []byte) []byte {
			x[8] = 2
			return resum(x)
		}),
	} {
		_, err := DecodeWeights(bad)
		if !errors.Is(err, ErrWeights) || !strings.Contains(err.Error(), "make train-iwave") {
			t.Errorf("%s: err %v, want ErrWeights naming make train-iwave", name, err)
		}
	}
}

// TestShippedWeights: the embedded weights load, the default codec uses
// both the learned lifting steps and the post-filter, and its model id is
// the one derived from the two files.
func TestShippedWeights(t *testing.T) {
	c, err := DefaultE()
	if err != nil {
		t.Fatal(err)
	}
	if c.PostFilter() == nil || c.Lift() == nil {
		t.Fatal("default codec lacks the post-filter or the learned lifting steps")
	}
	lf, err := DecodeLift(shippedLift)
	if err != nil {
		t.Fatal(err)
	}
	pf, err := DecodeWeights(shippedWeights)
	if err != nil {
		t.Fatal(err)
	}
	if NewLifted(lf, pf).ID() != c.ID() || New(pf).ID() == c.ID() {
		t.Fatalf("model id %x does not identify both files", c.ID())
	}
}

// resum recomputes the trailing checksum so a test reaches the field check.
func resum(b []byte) []byte {
	body := b[:len(b)-32]
	s := sha256Sum(body)
	return append(body, s[:]...)
}
