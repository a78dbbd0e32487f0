// Package sae reproduces, for RESEARCH ONLY, the image cipher of S. R.
// Maniyath, V. Thanikaiselvan, "An efficient image encryption using deep
// neural network and chaotic map", Microprocessors and Microsystems
// 77:103134 (2020): a stacked autoencoder (SAE) turns a keyed chaotic
// sequence into the random sequence that drives a pixel permutation and a
// diffusion.
//
// Algorithm, as medqr implements it (scheme name "sae"), for a w x h 8-bit
// image of N = w h pixels in row-major order:
//
//  1. Key schedule. HKDF-SHA256 of the 256-bit key with info
//     "medqr.org/baselines/sae/v1/<purpose>" gives, for purpose "perm" and
//     "diffusion", a logistic-map parameter mu in [3.99, 4) and initial value
//     x0 in (0, 1), and for purpose "iv" one byte c_{-1}.
//  2. Chaotic sequences. Each (mu, x0) iterates x_{t+1} = mu x_t (1 - x_t),
//     discarding the first 200 values.
//  3. Network. The SAE's encoder (Input -> Hidden[0] -> ... sigmoid layers,
//     trained by train/sae to reconstruct windows of logistic values
//     through the mirrored decoder) maps each non-overlapping window of
//     Input chaotic values to a code of Hidden[last] values in (0, 1). Each
//     code value z gives one random word r = floor(frac(z) 2^32).
//  4. Permutation. The perm sequence's first N words r_0..r_{N-1} sort the
//     positions (ties by position): pi lists positions in increasing order
//     of r, and q_i = p_{pi(i)}.
//  5. Diffusion. The diffusion sequence's first N words give bytes
//     k_i = (r_i >> 12) & 0xff, and c_i = (q_i + k_i + c_{i-1}) mod 256.
//
// Decryption undoes 5 (q_i = c_i - k_i - c_{i-1} mod 256) then 4.
//
// Where the published description is incomplete (we could read only the
// abstract; every item below is medqr's choice):
//   - the chaotic map (logistic), its ranges and warm-up;
//   - the SAE's shape (16 -> 12 -> 8 by default), its training (end to end,
//     not layer-wise pre-training; experiments/sae.json) and how its
//     outputs become integers (step 3);
//   - permutation by sorting and one forward additive diffusion pass with
//     chaining (the common Fridrich-style construction);
//   - no plaintext-dependent parameters and no nonce: one key gives one
//     permutation and one diffusion keystream per image size.
//
// Consequence (attacks/breaks): the permutation and the keystream depend
// on the key and size only: diffusion-strip-cpa recovers an equivalent
// key from 1 + ceil(log_256 N) chosen plaintexts and then decrypts every
// other image of that size; perm-diffusion-kpa does the same from about
// 1 + 2 log_256 N known pairs of uniform-looking images (known natural
// images leave the positions they agree on ambiguous).
//
// Determinism: inference uses package internal/detnn (float64, no fused
// multiply-add, no package math transcendental); the known-answer vectors
// in testdata/vectors (TestShared/vectors) pin it.
package sae

import (
	_ "embed"
	"fmt"
	"sync"

	"github.com/medqr/medqr/cipherimg"
	"github.com/medqr/medqr/cipherimg/internal/trained"
	"github.com/medqr/medqr/internal/detnn"
)

// Name is the scheme's registry and header name.
const Name = "sae"

// Hint names the command that regenerates the shipped weights.
const Hint = "regenerate with make train-sae"

// Key-schedule constants.
const (
	MuMin       = 3.99
	MuMax       = 4.0
	ChaosWarmup = 200
)

// Config is the SAE architecture stored in the weights file (the encoder;
// the decoder mirrors it and is used only in training).
type Config struct {
	Input  int   `json:"input"`
	Hidden []int `json:"hidden"`
}

// Validate checks the architecture.
func (c Config) Validate() error {
	if c.Input < 1 || c.Input > 256 || len(c.Hidden) < 1 || len(c.Hidden) > 8 {
		return fmt.Errorf("input %d (1..256) or %d hidden layers (1..8) out of range", c.Input, len(c.Hidden))
	}
	for _, h := range c.Hidden {
		if h < 1 || h > 256 {
			return fmt.Errorf("hidden layer of %d units outside 1..256", h)
		}
	}
	return nil
}

// Widths returns the encoder's layer widths, input first.
func (c Config) Widths() []int { return append([]int{c.Input}, c.Hidden...) }

// Specs lists the encoder tensors: for layer l, wl (in x out) and bl (out).
func (c Config) Specs() []detnn.Tensor {
	var s []detnn.Tensor
	w := c.Widths()
	for l := 0; l+1 < len(w); l++ {
		s = append(s, detnn.Tensor{Name: fmt.Sprintf("w%d", l), Dims: []int{w[l], w[l+1]}},
			detnn.Tensor{Name: fmt.Sprintf("b%d", l), Dims: []int{w[l+1]}})
	}
	return s
}

// Model is a loaded encoder.
type Model struct {
	Cfg Config
	wT  [][]float64 // per layer, out x in (row j holds unit j's weights)
	b   [][]float64
}

// Decode parses a weights file.
func Decode(b []byte) (*Model, error) {
	var cfg Config
	ts, err := detnn.DecodeWeights(b, Name, Hint, &cfg)
	if err != nil {
		return nil, err
	}
	m := &Model{Cfg: cfg}
	w := cfg.Widths()
	for l := 0; l+1 < len(w); l++ {
		in, out := w[l], w[l+1]
		wl := ts[fmt.Sprintf("w%d", l)]
		t := make([]float64, in*out)
		for i := 0; i < in; i++ {
			for j := 0; j < out; j++ {
				t[j*in+i] = wl[i*out+j]
			}
		}
		m.wT = append(m.wT, t)
		m.b = append(m.b, ts[fmt.Sprintf("b%d", l)])
	}
	return m, nil
}

//go:embed weights/sae.mlw
var shipped []byte

// Default returns the shipped network (weights/sae.mlw, embedded),
// decoded once.
var Default = sync.OnceValues(func() (*Model, error) { return Decode(shipped) })

// Encode maps one window of Input values to its code (Hidden[last] values).
func (m *Model) Encode(x []float64) []float64 {
	w := m.Cfg.Widths()
	for l := 0; l+1 < len(w); l++ {
		in, out := w[l], w[l+1]
		y := make([]float64, out)
		for j := 0; j < out; j++ {
			y[j] = detnn.Sigmoid(detnn.Dot(x, m.wT[l][j*in:(j+1)*in]) + m.b[l][j])
		}
		x = y
	}
	return x
}

// Logistic are a logistic map's key-derived parameters.
type Logistic struct{ Mu, X0 float64 }

// Params are all key-derived parameters.
type Params struct {
	Perm, Diffusion Logistic
	IV              byte
}

// DeriveParams maps the key to the scheme's parameters.
func DeriveParams(key []byte) (Params, error) {
	var p Params
	for _, t := range []struct {
		purpose string
		dst     *Logistic
	}{{"perm", &p.Perm}, {"diffusion", &p.Diffusion}} {
		u, err := detnn.DeriveUint64s(key, Name, t.purpose, 2)
		if err != nil {
			return p, err
		}
		*t.dst = Logistic{Mu: detnn.Range(u[0], MuMin, MuMax), X0: detnn.Unit(u[1])}
	}
	iv, err := detnn.Derive(key, Name, "iv", 1)
	if err != nil {
		return p, err
	}
	p.IV = iv[0]
	return p, nil
}

// Words returns n random words: the SAE's codes of successive windows of
// the logistic sequence l, each code value z giving floor(frac(z) 2^32).
func (m *Model) Words(l Logistic, n int) []uint32 {
	x := l.X0
	for i := 0; i < ChaosWarmup; i++ {
		x = detnn.Logistic(l.Mu, x)
	}
	win := make([]float64, m.Cfg.Input)
	out := make([]uint32, 0, n+m.Cfg.Hidden[len(m.Cfg.Hidden)-1])
	for len(out) < n {
		for i := range win {
			x = detnn.Logistic(l.Mu, x)
			win[i] = x
		}
		for _, z := range m.Encode(win) {
			out = append(out, detnn.Frac32(z))
		}
	}
	return out[:n]
}

// Permutation returns pi for n pixels: positions sorted by their words,
// ties by position.
func (m *Model) Permutation(p Params, n int) []int32 {
	return cipherimg.SortOrder(m.Words(p.Perm, n))
}

// DiffusionBytes returns the n diffusion keystream bytes.
func (m *Model) DiffusionBytes(p Params, n int) []byte {
	r := m.Words(p.Diffusion, n)
	k := make([]byte, n)
	for i, v := range r {
		k[i] = byte(v >> 12)
	}
	return k
}

// Scheme is the cipherimg.Scheme of this package (registered).
var Scheme = trained.NewScheme(Name, "S. R. Maniyath, V. Thanikaiselvan, An efficient image encryption using deep neural network and chaotic map, Microprocess. Microsyst. 77:103134 (2020)",
	"stacked autoencoder turns keyed logistic-map sequences into a sort permutation and a chained additive diffusion (one key, no nonce)", encrypt, decrypt)

// setup returns the permutation, diffusion bytes and IV of the key for
// n pixels.
func setup(k *cipherimg.Keying, n int) ([]int32, []byte, byte, error) {
	m, err := Default()
	if err != nil {
		return nil, nil, 0, err
	}
	p, err := DeriveParams(k.Key[:])
	if err != nil {
		return nil, nil, 0, err
	}
	c, err := cache.Get(k.Key[:], func(c sizeCache) bool { return len(c.pi) == n }, func() (sizeCache, error) {
		return sizeCache{m.Permutation(p, n), m.DiffusionBytes(p, n)}, nil
	})
	if err != nil {
		return nil, nil, 0, err
	}
	return c.pi, c.ks, p.IV, nil
}

// The permutation and diffusion bytes of the last key and size are kept,
// so encrypting many images of one size under one key (the scheme's use)
// runs the network once.
var cache = trained.KeyCache[sizeCache]{Scheme: Name, Size: 1}

// sizeCache is what the cache keeps for a key and an image size.
type sizeCache struct {
	pi []int32
	ks []byte
}

// encrypt permutes then diffuses px in place.
func encrypt(k *cipherimg.Keying, px []uint16, _, _, _ int) error {
	pi, ks, iv, err := setup(k, len(px))
	if err != nil {
		return err
	}
	q := make([]uint16, len(px))
	for i, j := range pi {
		q[i] = px[j]
	}
	prev := uint16(iv)
	for i := range px {
		prev = (q[i] + uint16(ks[i]) + prev) & 0xff
		px[i] = prev
	}
	return nil
}

// decrypt undoes the diffusion then the permutation in place.
func decrypt(k *cipherimg.Keying, px []uint16, _, _, _ int) error {
	pi, ks, iv, err := setup(k, len(px))
	if err != nil {
		return err
	}
	q := make([]uint16, len(px))
	prev := uint16(iv)
	for i, c := range px {
		q[i] = (c - uint16(ks[i]) - prev) & 0xff
		prev = c
	}
	for i, j := range pi {
		px[j] = q[i]
	}
	return nil
}
