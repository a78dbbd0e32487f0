package cipherimg

import (
	"cmp"
	"crypto/rand"
	"errors"
	"fmt"
	"image"
	"slices"
	"sort"
	"sync"

	"github.com/medqr/medqr/seal"
)

// Scheme is one RESEARCH-ONLY image cipher behind the cipher-image
// container: medqr's own scheme ("cipherimg") and the published schemes it
// is compared with (the sub-packages of cipherimg, registered by importing
// package cipherimg/schemes).
//
// Contract:
//   - Encrypt and Decrypt work in place on w*h pixels in row-major order,
//     each below 2^depth, for every size 1x1..MaxSide x MaxSide and every
//     depth in Info().Depths; Decrypt(Encrypt(px)) == px bit for bit.
//     Other depths are refused before the call (EncryptWith checks).
//   - Every parameter comes from k: the key (through DeriveParams or the
//     keystream package), the nonce (exactly Info().NonceSize bytes, nil
//     when the scheme has none) and, for schemes whose parameters depend on
//     the plaintext, the bytes Encrypt stores in k.Aux (exactly
//     Info().AuxSize bytes). Aux travels with the cipher image in the
//     unauthenticated PNG header, so Decrypt receives it back.
//   - Both are deterministic functions of (k, pixels, w, h, depth) and safe
//     for concurrent use on different buffers.
type Scheme interface {
	// Name is the CLI and header name, e.g. "yang2023": lower case letters
	// and digits.
	Name() string
	// Info describes the scheme for reports and for the container.
	Info() SchemeInfo
	// Encrypt encrypts px in place; a plaintext-dependent scheme sets k.Aux.
	Encrypt(k *Keying, px []uint16, w, h, depth int) error
	// Decrypt inverts Encrypt in place.
	Decrypt(k Keying, px []uint16, w, h, depth int) error
}

// SchemeInfo describes a scheme.
type SchemeInfo struct {
	// Citation is the paper the scheme reproduces ("" for medqr's own).
	Citation string
	// Summary is one line for listings and reports.
	Summary string
	// Depths lists the bit depths the scheme covers: {8} or {8, 16}.
	Depths []int
	// NonceSize is the nonce length in bytes; 0 means the scheme uses one
	// key for every image, as its paper does (the CLI warns about it).
	NonceSize int
	// AuxSize is the number of bytes Encrypt puts in Keying.Aux (0: none).
	AuxSize int
	// Trained says the scheme runs a network with trained, shipped weights.
	Trained bool
}

// DepthText says which depths the scheme covers: "8-bit" or "8- and
// 16-bit".
func (i SchemeInfo) DepthText() string {
	if len(i.Depths) == 1 {
		return fmt.Sprintf("%d-bit", i.Depths[0])
	}
	t := ""
	for j, d := range i.Depths {
		switch {
		case j == 0:
		case j == len(i.Depths)-1:
			t += " and "
		default:
			t += ", "
		}
		t += fmt.Sprint(d)
		if j < len(i.Depths)-1 {
			t += "-"
		}
	}
	return t + "-bit"
}

// Pass is a scheme's encryption or decryption of px in place, the body of
// a Scheme's Encrypt or Decrypt (a Decrypt pass gets a copy of the
// Keying).
type Pass func(k *Keying, px []uint16, w, h, depth int) error

// NewScheme registers and returns the Scheme called name and described by
// info whose Encrypt and Decrypt refuse what CheckPixels refuses and
// otherwise run encrypt and decrypt. A scheme package declares its Scheme
// with it in one statement, as expvar.NewInt declares and publishes a
// variable; it panics where Register does.
func NewScheme(name string, info SchemeInfo, encrypt, decrypt Pass) Scheme {
	check := func(px []uint16, w, h, depth int) error { return CheckPixels(info, px, w, h, depth) }
	return NewCheckedScheme(name, info, check, encrypt, decrypt)
}

// NewCheckedScheme is NewScheme with check in place of CheckPixels, for
// schemes that bound their input more tightly (the trained baselines).
func NewCheckedScheme(name string, info SchemeInfo, check func(px []uint16, w, h, depth int) error, encrypt, decrypt Pass) Scheme {
	s := &passScheme{name: name, info: info, check: check, encrypt: encrypt, decrypt: decrypt}
	Register(s)
	return s
}

// passScheme is the Scheme of NewCheckedScheme.
type passScheme struct {
	name             string
	info             SchemeInfo
	check            func(px []uint16, w, h, depth int) error
	encrypt, decrypt Pass
}

func (s *passScheme) Name() string { return s.name }

// Info returns the scheme's info with its own copy of Depths.
func (s *passScheme) Info() SchemeInfo {
	info := s.info
	info.Depths = slices.Clone(info.Depths)
	return info
}

func (s *passScheme) Encrypt(k *Keying, px []uint16, w, h, depth int) error {
	return s.run(s.encrypt, k, px, w, h, depth)
}

func (s *passScheme) Decrypt(k Keying, px []uint16, w, h, depth int) error {
	return s.run(s.decrypt, &k, px, w, h, depth)
}

func (s *passScheme) run(pass Pass, k *Keying, px []uint16, w, h, depth int) error {
	if err := s.check(px, w, h, depth); err != nil {
		return err
	}
	return pass(k, px, w, h, depth)
}

// CheckPixels is the check a Scheme's Encrypt and Decrypt can start with
// (those of NewScheme do): px must hold the w*h pixels of an image of at
// least 1x1, and depth must be one of info.Depths (else an error wrapping
// ErrUnsupported).
func CheckPixels(info SchemeInfo, px []uint16, w, h, depth int) error {
	if len(px) != w*h || w < 1 || h < 1 {
		return fmt.Errorf("%d pixels for %dx%d", len(px), w, h)
	}
	if !slices.Contains(info.Depths, depth) {
		return fmt.Errorf("%w: %d-bit images (the paper covers %s)", ErrUnsupported, depth, info.DepthText())
	}
	return nil
}

// SortOrder returns the positions 0..len(keys)-1 in increasing order of
// their keys, ties by position: the permutation that the sort-based
// schemes (logistic, sae, wang2020) draw from a chaotic sequence.
func SortOrder[K cmp.Ordered](keys []K) []int32 {
	items := make([]sortItem[K], len(keys))
	for i, k := range keys {
		items[i] = sortItem[K]{k, int32(i)}
	}
	slices.SortFunc(items, func(a, b sortItem[K]) int {
		if c := cmp.Compare(a.key, b.key); c != 0 {
			return c
		}
		return cmp.Compare(a.pos, b.pos)
	})
	pi := make([]int32, len(keys))
	for i, it := range items {
		pi[i] = it.pos
	}
	return pi
}

// sortItem keeps a key beside its position, so that SortOrder's sort reads
// contiguous memory (sorting positions by keys[pos] was twice as slow).
type sortItem[K cmp.Ordered] struct {
	key K
	pos int32
}

// Keying is everything a scheme's parameters are derived from.
type Keying struct {
	Key   seal.Key
	Nonce []byte // Info().NonceSize bytes; nil when the scheme has no nonce
	// Aux is what a plaintext-dependent scheme must pass from Encrypt to
	// Decrypt (for example a hash of the plaintext); it is stored in the
	// cipher image's header, in the clear.
	Aux []byte
}

// SchemeName is the name of medqr's own scheme in the registry and header.
const SchemeName = "cipherimg"

// ErrUnknownScheme is wrapped by Lookup for a name nobody registered.
var ErrUnknownScheme = errors.New("cipherimg: unknown scheme")

var (
	schemesMu sync.RWMutex
	schemes   = map[string]Scheme{}
)

// Register makes a scheme available by name. It panics on a duplicate or
// malformed name (a programming error); NewScheme calls it for the
// sub-packages' schemes.
func Register(s Scheme) {
	name := s.Name()
	if !validSchemeName(name) {
		panic(fmt.Sprintf("cipherimg: invalid scheme name %q", name))
	}
	info := s.Info()
	if len(info.Depths) == 0 || info.NonceSize < 0 || info.AuxSize < 0 {
		panic(fmt.Sprintf("cipherimg: scheme %s: invalid info %+v", name, info))
	}
	for _, d := range info.Depths {
		if d != 8 && d != 16 {
			panic(fmt.Sprintf("cipherimg: scheme %s: depth %d", name, d))
		}
	}
	schemesMu.Lock()
	defer schemesMu.Unlock()
	if _, dup := schemes[name]; dup {
		panic("cipherimg: scheme registered twice: " + name)
	}
	schemes[name] = s
}

func validSchemeName(n string) bool {
	if n == "" || len(n) > 32 {
		return false
	}
	for _, c := range n {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// Lookup returns the registered scheme called name.
func Lookup(name string) (Scheme, error) {
	schemesMu.RLock()
	s, ok := schemes[name]
	schemesMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w %q (known: %v)", ErrUnknownScheme, name, Names())
	}
	return s, nil
}

// Names lists the registered schemes: "cipherimg" first, then the others
// in lexical order.
func Names() []string {
	schemesMu.RLock()
	defer schemesMu.RUnlock()
	out := make([]string, 0, len(schemes))
	for n := range schemes {
		if n != SchemeName {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return append([]string{SchemeName}, out...)
}

func init() { Register(own{}) }

// own is medqr's scheme as a Scheme: the default Options (ChaCha20, one
// round, DefaultLayers) under the nonce in Keying.
type own struct{}

func (own) Name() string { return SchemeName }

func (own) Info() SchemeInfo {
	return SchemeInfo{
		Summary:   "medqr paper's scheme: keystream permutation, coupling network, chained diffusion (ChaCha20, fresh nonce)",
		Depths:    []int{8, 16},
		NonceSize: NonceSize,
	}
}

func (own) header(k Keying, w, h, depth int) Header {
	return Header{Version: Version, Scheme: SchemeName, Keystream: defaultKind, Nonce: k.Nonce,
		Width: w, Height: h, Depth: depth, Rounds: DefaultRounds, Layers: DefaultLayers}
}

func (o own) Encrypt(k *Keying, px []uint16, w, h, depth int) error {
	hd := o.header(*k, w, h, depth)
	if err := hd.validate(); err != nil {
		return err
	}
	return encryptPixels(px, hd.params(), streams(k.Key, hd))
}

func (o own) Decrypt(k Keying, px []uint16, w, h, depth int) error {
	hd := o.header(k, w, h, depth)
	if err := hd.validate(); err != nil {
		return err
	}
	return decryptPixels(px, hd.params(), streams(k.Key, hd))
}

// EncryptWith encrypts an *image.Gray or *image.Gray16 with scheme s. For a
// scheme with a nonce, nonce is nil for a fresh one from crypto/rand or
// exactly Info().NonceSize bytes (a fixed nonce reuses the keystream: for
// differential tests only); schemes without a nonce ignore it. For
// "cipherimg" it is Encrypt with the default Options.
func EncryptWith(s Scheme, img image.Image, key seal.Key, nonce []byte) (*Cipher, error) {
	if s.Name() == SchemeName {
		return Encrypt(img, key, Options{Nonce: nonce})
	}
	px, w, h, depth, err := pixels(img)
	if err != nil {
		return nil, err
	}
	info := s.Info()
	if !slices.Contains(info.Depths, depth) {
		return nil, fmt.Errorf("%w: %s covers %s images, not %d-bit (its paper does not describe them)", ErrUnsupported, s.Name(), info.DepthText(), depth)
	}
	k := Keying{Key: key}
	if info.NonceSize > 0 {
		switch {
		case nonce == nil:
			k.Nonce = make([]byte, info.NonceSize)
			if _, err := rand.Read(k.Nonce); err != nil {
				return nil, fmt.Errorf("cipherimg: failed to draw a nonce: %w", err)
			}
		case len(nonce) != info.NonceSize:
			return nil, fmt.Errorf("%w: nonce is %d bytes, %s wants %d (or nil for a fresh one)", ErrOptions, len(nonce), s.Name(), info.NonceSize)
		default:
			k.Nonce = append([]byte(nil), nonce...)
		}
	}
	if err := s.Encrypt(&k, px, w, h, depth); err != nil {
		return nil, fmt.Errorf("cipherimg: %s: %w", s.Name(), err)
	}
	if len(k.Aux) != info.AuxSize {
		panic(fmt.Sprintf("cipherimg: scheme %s set %d aux bytes, its info says %d", s.Name(), len(k.Aux), info.AuxSize))
	}
	hd := Header{Version: Version, Scheme: s.Name(), Width: w, Height: h, Depth: depth, Nonce: k.Nonce, Aux: k.Aux}
	if err := hd.validate(); err != nil {
		panic("cipherimg: header of a valid encryption fails validation: " + err.Error())
	}
	return &Cipher{Image: toImage(px, w, h, depth), Header: hd}, nil
}

// Pixels copies an *image.Gray or *image.Gray16 into a row-major buffer and
// returns it with the size and depth, for code that drives a Scheme
// directly (tests, attacks, the baselines harness).
func Pixels(img image.Image) (px []uint16, w, h, depth int, err error) { return pixels(img) }

// ToImage is the inverse of Pixels: an *image.Gray for depth 8, an
// *image.Gray16 for depth 16.
func ToImage(px []uint16, w, h, depth int) image.Image { return toImage(px, w, h, depth) }

// validateOther checks the header of a scheme other than medqr's own
// against its registered description.
func (hd Header) validateOther() error {
	s, err := Lookup(hd.Scheme)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	info := s.Info()
	switch {
	case !slices.Contains(info.Depths, hd.Depth):
		return fmt.Errorf("%w: %s covers %s images, the header says %d-bit", ErrInvalid, hd.Scheme, info.DepthText(), hd.Depth)
	case len(hd.Nonce) != info.NonceSize:
		return fmt.Errorf("%w: %s nonce is %d bytes, want %d", ErrInvalid, hd.Scheme, len(hd.Nonce), info.NonceSize)
	case len(hd.Aux) != info.AuxSize:
		return fmt.Errorf("%w: %s aux data is %d bytes, want %d", ErrInvalid, hd.Scheme, len(hd.Aux), info.AuxSize)
	case hd.Keystream != 0 || hd.Rounds != 0 || hd.Layers != 0 || hd.NoPermutation || hd.NoNetwork || hd.NoDiffusion:
		return fmt.Errorf("%w: %s header carries %s options", ErrInvalid, hd.Scheme, SchemeName)
	}
	return nil
}
