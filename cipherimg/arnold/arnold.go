// Package arnold is the textbook permutation-only control of medqr's
// literature baselines, RESEARCH-ONLY: the Arnold cat map (V. I. Arnold and
// A. Avez, "Ergodic problems of classical mechanics", 1968), iterated on
// the pixel positions with key-derived parameters. Pixel values are not
// changed, so the histogram of the plain image survives and a chosen-
// plaintext attack with ceil(log_256(MN)) images recovers the permutation
// (Li et al., Signal Processing: Image Communication 23, 2008; Jolfaei et
// al., IEEE TIFS 11(2), 2016): see attacks/breaks.
//
// Algorithm, for a W x H image (1x1..4096x4096, 8 or 16 bits):
//
//  1. Parameters from the 256-bit key by HKDF-SHA256 (label
//     "medqr.org/baselines/arnold/v1/params"): p, q uniform in [1, 4095]
//     and the number of iterations n uniform in [5, 20].
//  2. One iteration moves pixel (x, y) to (x', y') with
//     x' = (x + p y) mod W, then y' = (y + q x') mod H.
//  3. Repeat n times. Decryption runs the inverse shears in reverse order.
//
// Choices where the textbook map is incomplete: the cat map
// (x, y) -> (x + p y, q x + (pq+1) y) mod N is defined on N x N images; its
// decomposition into the two shears above is the same map on squares and
// stays a bijection on any W x H rectangle, so that is what medqr uses. The
// parameter ranges are ours (papers typically fix p = q = 1 and choose n).
// There is no nonce: one key encrypts every image the same way.
package arnold

import (
	"github.com/medqr/medqr/cipherimg"
)

// Name is the scheme's registry name.
const Name = "arnold"

// Scheme is the Arnold cat-map permutation.
var Scheme = cipherimg.NewScheme(Name, cipherimg.SchemeInfo{
	Citation: "V. I. Arnold, A. Avez, Ergodic Problems of Classical Mechanics (1968); permutation-only textbook control",
	Summary:  "Arnold cat-map pixel permutation only (textbook control), one key for every image",
	Depths:   []int{8, 16},
}, encrypt, decrypt)

// Params are the cat map's parameters.
type Params struct {
	P, Q, N int
}

// DeriveParams returns the parameters of key.
func DeriveParams(k cipherimg.Keying) Params {
	r := cipherimg.DeriveParams(k.Key, nil, Name, "params")
	return Params{P: r.Int(1, 4095), Q: r.Int(1, 4095), N: r.Int(5, 20)}
}

func encrypt(k *cipherimg.Keying, px []uint16, w, h, _ int) error {
	pr := DeriveParams(*k)
	Forward(px, w, h, pr.P, pr.Q, pr.N)
	return nil
}

func decrypt(k *cipherimg.Keying, px []uint16, w, h, _ int) error {
	pr := DeriveParams(*k)
	Inverse(px, w, h, pr.P, pr.Q, pr.N)
	return nil
}

// Forward applies n iterations of the generalised cat map with parameters
// p, q >= 0 to the w x h row-major image px, in place.
func Forward(px []uint16, w, h, p, q, n int) {
	tmp := make([]uint16, len(px))
	pw, qh := p%w, q%h
	for range n {
		// x' = (x + p y) mod W: each row rotates left-to-right by p y.
		for y := 0; y < h; y++ {
			shift := pw * y % w
			row, out := px[y*w:(y+1)*w], tmp[y*w:(y+1)*w]
			copy(out[shift:], row[:w-shift])
			copy(out[:shift], row[w-shift:])
		}
		// y' = (y + q x') mod H: each column rotates by q x'.
		for x := 0; x < w; x++ {
			shift := qh * x % h
			for y := 0; y < h; y++ {
				y2 := y + shift
				if y2 >= h {
					y2 -= h
				}
				px[y2*w+x] = tmp[y*w+x]
			}
		}
	}
}

// Inverse undoes Forward with the same parameters. It is Forward's mirror
// image (the shears undone in reverse order), kept beside it line for line
// so that each step can be checked against the one it undoes.
func Inverse(px []uint16, w, h, p, q, n int) {
	tmp := make([]uint16, len(px))
	pw, qh := p%w, q%h
	for range n {
		for x := 0; x < w; x++ {
			shift := qh * x % h
			for y := 0; y < h; y++ {
				y2 := y + shift
				if y2 >= h {
					y2 -= h
				}
				tmp[y*w+x] = px[y2*w+x]
			}
		}
		for y := 0; y < h; y++ {
			shift := pw * y % w
			row, in := px[y*w:(y+1)*w], tmp[y*w:(y+1)*w]
			copy(row[:w-shift], in[shift:])
			copy(row[w-shift:], in[:shift])
		}
	}
}
