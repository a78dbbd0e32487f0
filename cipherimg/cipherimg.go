// Package cipherimg is medqr's RESEARCH-ONLY cipher-image scheme: it turns
// an 8- or 16-bit grayscale image into a noise-like image of the same size
// and depth, and back, bit for bit. It reproduces the construction the
// medqr paper describes (a reversible neural network with chaotic keys,
// permutation and diffusion) so that the eval and attacks packages can
// measure the paper's claims. The product path never uses it: medqr's
// confidentiality and integrity come from the AEAD container in package
// seal.
//
// Construction, per round (Options.Rounds, default 1):
//
//  1. Permutation: a uniform shuffle of the pixel positions driven by the
//     keystream: Fisher-Yates with Lemire's unbiased bounded integers, and
//     above 65,536 pixels one Rao-Sandelius round (256 piles, each
//     Fisher-Yates shuffled) to avoid a cache miss per swap.
//  2. Reversible network: Options.Layers additive coupling layers on a
//     checkerboard split. Layer l adds f_l(passive half) to the active half
//     modulo 2^depth; f_l is 3x3 conv (1->4 channels) -> ReLU -> shift ->
//     3x3 conv (4->1) -> shift in int32 arithmetic, so the inverse
//     recomputes f_l and subtracts it, exactly. The weights are drawn from
//     the keystream (key-derived, not trained): a trained network with
//     public weights is a public function and hides nothing, and training
//     them would buy no security that the keystream does not already give.
//  3. Diffusion: two chained passes over the pixels in raster order,
//     forward c[i] = p[i] + k1[i] + F(c[i-1], c[i-2]) and backward
//     d[i] = c[i] + k2[i] + F(d[i+1], d[i+2]) (mod 2^depth), with
//     F(a, b) = S[a + S[b]] and S a key-derived S-box. One changed
//     plaintext pixel changes every cipher pixel with probability about
//     1 - 2^-depth under the same key and nonce; decrypting a damaged pixel
//     damages only a few chain neighbours (see docs/cipherimg.md, "Damaged cipher images").
//
// Keys: the 256-bit seal.Key and a 16-byte nonce give one keystream per
// round and purpose (permutation, network weights, S-box, forward and
// backward diffusion): keystream.New derives its key through HKDF-SHA256
// with the nonce as salt and a versioned label
// ("medqr.org/cipherimg/v1/<purpose>/round-<r>"), and runs ChaCha20 or the
// chaotic generator on it.
//
// Security: whatever secrecy the scheme has comes from the keystream
// alone. The permutation, network and S-box are public functions keyed by
// keystream bytes; they add no security a cryptanalyst would credit. There
// is no authentication: the header (a PNG tEXt chunk) and the pixels can
// be changed without detection, and a fixed nonce (Options.Nonce) reuses
// the keystream, which is only acceptable for the differential
// (NPCR/UACI) tests it exists for.
//
// Schemes: the same container carries the published image ciphers medqr
// compares with (docs/baselines.md). Each is a Scheme declared with
// NewScheme, which registers it (the sub-packages, all imported by
// cipherimg/schemes), and is found by name (Lookup, Names: "cipherimg" first); EncryptWith
// encrypts with any of them, and Decrypt reads the scheme from the header.
// The header is version 2 (it names the scheme); version-1 headers, which
// predate it, are read as medqr's own scheme.
package cipherimg

//go:generate go run ./internal/genvectors -out testdata

import (
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"image"

	"github.com/medqr/medqr/keystream"
	"github.com/medqr/medqr/seal"
)

// Version is the header format version written into every new cipher
// image: version 2 names the scheme ("scheme=NAME"). Version 1 headers
// (LegacyVersion, written before the baselines existed) carry no scheme
// name and are medqr's own scheme; they keep decoding.
const (
	Version       = 2
	LegacyVersion = 1
)

const defaultKind = keystream.ChaCha20

// NonceSize is the length of the nonce in bytes.
const NonceSize = 16

// Limits and defaults.
const (
	MaxSide       = 4096 // largest width or height accepted
	DefaultRounds = 1
	MaxRounds     = 16
	DefaultLayers = 2
	MaxLayers     = 16
)

// Options selects the keystream and nonce, and switches parts of the scheme
// off or repeats it, so the attacks package can test weakened variants.
// The zero value is the full scheme with ChaCha20 and a fresh nonce.
type Options struct {
	// Keystream is keystream.ChaCha20 (also the zero value) or
	// keystream.Chaos.
	Keystream keystream.Kind
	// Nonce is nil for a fresh random nonce from crypto/rand (the default),
	// or exactly NonceSize bytes for the fixed-nonce mode of differential
	// tests. Reusing a nonce with the same key reuses every keystream.
	Nonce []byte
	// NoPermutation, NoNetwork and NoDiffusion switch a step off.
	NoPermutation, NoNetwork, NoDiffusion bool
	// Rounds repeats the three steps (0 means DefaultRounds).
	Rounds int
	// Layers is the number of coupling layers per round (0 means
	// DefaultLayers).
	Layers int
}

// Header describes a cipher image. It travels unauthenticated in the PNG.
// Scheme is "" in a version-1 header (medqr's own scheme). For the other
// schemes only Version, Scheme, Width, Height, Depth, Nonce and Aux are
// used; the remaining fields belong to medqr's own scheme and stay zero.
type Header struct {
	Version       int
	Scheme        string
	Keystream     keystream.Kind
	Nonce         []byte // NonceSize bytes
	Width, Height int
	Depth         int // 8 (*image.Gray) or 16 (*image.Gray16)
	Rounds        int
	Layers        int
	NoPermutation bool
	NoNetwork     bool
	NoDiffusion   bool
	Aux           []byte // plaintext-dependent data of schemes that need it
}

// SchemeName returns the header's scheme, "cipherimg" for version 1.
func (hd Header) SchemeName() string {
	if hd.Scheme == "" {
		return SchemeName
	}
	return hd.Scheme
}

// Cipher is a cipher image with its header. Image is an *image.Gray or
// *image.Gray16 with its origin at (0, 0).
type Cipher struct {
	Image  image.Image
	Header Header
}

// Errors. A cipher image or header that fails validation wraps ErrInvalid;
// an image that is not *image.Gray or *image.Gray16, or whose size is
// outside 1x1..MaxSide x MaxSide, wraps ErrUnsupported; bad Options wrap
// ErrOptions. The message says what is wrong.
var (
	ErrInvalid     = errors.New("cipherimg: invalid cipher image")
	ErrUnsupported = errors.New("cipherimg: unsupported image")
	ErrOptions     = errors.New("cipherimg: invalid options")
)

// Encrypt encrypts an *image.Gray or *image.Gray16 (1x1 up to
// MaxSide x MaxSide) under key. It never modifies img.
func Encrypt(img image.Image, key seal.Key, o Options) (*Cipher, error) {
	px, w, h, depth, err := pixels(img)
	if err != nil {
		return nil, err
	}
	hd := Header{
		Version:       Version,
		Scheme:        SchemeName,
		Keystream:     o.Keystream,
		Width:         w,
		Height:        h,
		Depth:         depth,
		Rounds:        o.Rounds,
		Layers:        o.Layers,
		NoPermutation: o.NoPermutation,
		NoNetwork:     o.NoNetwork,
		NoDiffusion:   o.NoDiffusion,
	}
	if hd.Keystream == 0 {
		hd.Keystream = defaultKind
	}
	if hd.Rounds == 0 {
		hd.Rounds = DefaultRounds
	}
	if hd.Layers == 0 {
		hd.Layers = DefaultLayers
	}
	switch {
	case o.Nonce != nil && len(o.Nonce) != NonceSize:
		return nil, fmt.Errorf("%w: nonce is %d bytes, want %d (or nil for a fresh one)", ErrOptions, len(o.Nonce), NonceSize)
	case hd.Rounds < 1 || hd.Rounds > MaxRounds:
		return nil, fmt.Errorf("%w: %d rounds, want 1..%d", ErrOptions, hd.Rounds, MaxRounds)
	case hd.Layers < 1 || hd.Layers > MaxLayers:
		return nil, fmt.Errorf("%w: %d layers, want 1..%d", ErrOptions, hd.Layers, MaxLayers)
	case validKind(hd.Keystream) != nil:
		return nil, fmt.Errorf("%w: unknown keystream kind %d", ErrOptions, hd.Keystream)
	}
	if o.Nonce == nil {
		hd.Nonce = make([]byte, NonceSize)
		if _, err := rand.Read(hd.Nonce); err != nil {
			return nil, fmt.Errorf("cipherimg: failed to draw a nonce: %w", err)
		}
	} else {
		hd.Nonce = append([]byte(nil), o.Nonce...)
	}
	if err := hd.validate(); err != nil {
		panic("cipherimg: header of a valid encryption fails validation: " + err.Error())
	}
	if err := encryptPixels(px, hd.params(), streams(key, hd)); err != nil {
		return nil, err
	}
	return &Cipher{Image: toImage(px, w, h, depth), Header: hd}, nil
}

// Decrypt inverts Encrypt and EncryptWith: it decrypts with the scheme the
// header names (medqr's own for a version-1 header). Without authentication it cannot tell a wrong
// key or a damaged image from a right one: it returns noise for a wrong
// key and a partly damaged image for damaged pixels (by design, so damage
// can be measured). It errors only when the header and image disagree.
func Decrypt(c *Cipher, key seal.Key) (image.Image, error) {
	if c == nil || c.Image == nil {
		return nil, fmt.Errorf("%w: no image", ErrInvalid)
	}
	if err := c.Header.validate(); err != nil {
		return nil, err
	}
	px, w, h, depth, err := pixels(c.Image)
	if err != nil {
		return nil, err
	}
	hd := c.Header
	if w != hd.Width || h != hd.Height {
		return nil, fmt.Errorf("%w: image is %dx%d but the header says %dx%d", ErrInvalid, w, h, hd.Width, hd.Height)
	}
	if depth != hd.Depth {
		return nil, fmt.Errorf("%w: image is %d-bit but the header says %d-bit", ErrInvalid, depth, hd.Depth)
	}
	if hd.SchemeName() != SchemeName {
		s, err := Lookup(hd.Scheme)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		k := Keying{Key: key, Nonce: hd.Nonce, Aux: hd.Aux}
		if err := s.Decrypt(k, px, w, h, depth); err != nil {
			return nil, fmt.Errorf("cipherimg: %s: %w", hd.Scheme, err)
		}
		return toImage(px, w, h, depth), nil
	}
	if err := decryptPixels(px, hd.params(), streams(key, hd)); err != nil {
		return nil, err
	}
	return toImage(px, w, h, depth), nil
}

func (hd Header) params() params {
	return params{
		w: hd.Width, h: hd.Height, depth: hd.Depth,
		rounds: hd.Rounds, layers: hd.Layers,
		perm: !hd.NoPermutation, net: !hd.NoNetwork, diff: !hd.NoDiffusion,
	}
}

// validate checks every field, so Decrypt and ReadPNG never act on a
// header they cannot honour.
func (hd Header) validate() error {
	switch {
	case hd.Version != Version && hd.Version != LegacyVersion:
		return fmt.Errorf("%w: format version %d, this build reads versions %d and %d", ErrInvalid, hd.Version, LegacyVersion, Version)
	case hd.Version == LegacyVersion && hd.Scheme != "":
		return fmt.Errorf("%w: a version-%d header names no scheme", ErrInvalid, LegacyVersion)
	case hd.Version == Version && hd.Scheme == "":
		return fmt.Errorf("%w: a version-%d header must name its scheme", ErrInvalid, Version)
	case hd.Width < 1 || hd.Height < 1 || hd.Width > MaxSide || hd.Height > MaxSide:
		return fmt.Errorf("%w: size %dx%d outside 1x1..%dx%d", ErrInvalid, hd.Width, hd.Height, MaxSide, MaxSide)
	}
	if hd.SchemeName() != SchemeName {
		return hd.validateOther()
	}
	switch {
	case len(hd.Aux) != 0:
		return fmt.Errorf("%w: %s carries no aux data", ErrInvalid, SchemeName)
	case len(hd.Nonce) != NonceSize:
		return fmt.Errorf("%w: nonce is %d bytes, want %d", ErrInvalid, len(hd.Nonce), NonceSize)
	case hd.Width < 1 || hd.Height < 1 || hd.Width > MaxSide || hd.Height > MaxSide:
		return fmt.Errorf("%w: size %dx%d outside 1x1..%dx%d", ErrInvalid, hd.Width, hd.Height, MaxSide, MaxSide)
	case hd.Depth != 8 && hd.Depth != 16:
		return fmt.Errorf("%w: bit depth %d, want 8 or 16", ErrInvalid, hd.Depth)
	case hd.Rounds < 1 || hd.Rounds > MaxRounds:
		return fmt.Errorf("%w: %d rounds, want 1..%d", ErrInvalid, hd.Rounds, MaxRounds)
	case hd.Layers < 1 || hd.Layers > MaxLayers:
		return fmt.Errorf("%w: %d layers, want 1..%d", ErrInvalid, hd.Layers, MaxLayers)
	}
	return validKind(hd.Keystream)
}

// streams binds the key schedule: keystream.New derives each stream's key
// and nonce with HKDF-SHA256(secret = key, salt = nonce, info = versioned
// keystream prefix + our label "medqr.org/cipherimg/v1/<purpose>/round-<r>").
func streams(key seal.Key, hd Header) streamFunc {
	return func(l string) (cipher.Stream, error) {
		s, err := keystream.New(hd.Keystream, key[:], hd.Nonce, l)
		if err != nil {
			return nil, fmt.Errorf("cipherimg: failed to start keystream: %w", err)
		}
		return s, nil
	}
}

// validKind reports whether k is a keystream this format knows.
func validKind(k keystream.Kind) error {
	if k != keystream.ChaCha20 && k != keystream.Chaos {
		return fmt.Errorf("%w: unknown keystream kind %d", ErrInvalid, k)
	}
	return nil
}

// pixels copies an *image.Gray or *image.Gray16 into a row-major buffer.
func pixels(img image.Image) (px []uint16, w, h, depth int, err error) {
	b := img.Bounds()
	w, h = b.Dx(), b.Dy()
	if w < 1 || h < 1 || w > MaxSide || h > MaxSide {
		return nil, 0, 0, 0, fmt.Errorf("%w: size %dx%d outside 1x1..%dx%d", ErrUnsupported, w, h, MaxSide, MaxSide)
	}
	px = make([]uint16, w*h)
	switch m := img.(type) {
	case *image.Gray:
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:w]
			for x, v := range row {
				px[y*w+x] = uint16(v)
			}
		}
		return px, w, h, 8, nil
	case *image.Gray16:
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:2*w]
			for x := 0; x < w; x++ {
				px[y*w+x] = uint16(row[2*x])<<8 | uint16(row[2*x+1])
			}
		}
		return px, w, h, 16, nil
	}
	return nil, 0, 0, 0, fmt.Errorf("%w: %T, want *image.Gray or *image.Gray16", ErrUnsupported, img)
}

func toImage(px []uint16, w, h, depth int) image.Image {
	r := image.Rect(0, 0, w, h)
	if depth == 8 {
		m := image.NewGray(r)
		for i, v := range px {
			m.Pix[i] = uint8(v)
		}
		return m
	}
	m := image.NewGray16(r)
	for i, v := range px {
		m.Pix[2*i] = uint8(v >> 8)
		m.Pix[2*i+1] = uint8(v)
	}
	return m
}

// PatternImage returns a deterministic w x h test image of the given depth
// (8 or 16): pixel (x, y) = (x*7 + y*13 + x*y) mod 2^depth. The large
// known-answer vectors use it as their plaintext.
func PatternImage(w, h, depth int) image.Image {
	px := make([]uint16, w*h)
	mask := uint32(1)<<depth - 1
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			px[y*w+x] = uint16(uint32(x*7+y*13+x*y) & mask)
		}
	}
	return toImage(px, w, h, depth)
}
