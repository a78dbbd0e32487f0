// Package keyed builds an oracle.Oracle from a secret key. Only the code
// that owns the key (the CLI's "attacks break", the baselines harness, tests)
// imports it; the attacks receive the oracle.Oracle interface and cannot
// reach the key held in its unexported field.
package keyed

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"image"
	"io"
	"sync"

	"github.com/medqr/medqr/attacks/oracle"
	"github.com/medqr/medqr/cipherimg"
	"github.com/medqr/medqr/seal"
)

// Policy is the attack model an oracle grants.
type Policy struct {
	// Target is the cipher image under attack: its size, depth and nonce
	// shape the answers, and Decrypt refuses it.
	Target *cipherimg.Cipher
	// Decrypt grants a decryption oracle on other cipher images
	// (chosen-ciphertext model).
	Decrypt bool
	// Known are plaintexts for Known pairs; each is resampled (nearest
	// neighbour) to the target's size and depth.
	Known []image.Image
	// NonceReuse encrypts under the target's nonce (a user who fixes it);
	// otherwise every encryption draws a fresh nonce from Nonces.
	NonceReuse bool
	// Nonces supplies fresh nonces (nil: crypto/rand). The baselines
	// harness passes a seeded stream so its report is reproducible.
	Nonces io.Reader
}

type keyed struct {
	s   cipherimg.Scheme
	key seal.Key
	p   Policy

	mu     sync.Mutex
	counts oracle.Counts
	known  map[int]pair
}

type pair struct {
	plain image.Image
	c     *cipherimg.Cipher
}

// New returns an oracle for scheme s under key. The target must be a
// cipher image of s.
func New(s cipherimg.Scheme, key seal.Key, p Policy) (oracle.Oracle, error) {
	if p.Target == nil || p.Target.Image == nil {
		return nil, fmt.Errorf("oracle: no target cipher image")
	}
	if got := p.Target.Header.SchemeName(); got != s.Name() {
		return nil, fmt.Errorf("oracle: the target is a %s cipher image, not %s", got, s.Name())
	}
	if p.Nonces == nil {
		p.Nonces = rand.Reader
	}
	return &keyed{s: s, key: key, p: p, known: map[int]pair{}}, nil
}

func (o *keyed) Scheme() string    { return o.s.Name() }
func (o *keyed) NonceReused() bool { return o.p.NonceReuse }

func (o *keyed) Counts() oracle.Counts {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.counts
}

func (o *keyed) encrypt(img image.Image) (*cipherimg.Cipher, error) {
	var nonce []byte
	if n := o.nonceSize(); n > 0 {
		if o.p.NonceReuse {
			nonce = o.p.Target.Header.Nonce
		} else {
			nonce = make([]byte, n)
			o.mu.Lock()
			_, err := io.ReadFull(o.p.Nonces, nonce)
			o.mu.Unlock()
			if err != nil {
				return nil, fmt.Errorf("oracle: failed to draw a nonce: %w", err)
			}
		}
	}
	return cipherimg.EncryptWith(o.s, img, o.key, nonce)
}

func (o *keyed) nonceSize() int {
	if o.s.Name() == cipherimg.SchemeName {
		return cipherimg.NonceSize
	}
	return o.s.Info().NonceSize
}

func (o *keyed) Encrypt(img image.Image) (*cipherimg.Cipher, error) {
	o.mu.Lock()
	o.counts.Encryptions++
	o.mu.Unlock()
	return o.encrypt(img)
}

func (o *keyed) Decrypt(c *cipherimg.Cipher) (image.Image, error) {
	if !o.p.Decrypt {
		return nil, oracle.ErrNoDecryption
	}
	if same(c, o.p.Target) {
		return nil, oracle.ErrTarget
	}
	o.mu.Lock()
	o.counts.Decryptions++
	o.mu.Unlock()
	if c.Header.SchemeName() != o.s.Name() {
		return nil, fmt.Errorf("oracle: a %s cipher image sent to the %s oracle", c.Header.SchemeName(), o.s.Name())
	}
	return cipherimg.Decrypt(c, o.key)
}

func (o *keyed) Known(i int) (image.Image, *cipherimg.Cipher, error) {
	if i < 0 || i >= len(o.p.Known) {
		return nil, nil, oracle.ErrNoKnown
	}
	o.mu.Lock()
	if k, ok := o.known[i]; ok {
		o.mu.Unlock()
		return k.plain, k.c, nil
	}
	o.counts.Known++
	o.mu.Unlock()
	hd := o.p.Target.Header
	plain := resample(o.p.Known[i], hd.Width, hd.Height, hd.Depth)
	c, err := o.encrypt(plain)
	if err != nil {
		return nil, nil, err
	}
	o.mu.Lock()
	o.known[i] = pair{plain, c}
	o.mu.Unlock()
	return plain, c, nil
}

// same reports whether two cipher images carry the same content: the same
// pixels under the same header once the header is written in the current
// version (so a version-1 copy of the target is still the target).
func same(a, b *cipherimg.Cipher) bool {
	canon := func(h cipherimg.Header) cipherimg.Header {
		h.Scheme, h.Version = h.SchemeName(), cipherimg.Version
		return h
	}
	ta, err1 := canon(a.Header).MarshalText()
	tb, err2 := canon(b.Header).MarshalText()
	if err1 != nil || err2 != nil || !bytes.Equal(ta, tb) {
		return false
	}
	pa, _, _, _, err1 := cipherimg.Pixels(a.Image)
	pb, _, _, _, err2 := cipherimg.Pixels(b.Image)
	if err1 != nil || err2 != nil || len(pa) != len(pb) {
		return false
	}
	for i := range pa {
		if pa[i] != pb[i] {
			return false
		}
	}
	return true
}

// resample maps img to w x h at depth by nearest neighbour (8-bit values v
// become v*257 at 16 bits; 16-bit values v become v>>8 at 8 bits).
func resample(img image.Image, w, h, depth int) image.Image {
	b := img.Bounds()
	px := make([]uint16, w*h)
	for y := 0; y < h; y++ {
		sy := b.Min.Y + y*b.Dy()/h
		for x := 0; x < w; x++ {
			sx := b.Min.X + x*b.Dx()/w
			var v uint16
			switch m := img.(type) {
			case *image.Gray:
				v = uint16(m.GrayAt(sx, sy).Y) * 257
			case *image.Gray16:
				v = m.Gray16At(sx, sy).Y
			default:
				r, g, bb, _ := m.At(sx, sy).RGBA()
				v = uint16((19595*r + 38470*g + 7471*bb + 1<<15) >> 16)
			}
			if depth == 8 {
				v >>= 8
			}
			px[y*w+x] = v
		}
	}
	return cipherimg.ToImage(px, w, h, depth)
}
