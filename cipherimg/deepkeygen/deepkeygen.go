// Package deepkeygen reproduces, for RESEARCH ONLY, the key generator of Y.
// Ding, F. Tan, Z. Qin, M. Cao, K.-K. R. Choo, Z. Qin, "DeepKeyGen: a deep
// learning-based stream cipher generator for medical image encryption and
// decryption", IEEE TNNLS 33(9):4915-4929 (2022): a GAN generator turns an
// initial image into a key image, which is XORed with the plaintext.
//
// Algorithm, as medqr implements it (scheme name "deepkeygen"):
//
//  1. Initial image. The 256-bit key gives, through HKDF-SHA256 (info
//     "medqr.org/baselines/deepkeygen/v1/initial-image") and ChaCha20, a
//     KeySide x KeySide (256 x 256) image of uniform bytes b, scaled to
//     b/127.5 - 1.
//  2. Generator (Config.Layers): a 3x3 convolution to C channels; two
//     stride-2 3x3 convolutions down-sampling to 2C channels at a quarter
//     of the side; Blocks residual blocks (conv, ReLU, conv, plus the
//     input); two nearest-neighbour 2x up-samplings each followed by a 3x3
//     convolution and ReLU; a 3x3 convolution to one channel and tanh.
//     train/deepkeygen trains it adversarially (least-squares GAN) on the
//     chest X-ray training split.
//  3. Key image. Each output y in (-1, 1) becomes the byte
//     floor((y + 1) 127.5 + 0.5), as an image is saved.
//  4. Encryption. c(x, y) = p(x, y) XOR K(x mod 256, y mod 256): images
//     larger than the key image tile it, smaller ones use its top-left
//     corner. Decryption is the same operation.
//
// Where the published description is incomplete, or where medqr departs
// from it (every item is medqr's choice):
//   - scale: the paper trains its generator on full 256 x 256 images on a
//     GPU (we could not read its layer sizes; image-to-image GAN generators
//     of its kind have millions of parameters); medqr's has C = 8, 2
//     blocks, no normalisation, 3x3 kernels and 14.7 thousand parameters,
//     trained on 32 x 32 crops for about 3 minutes on 2 CPU cores
//     (experiments/deepkeygen.json);
//   - the initial image: the paper feeds images of the data sets; medqr
//     derives it from the key (uniform bytes), so the key determines the
//     key image, and trains on both X-ray crops and uniform-noise images
//     as generator inputs;
//   - the "transformation domain" (the style the discriminator compares
//     against): uniform random images here;
//   - tiling for images other than 256 x 256 (the paper encrypts at its
//     training size);
//   - no nonce: one key gives one key image for every image, as in the
//     paper ("one-time pad" only if the key is never reused).
//
// Consequence (attacks/breaks, keystream-reuse-kpa): the key image depends on the
// key only, so one known plaintext-cipher pair reveals it (within the
// pair's extent) and decrypts every other image under the same key.
//
// Determinism: inference uses package internal/detnn (float64, no fused
// multiply-add, no package math transcendental, fixed summation order);
// the known-answer vectors in testdata/vectors (TestShared/vectors) pin
// the key image.
package deepkeygen

import (
	_ "embed"
	"math"
	"sync"

	"github.com/medqr/medqr/cipherimg/internal/trained"
	"github.com/medqr/medqr/internal/detnn"
)

// Name is the scheme's registry and header name.
const Name = "deepkeygen"

// Hint names the command that regenerates the shipped weights.
const Hint = "regenerate with make train-deepkeygen"

// KeySide is the side of the key image.
const KeySide = 256

//go:embed weights/deepkeygen.mlw
var shipped []byte

// Default returns the shipped generator (weights/deepkeygen.mlw,
// embedded), decoded once.
var Default = sync.OnceValues(func() (*Model, error) { return Decode(shipped) })

// InitialImage returns the key's initial image (KeySide x KeySide bytes).
func InitialImage(key []byte) ([]byte, error) {
	b := make([]byte, KeySide*KeySide)
	if err := detnn.DeriveStream(key, Name, "initial-image", b); err != nil {
		return nil, err
	}
	return b, nil
}

// ToByte quantises a generator output to a key-image byte.
func ToByte(y float64) byte {
	v := math.Floor(float64((y+1)*127.5) + 0.5)
	switch {
	case v < 0:
		return 0
	case v > 255:
		return 255
	}
	return byte(v)
}

// KeyImage runs the generator on an initial image and returns the key
// image.
func (m *Model) KeyImage(initial []byte) []byte {
	x := make([]float64, len(initial))
	for i, b := range initial {
		x[i] = float64(b)/127.5 - 1
	}
	y := m.Forward(x, KeySide)
	k := make([]byte, len(y))
	for i, v := range y {
		k[i] = ToByte(v)
	}
	return k
}

// The key images of the last two keys are kept, so encrypting many images
// under one key (the scheme's use), or alternating two keys (a key
// sensitivity test), runs the generator once per key.
var cache = trained.KeyCache[[]byte]{Scheme: Name, Size: 2}

// KeyImageFor returns the key image of key.
func KeyImageFor(key []byte) ([]byte, error) {
	return cache.Get(key, func([]byte) bool { return true }, func() ([]byte, error) {
		m, err := Default()
		if err != nil {
			return nil, err
		}
		init, err := InitialImage(key)
		if err != nil {
			return nil, err
		}
		return m.KeyImage(init), nil
	})
}

// Scheme is the cipherimg.Scheme of this package (registered): its Encrypt
// and Decrypt both XOR px with the key image.
var Scheme = trained.NewXORScheme(Name, "Y. Ding et al., DeepKeyGen: a deep learning-based stream cipher generator for medical image encryption and decryption, IEEE TNNLS 33(9):4915-4929 (2022)",
	"GAN generator turns a keyed initial image into a 256x256 key image XORed (tiled) with the plaintext (one key, no nonce; reduced scale)", tiled)

// tiled returns the keystream of a w x h image: the key image, tiled from
// the top-left corner.
func tiled(key []byte, w, h int) ([]byte, error) {
	ki, err := KeyImageFor(key)
	if err != nil {
		return nil, err
	}
	ks := make([]byte, w*h)
	for y := 0; y < h; y++ {
		row := ki[(y%KeySide)*KeySide:]
		for x := 0; x < w; x++ {
			ks[y*w+x] = row[x%KeySide]
		}
	}
	return ks, nil
}
