// Package lstm reproduces, for RESEARCH ONLY, the LSTM keystream cipher of
// S. Zhou, Z. Zhao, X. Wang, "Novel chaotic colour image cryptosystem with
// deep learning", Chaos, Solitons & Fractals 161:112380 (2022): an LSTM
// trained on a chaotic signal turns a keyed chaotic sequence into the
// keystream that is XORed with the image. Gray images only (the paper's
// colour planes would each be one more run of the same keystream).
//
// Algorithm, as medqr implements it (scheme name "lstm"):
//
//  1. Key schedule. From the 256-bit key, HKDF-SHA256 with info
//     "medqr.org/baselines/lstm/v1/logistic" gives two 64-bit words mapped to
//     the logistic map's control parameter mu in [3.99, 4) and initial value
//     x0 in (0, 1).
//  2. Chaotic signal. x_{t+1} = mu x_t (1 - x_t); the first 200 values are
//     discarded.
//  3. Network. A one-layer LSTM (Hidden units, gate order input, forget,
//     cell, output) with a linear read-out y_t = wy . h_t + by, trained
//     (train/lstm) to predict x_{t+1} from x_1..x_t on logistic sequences
//     with training-only parameters. It runs over the key's sequence from a
//     zero state; the first 64 outputs are discarded.
//  4. Keystream. From each output y_t, u = floor(frac(256 |y_t|) 2^32),
//     bits 9 to 40 below the binary point of y_t; its four bytes, most
//     significant first, are the next four keystream bytes (the top eight
//     bits, which track the predicted x_{t+1}, are dropped).
//  5. Encryption. c_i = p_i XOR k_i in row-major order. Decryption is the
//     same operation.
//
// Where the published description is incomplete (we could read only the
// abstract; every item below is medqr's choice, not the paper's):
//   - the chaotic system (the logistic map here), its parameter ranges and
//     the warm-up lengths;
//   - the network size (Hidden = 8 by default) and its training (window,
//     batch, steps: experiments/lstm.json);
//   - how network outputs become bytes (step 4; low-order bits, as chaotic
//     ciphers commonly take them);
//   - no colour, no plaintext-dependent parameters and no nonce: one key
//     gives one keystream for every image, as in the paper.
//
// Consequence (attacks/breaks, keystream-reuse-kpa): the keystream depends on the
// key only, so one known plaintext-cipher pair of a size reveals it, and
// with it every other image of that size or smaller under the same key.
//
// Determinism: inference uses package internal/detnn (float64,
// no fused multiply-add, no package math transcendental), so every
// processor produces the same keystream; the known-answer vectors in
// testdata/vectors (TestShared/vectors) pin it.
package lstm

import (
	_ "embed"
	"fmt"
	"sync"

	"github.com/medqr/medqr/cipherimg/internal/trained"
	"github.com/medqr/medqr/internal/detnn"
)

// Name is the scheme's registry and header name.
const Name = "lstm"

// Hint names the command that regenerates the shipped weights.
const Hint = "regenerate with make train-lstm"

// Key-schedule constants.
const (
	MuMin        = 3.99
	MuMax        = 4.0
	ChaosWarmup  = 200
	NetWarmup    = 64
	BytesPerStep = 4
)

// Config is the network architecture stored in the weights file.
type Config struct {
	Hidden int `json:"hidden"`
}

// Validate checks the architecture.
func (c Config) Validate() error {
	if c.Hidden < 1 || c.Hidden > 64 {
		return fmt.Errorf("hidden units %d outside 1..64", c.Hidden)
	}
	return nil
}

// Specs lists the tensors: wx (1 x 4H) input weights, wh (H x 4H) recurrent
// weights, b (4H) biases, wy (H x 1) read-out, by (1). Column j of the
// 4H gate pre-activations is input gate (j < H), forget gate, cell
// candidate, output gate.
func (c Config) Specs() []detnn.Tensor {
	h := c.Hidden
	return []detnn.Tensor{
		{Name: "wx", Dims: []int{1, 4 * h}},
		{Name: "wh", Dims: []int{h, 4 * h}},
		{Name: "b", Dims: []int{4 * h}},
		{Name: "wy", Dims: []int{h, 1}},
		{Name: "by", Dims: []int{1}},
	}
}

// Model is a loaded network.
type Model struct {
	Cfg           Config
	wx, wh, b, wy []float64
	by            float64
	whT           []float64 // 4H x H, row j is column j of wh
}

// Decode parses a weights file.
func Decode(b []byte) (*Model, error) {
	var cfg Config
	ts, err := detnn.DecodeWeights(b, Name, Hint, &cfg)
	if err != nil {
		return nil, err
	}
	h := cfg.Hidden
	m := &Model{Cfg: cfg, wx: ts["wx"], wh: ts["wh"], b: ts["b"], wy: ts["wy"], by: ts["by"][0]}
	m.whT = make([]float64, 4*h*h)
	for k := 0; k < h; k++ {
		for j := 0; j < 4*h; j++ {
			m.whT[j*h+k] = m.wh[k*4*h+j]
		}
	}
	return m, nil
}

//go:embed weights/lstm.mlw
var shipped []byte

// Default returns the shipped network (weights/lstm.mlw, embedded),
// decoded once.
var Default = sync.OnceValues(func() (*Model, error) { return Decode(shipped) })

// State is the LSTM's hidden and cell state.
type State struct{ H, C []float64 }

// NewState returns the zero state.
func (m *Model) NewState() *State {
	return &State{H: make([]float64, m.Cfg.Hidden), C: make([]float64, m.Cfg.Hidden)}
}

// Step feeds x, updates s and returns the read-out y.
func (m *Model) Step(s *State, x float64, z []float64) float64 {
	h := m.Cfg.Hidden
	for j := 0; j < 4*h; j++ {
		z[j] = detnn.MulAdd(x, m.wx[j], m.b[j]) + detnn.Dot(s.H, m.whT[j*h:(j+1)*h])
	}
	for k := 0; k < h; k++ {
		i := detnn.Sigmoid(z[k])
		f := detnn.Sigmoid(z[h+k])
		g := detnn.Tanh(z[2*h+k])
		o := detnn.Sigmoid(z[3*h+k])
		s.C[k] = float64(f*s.C[k]) + float64(i*g)
		s.H[k] = float64(o * detnn.Tanh(s.C[k]))
	}
	return detnn.Dot(s.H, m.wy) + m.by
}

// Params are the key-derived parameters.
type Params struct{ Mu, X0 float64 }

// DeriveParams maps the key to the logistic map's parameters.
func DeriveParams(key []byte) (Params, error) {
	u, err := detnn.DeriveUint64s(key, Name, "logistic", 2)
	if err != nil {
		return Params{}, err
	}
	return Params{Mu: detnn.Range(u[0], MuMin, MuMax), X0: detnn.Unit(u[1])}, nil
}

// Keystream returns n keystream bytes for p.
func (m *Model) Keystream(p Params, n int) []byte {
	x := p.X0
	for i := 0; i < ChaosWarmup; i++ {
		x = detnn.Logistic(p.Mu, x)
	}
	s := m.NewState()
	z := make([]float64, 4*m.Cfg.Hidden)
	for i := 0; i < NetWarmup; i++ {
		x = detnn.Logistic(p.Mu, x)
		m.Step(s, x, z)
	}
	out := make([]byte, 0, n+BytesPerStep)
	for len(out) < n {
		x = detnn.Logistic(p.Mu, x)
		u := detnn.Frac32(float64(256 * m.Step(s, x, z)))
		out = append(out, byte(u>>24), byte(u>>16), byte(u>>8), byte(u))
	}
	return out[:n]
}

// The longest keystream computed for the last key is kept, so encrypting
// many images under one key (the scheme's use) runs the network once; a
// keystream's prefix does not depend on its length.
var cache = trained.KeyCache[[]byte]{Scheme: Name, Size: 1}

// stream returns the key's first w*h keystream bytes.
func stream(key []byte, w, h int) ([]byte, error) {
	m, err := Default()
	if err != nil {
		return nil, err
	}
	p, err := DeriveParams(key)
	if err != nil {
		return nil, err
	}
	return keystreamFor(key, m, p, w*h)
}

func keystreamFor(key []byte, m *Model, p Params, n int) ([]byte, error) {
	ks, err := cache.Get(key, func(ks []byte) bool { return len(ks) >= n }, func() ([]byte, error) { return m.Keystream(p, n), nil })
	if err != nil {
		return nil, err
	}
	return ks[:n], nil
}

// Scheme is the cipherimg.Scheme of this package (registered): its Encrypt
// and Decrypt both XOR px with the key's keystream.
var Scheme = trained.NewXORScheme(Name, "S. Zhou, Z. Zhao, X. Wang, Novel chaotic colour image cryptosystem with deep learning, Chaos Solitons Fractals 161:112380 (2022)",
	"LSTM trained on a logistic-map signal turns the keyed chaotic sequence into an XOR keystream (one key, no nonce)", stream)
