package attacks

import (
	"fmt"
	"image"

	"github.com/medqr/medqr/cipherimg"
	"github.com/medqr/medqr/keystream"
	"github.com/medqr/medqr/seal"
)

// Research adapts the research cipher-image scheme (package cipherimg) to
// Scheme, with its switches to weaken it.
type Research struct {
	Keystream                             keystream.Kind
	NoPermutation, NoNetwork, NoDiffusion bool
}

func (r Research) Name() string {
	v := "full"
	switch {
	case r.NoNetwork && r.NoDiffusion && !r.NoPermutation:
		v = "permutation only"
	case r.NoDiffusion && !r.NoNetwork && !r.NoPermutation:
		v = "diffusion off"
	case r.NoNetwork && !r.NoDiffusion && !r.NoPermutation:
		v = "network off"
	case r.NoPermutation || r.NoNetwork || r.NoDiffusion:
		v = fmt.Sprintf("perm %v net %v diff %v", !r.NoPermutation, !r.NoNetwork, !r.NoDiffusion)
	}
	return fmt.Sprintf("cipherimg %s (%s)", v, r.Keystream)
}

func (Research) NonceSize() int { return cipherimg.NonceSize }

func (r Research) Encrypt(key [32]byte, nonce []byte, p *image.Gray) (*Ciphertext, error) {
	c, err := cipherimg.Encrypt(p, seal.Key(key), cipherimg.Options{
		Keystream: r.Keystream, Nonce: nonce,
		NoPermutation: r.NoPermutation, NoNetwork: r.NoNetwork, NoDiffusion: r.NoDiffusion,
	})
	if err != nil {
		return nil, err
	}
	g, ok := c.Image.(*image.Gray)
	if !ok {
		return nil, fmt.Errorf("attacks: cipherimg returned %T for an 8-bit image", c.Image)
	}
	return &Ciphertext{Image: g, header: c}, nil
}

func (r Research) Decrypt(key [32]byte, c *Ciphertext) (*image.Gray, error) {
	ci, ok := c.header.(*cipherimg.Cipher)
	if !ok {
		return nil, fmt.Errorf("attacks: ciphertext was not made by cipherimg")
	}
	cc := *ci
	cc.Image = c.Image
	d, err := cipherimg.Decrypt(&cc, seal.Key(key))
	if err != nil {
		return nil, err
	}
	return toGray(d), nil
}

// researchSchemes returns the full research scheme first, then its
// weakened variants: diffusion off (permutation + coupling network) and
// permutation only.
func researchSchemes(ks string) ([]Scheme, error) {
	kind, err := keystream.ParseKind(ks)
	if err != nil {
		return nil, fmt.Errorf("attacks: %w", err)
	}
	return []Scheme{
		Research{Keystream: kind},
		Research{Keystream: kind, NoDiffusion: true},
		Research{Keystream: kind, NoNetwork: true, NoDiffusion: true},
	}, nil
}
