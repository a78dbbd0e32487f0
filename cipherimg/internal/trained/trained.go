// Package trained holds what the trained baseline schemes
// (cipherimg/deepkeygen, cipherimg/lstm, cipherimg/sae) share: how they
// declare and register their Scheme (NewScheme, NewXORScheme), their
// common SchemeInfo (8-bit, no nonce, shipped weights), the check of their
// input, the XOR with a keystream that depends on the key only (both
// encryption and decryption for deepkeygen and lstm), and the cache of
// what their network computed for the last keys.
package trained

import (
	"bytes"
	"fmt"
	"slices"
	"sync"

	"github.com/medqr/medqr/cipherimg"
	"github.com/medqr/medqr/internal/detnn"
)

// info describes a trained scheme: 8-bit images, no nonce (one key
// encrypts every image, as in the papers), trained weights.
func info(citation, summary string) cipherimg.SchemeInfo {
	return cipherimg.SchemeInfo{Citation: citation, Summary: summary, Depths: []int{8}, Trained: true}
}

// check refuses, with an error wrapping cipherimg.ErrUnsupported and
// naming the scheme, a depth other than 8, a size outside
// 1..MaxSide x 1..MaxSide or not matching len(px), and pixel values above
// 255.
func check(scheme string, px []uint16, w, h, depth int) error {
	if depth != 8 {
		return fmt.Errorf("%w: %s covers 8-bit images, not %d-bit", cipherimg.ErrUnsupported, scheme, depth)
	}
	if w < 1 || h < 1 || w > cipherimg.MaxSide || h > cipherimg.MaxSide || len(px) != w*h {
		return fmt.Errorf("%w: %s: %dx%d image with %d pixels", cipherimg.ErrUnsupported, scheme, w, h, len(px))
	}
	for _, v := range px {
		if v > 255 {
			return fmt.Errorf("%w: %s: pixel value %d above 255", cipherimg.ErrUnsupported, scheme, v)
		}
	}
	return nil
}

// NewScheme registers and returns the trained scheme called name,
// described by info(citation, summary), whose Encrypt and Decrypt refuse
// what check refuses and otherwise run encrypt and decrypt.
func NewScheme(name, citation, summary string, encrypt, decrypt cipherimg.Pass) cipherimg.Scheme {
	checkPixels := func(px []uint16, w, h, depth int) error { return check(name, px, w, h, depth) }
	return cipherimg.NewCheckedScheme(name, info(citation, summary), checkPixels, encrypt, decrypt)
}

// NewXORScheme is NewScheme for a scheme whose encryption and decryption
// both XOR px with the w*h keystream bytes, in row-major order, that
// stream returns for the key and the image size.
func NewXORScheme(name, citation, summary string, stream func(key []byte, w, h int) ([]byte, error)) cipherimg.Scheme {
	xor := func(k *cipherimg.Keying, px []uint16, w, h, _ int) error {
		ks, err := stream(k.Key[:], w, h)
		if err != nil {
			return err
		}
		for i := range px {
			px[i] ^= uint16(ks[i])
		}
		return nil
	}
	return NewScheme(name, citation, summary, xor, xor)
}

// KeyCache keeps what a scheme's network computed for its last Size keys,
// so that encrypting many images under one key (the schemes' use) runs the
// network once. Entries are indexed by a key-derived identifier (HKDF
// purpose "cache-id"), never by the key, and their values are only read.
// A KeyCache is safe for concurrent use.
type KeyCache[V any] struct {
	Scheme string
	Size   int

	mu   sync.Mutex
	ids  [][]byte // most recent first
	vals []V
}

// Get returns the value kept for key when fits accepts it; otherwise it
// returns compute's value (computed without holding the cache) and keeps
// it as the most recent entry, dropping the oldest beyond Size.
func (c *KeyCache[V]) Get(key []byte, fits func(V) bool, compute func() (V, error)) (V, error) {
	var zero V
	id, err := detnn.Derive(key, c.Scheme, "cache-id", 32)
	if err != nil {
		return zero, err
	}
	c.mu.Lock()
	if i := c.find(id); i >= 0 && fits(c.vals[i]) {
		v := c.vals[i]
		c.ids = append([][]byte{id}, slices.Delete(c.ids, i, i+1)...)
		c.vals = append([]V{v}, slices.Delete(c.vals, i, i+1)...)
		c.mu.Unlock()
		return v, nil
	}
	c.mu.Unlock()
	v, err := compute()
	if err != nil {
		return zero, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if i := c.find(id); i >= 0 {
		c.ids, c.vals = slices.Delete(c.ids, i, i+1), slices.Delete(c.vals, i, i+1)
	}
	ids, vals := append([][]byte{id}, c.ids...), append([]V{v}, c.vals...)
	n := min(len(ids), c.Size)
	clear(vals[n:]) // let a dropped value go
	c.ids, c.vals = ids[:n], vals[:n]
	return v, nil
}

func (c *KeyCache[V]) find(id []byte) int {
	return slices.IndexFunc(c.ids, func(x []byte) bool { return bytes.Equal(x, id) })
}
