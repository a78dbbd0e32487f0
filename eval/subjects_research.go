package eval

import (
	"fmt"
	"image"
	"io"

	"github.com/medqr/medqr/cipherimg"
	"github.com/medqr/medqr/keystream"
	"github.com/medqr/medqr/seal"
)

// The research cipher-image scheme (package cipherimg), research-only, with
// each keystream. The harness passes a fixed nonce per image (the first
// cipherimg.NonceSize bytes of its nonce), so both encryptions of a
// sensitivity trial share key and nonce as Wu et al. (2011) require.

func init() {
	registerSubject("cipherimg-chacha20", 20, func(SubjectEnv) (Subject, error) {
		return researchSubject("cipherimg-chacha20", keystream.ChaCha20), nil
	})
	registerSubject("cipherimg-chaos", 21, func(SubjectEnv) (Subject, error) {
		return researchSubject("cipherimg-chaos", keystream.Chaos), nil
	})
}

func researchSubject(name string, kind keystream.Kind) Subject {
	return Subject{
		Name: name, Group: "research", ImageShaped: true, Deterministic: true,
		Note: fmt.Sprintf("research scheme (permutation, coupling network, diffusion; %d round, %d layers) with the %s keystream, fixed nonce per image", cipherimg.DefaultRounds, cipherimg.DefaultLayers, kind),
		Encrypt: func(img *image.Gray, key Key, nonce []byte, _ io.Reader) (Output, error) {
			c, err := cipherimg.Encrypt(img, seal.Key(key), cipherimg.Options{Keystream: kind, Nonce: nonce[:cipherimg.NonceSize]})
			if err != nil {
				return Output{}, err
			}
			g, ok := c.Image.(*image.Gray)
			if !ok {
				return Output{}, fmt.Errorf("%s: cipher image is %T, want *image.Gray", name, c.Image)
			}
			pix, w, h := gray8(g)
			return Output{Samples: pix, W: w, H: h, Blob: c}, nil
		},
		Decrypt: func(out Output, key Key) (image.Image, error) {
			return cipherimg.Decrypt(out.Blob.(*cipherimg.Cipher), seal.Key(key))
		},
	}
}
