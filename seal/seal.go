package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hpke"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"golang.org/x/crypto/chacha20poly1305"
)

// Versioned labels. Changing any of them is a format change.
const (
	labelPayload = "medqr.org/v1/payload"     // HKDF info of the payload key
	labelHPKE    = "medqr.org/v1/hpke"        // HPKE info
	labelExport  = "medqr.org/v1/hpke-secret" // HPKE exporter context
)

// Sealer produces the key material of a new message. Make one with
// NewKeySealer, NewPassphraseSealer or NewRecipientSealer; WithAEAD picks the
// AEAD (ChaCha20-Poly1305 by default).
type Sealer interface {
	// Mode is the key mode written in the header.
	Mode() Mode
	aead() AEAD
	// random is the source of message ids: crypto/rand unless WithRand
	// replaced it.
	random() io.Reader
	// options returns a copy of the sealer and a pointer to the copy's
	// options, for WithAEAD and WithRand to change.
	options() (Sealer, *sealOptions)
	// begin returns the header fields of symbol 0 (KDF or Enc) and the
	// input keying material for a message with the given id.
	begin(h *Header) (ikm []byte, err error)
}

// Opener recovers the input keying material of a message. Make one with
// KeyOpener, PassphraseOpener or IdentityOpener.
type Opener interface {
	accepts(m Mode) bool
	// ikm needs the header of symbol 0 in passphrase and recipient modes.
	ikm(h0 *Header) ([]byte, error)
	needsFirst() bool
	describe() string
}

// sealOptions are the settings every sealer has.
type sealOptions struct {
	a AEAD
	// rnd is the source of message ids: nil means crypto/rand (WithRand
	// replaces it).
	rnd io.Reader
}

func (o *sealOptions) aead() AEAD        { return o.a }
func (o *sealOptions) random() io.Reader { return o.rnd }

var defaultOptions = sealOptions{a: ChaCha20Poly1305}

type keySealer struct {
	sealOptions
	k Key
}

// NewKeySealer seals with a 256-bit key.
func NewKeySealer(k Key) Sealer { return &keySealer{sealOptions: defaultOptions, k: k} }

func (s *keySealer) Mode() Mode                      { return ModeKey }
func (s *keySealer) options() (Sealer, *sealOptions) { c := *s; return &c, &c.sealOptions }
func (s *keySealer) begin(*Header) ([]byte, error)   { return s.k[:], nil }

type passSealer struct {
	sealOptions
	pass string
	p    Argon2Params
}

// NewPassphraseSealer seals with a passphrase through Argon2id with params
// (use DefaultArgon2). The salt is the random message id.
func NewPassphraseSealer(pass string, params Argon2Params) (Sealer, error) {
	if pass == "" {
		return nil, errors.New("seal: empty passphrase")
	}
	if err := params.checkSeal(); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return &passSealer{sealOptions: defaultOptions, pass: pass, p: params}, nil
}

func (s *passSealer) Mode() Mode                      { return ModePassphrase }
func (s *passSealer) options() (Sealer, *sealOptions) { c := *s; return &c, &c.sealOptions }
func (s *passSealer) begin(h *Header) ([]byte, error) {
	h.KDF = s.p
	return argon2Key(s.pass, h.MessageID[:], s.p), nil
}

type recipientSealer struct {
	sealOptions
	r *Recipient
}

// NewRecipientSealer seals to a recipient's public key with HPKE: only the
// holder of the matching Identity can open the message.
func NewRecipientSealer(r *Recipient) Sealer {
	return &recipientSealer{sealOptions: defaultOptions, r: r}
}

func (s *recipientSealer) Mode() Mode                      { return s.r.suite.mode() }
func (s *recipientSealer) options() (Sealer, *sealOptions) { c := *s; return &c, &c.sealOptions }
func (s *recipientSealer) begin(h *Header) ([]byte, error) {
	enc, ctx, err := hpke.NewSender(s.r.pub, hpke.HKDFSHA256(), hpke.ExportOnly(), []byte(labelHPKE))
	if err != nil {
		return nil, fmt.Errorf("seal: HPKE encapsulation failed: %w", err)
	}
	if len(enc) != s.r.suite.encSize() {
		return nil, fmt.Errorf("seal: HPKE encapsulated key is %d bytes, want %d", len(enc), s.r.suite.encSize())
	}
	h.Enc = enc
	return ctx.Export(labelExport, 32)
}

// WithAEAD returns a Sealer like s that uses AEAD a.
func WithAEAD(s Sealer, a AEAD) Sealer {
	if !a.valid() {
		panic("seal: unknown AEAD")
	}
	c, o := s.options()
	o.a = a
	return c
}

// WithRand returns a Sealer like s that reads each message id (16 bytes per
// SealMessage call) from r instead of crypto/rand.
//
// RESEARCH AND TESTING ONLY. It exists so that the research packages (the
// attack suite, package attacks, and the product-sealed subject of package
// eval) can seal from a seeded stream and write the same results on every
// run. A predictable message id makes the payload key (HKDF salt) and, in
// passphrase mode, the Argon2id salt predictable and repeatable; with a
// repeated id under one key, two messages reuse the AEAD key and nonces,
// which breaks confidentiality and integrity. The product path (medqr
// encrypt, package store) never calls WithRand, and nothing outside tests
// and the attacks and eval packages may. Keys (GenerateKey, GenerateIdentity) always
// come from crypto/rand, and in recipient mode the HPKE encapsulation still
// draws its ephemeral key from crypto/rand (crypto/hpke takes no reader), so
// a recipient-mode message is not reproducible even with WithRand.
//
// r must not be nil; a short read fails SealMessage.
func WithRand(s Sealer, r io.Reader) Sealer {
	if r == nil {
		panic("seal: WithRand with a nil reader")
	}
	c, o := s.options()
	o.rnd = r
	return c
}

type keyOpener struct{ k Key }

// KeyOpener opens messages sealed with NewKeySealer(k).
func KeyOpener(k Key) Opener { return &keyOpener{k} }

func (o *keyOpener) accepts(m Mode) bool         { return m == ModeKey }
func (o *keyOpener) ikm(*Header) ([]byte, error) { return o.k[:], nil }
func (o *keyOpener) needsFirst() bool            { return false }
func (o *keyOpener) describe() string            { return "a key" }

type passOpener struct{ pass string }

// PassphraseOpener opens messages sealed with NewPassphraseSealer.
func PassphraseOpener(pass string) Opener { return &passOpener{pass} }

func (o *passOpener) accepts(m Mode) bool { return m == ModePassphrase }
func (o *passOpener) needsFirst() bool    { return true }
func (o *passOpener) describe() string    { return "a passphrase" }
func (o *passOpener) ikm(h0 *Header) ([]byte, error) {
	if err := h0.KDF.checkOpen(); err != nil {
		return nil, &FormatError{err.Error()}
	}
	return argon2Key(o.pass, h0.MessageID[:], h0.KDF), nil
}

type identityOpener struct{ id *Identity }

// IdentityOpener opens messages sealed to id.Recipient().
func IdentityOpener(id *Identity) Opener { return &identityOpener{id} }

func (o *identityOpener) accepts(m Mode) bool { return m == o.id.suite.mode() }
func (o *identityOpener) needsFirst() bool    { return true }
func (o *identityOpener) describe() string    { return "an identity (" + o.id.suite.String() + ")" }
func (o *identityOpener) ikm(h0 *Header) ([]byte, error) {
	ctx, err := hpke.NewRecipient(h0.Enc, o.id.priv, hpke.HKDFSHA256(), hpke.ExportOnly(), []byte(labelHPKE))
	if err != nil {
		// A malformed encapsulation is indistinguishable from tampering.
		return nil, ErrAuth
	}
	return ctx.Export(labelExport, 32)
}

// ModeError reports a message sealed in another key mode than the opener
// handles (a key string given for a passphrase message, say). It matches
// ErrAuth with errors.Is, since the credential cannot open the message.
type ModeError struct {
	Got  Mode   // the message's mode (from the unauthenticated header)
	Have string // what the caller supplied
}

func (e *ModeError) Error() string {
	return fmt.Sprintf("seal: the message is sealed with %s, but %s was given", e.Got, e.Have)
}
func (e *ModeError) Is(target error) bool { return target == ErrAuth }

// MissingError reports symbols absent from a message. Missing holds 0-based
// indices; the message names them 1-based, as printed on the symbols.
type MissingError struct {
	Missing []int
	Count   int
}

func (e *MissingError) Error() string {
	parts := make([]string, len(e.Missing))
	for i, m := range e.Missing {
		parts[i] = fmt.Sprint(m + 1)
	}
	return fmt.Sprintf("seal: %d of %d QR symbols missing: number %s", len(e.Missing), e.Count, strings.Join(parts, ", "))
}

func extLen(s Sealer) int {
	n, _ := s.Mode().extSize()
	return n
}

// Overhead is the number of container bytes symbol 0 spends on everything
// but payload in mode m: header, key material, tag and the padding marker.
func Overhead(m Mode) int {
	n, ok := m.extSize()
	if !ok {
		panic("seal: unknown mode")
	}
	return HeaderSize + n + TagSize + 1
}

// PayloadBudget is the largest payload that fits in one container of
// symbolCapacity bytes sealed by s (0 if none fits).
func PayloadBudget(symbolCapacity int, s Sealer) int {
	return max(0, symbolCapacity-HeaderSize-extLen(s)-TagSize-1)
}

// SymbolCount is the number of containers SealMessage makes for a payload
// of n bytes.
func SymbolCount(n, symbolCapacity int, s Sealer) int {
	first := symbolCapacity - HeaderSize - extLen(s) - TagSize
	rest := symbolCapacity - HeaderSize - TagSize
	if first < 1 || rest < 1 {
		return 0
	}
	if n+1 <= first {
		return 1
	}
	return 1 + (n+1-first+rest-1)/rest
}

// SealMessage seals payload as one message of one or more containers, each
// exactly symbolCapacity bytes (a QR symbol's byte capacity): the payload
// plus padding is split in order across symbols, and key material is written
// in symbol 0 only. A payload of at most PayloadBudget(symbolCapacity, s)
// bytes gives one container.
func SealMessage(m Meta, payload []byte, symbolCapacity int, s Sealer) ([][]byte, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	first := symbolCapacity - HeaderSize - extLen(s) - TagSize
	rest := symbolCapacity - HeaderSize - TagSize
	if first < 1 || rest < 1 {
		return nil, fmt.Errorf("seal: symbol capacity %d bytes is too small for %s mode (need at least %d)", symbolCapacity, s.Mode(), Overhead(s.Mode()))
	}
	count := SymbolCount(len(payload), symbolCapacity, s)
	if count > MaxSymbols {
		return nil, fmt.Errorf("%w: %d bytes need %d symbols, more than %d", ErrTooLarge, len(payload), count, MaxSymbols)
	}
	h := &Header{Version: Version, Mode: s.Mode(), AEAD: s.aead(), Count: count, Meta: m}
	if r := s.random(); r != nil {
		if _, err := io.ReadFull(r, h.MessageID[:]); err != nil {
			return nil, fmt.Errorf("seal: failed to read the message id: %w", err)
		}
	} else if _, err := rand.Read(h.MessageID[:]); err != nil {
		return nil, fmt.Errorf("seal: failed to read random bytes: %w", err)
	}
	ikm, err := s.begin(h)
	if err != nil {
		return nil, err
	}
	aead, err := messageAEAD(ikm, h)
	if err != nil {
		return nil, err
	}
	total := first + (count-1)*rest
	plain := make([]byte, total)
	copy(plain, payload)
	plain[len(payload)] = padMarker
	out := make([][]byte, count)
	off := 0
	for i := range count {
		h.Index = i
		ad := h.marshal()
		n := symbolCapacity - len(ad) - TagSize
		c := make([]byte, len(ad), symbolCapacity)
		copy(c, ad)
		out[i] = aead.Seal(c, nonceFor(i), plain[off:off+n], ad)
		off += n
	}
	clear(plain)
	return out, nil
}

// nonceFor is the AEAD nonce of symbol i: ten zero bytes and the 16-bit
// index (see AEAD for why this never repeats under one message key).
func nonceFor(i int) []byte {
	n := make([]byte, 12)
	binary.BigEndian.PutUint16(n[10:], uint16(i))
	return n
}

// messageAEAD derives the message's payload key from ikm and the message id.
func messageAEAD(ikm []byte, h *Header) (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, ikm, h.MessageID[:], labelPayload, 32)
	if err != nil {
		return nil, fmt.Errorf("seal: HKDF failed: %w", err)
	}
	defer clear(key)
	switch h.AEAD {
	case ChaCha20Poly1305:
		return chacha20poly1305.New(key)
	case AES256GCM:
		b, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		return cipher.NewGCM(b)
	}
	return nil, &FormatError{fmt.Sprintf("unknown AEAD %d", h.AEAD)}
}

// OpenMessage verifies and opens the containers of one message, given in
// any order (duplicates of the same bytes are ignored). It returns the
// message's Meta and payload only if every container authenticates and none
// is missing; otherwise it returns no bytes and one of: ErrAuth (wrong key,
// damaged or tampered data; *ModeError for a credential of the wrong kind),
// *FormatError, ErrVersion, ErrMixed, *MissingError.
func OpenMessage(containers [][]byte, o Opener) (Meta, []byte, error) {
	if len(containers) == 0 {
		return Meta{}, nil, errors.New("seal: no containers to open")
	}
	type sym struct {
		h *Header
		c []byte
	}
	var syms []sym
	seen := make(map[string]bool, len(containers))
	for i, c := range containers {
		h, err := ParseHeader(c)
		if err != nil {
			if len(containers) > 1 {
				return Meta{}, nil, fmt.Errorf("symbol %d of %d: %w", i+1, len(containers), err)
			}
			return Meta{}, nil, err
		}
		if !seen[string(c)] {
			seen[string(c)] = true
			syms = append(syms, sym{h, c})
		}
	}
	h0 := syms[0].h
	for _, s := range syms[1:] {
		if s.h.MessageID != h0.MessageID {
			return Meta{}, nil, fmt.Errorf("%w: keep only the QR codes made by one \"medqr encrypt\" run", ErrMixed)
		}
		// Same message id but other header fields differ: tampering.
		if s.h.Mode != h0.Mode || s.h.AEAD != h0.AEAD || s.h.Count != h0.Count || s.h.Meta != h0.Meta {
			return Meta{}, nil, ErrAuth
		}
	}
	if !o.accepts(h0.Mode) {
		return Meta{}, nil, &ModeError{Got: h0.Mode, Have: o.describe()}
	}
	count := h0.Count
	byIndex := make(map[int]sym, len(syms))
	for _, s := range syms {
		if _, ok := byIndex[s.h.Index]; ok {
			// Two different containers claim one index: one is forged.
			return Meta{}, nil, ErrAuth
		}
		byIndex[s.h.Index] = s
	}
	var missing []int
	for i := range count {
		if _, ok := byIndex[i]; !ok {
			missing = append(missing, i)
		}
	}
	first, haveFirst := byIndex[0]
	if !haveFirst && o.needsFirst() {
		return Meta{}, nil, &MissingError{Missing: missing, Count: count}
	}
	var hk *Header
	if haveFirst {
		hk = first.h
	} else {
		hk = h0
	}
	ikm, err := o.ikm(hk)
	if err != nil {
		return Meta{}, nil, err
	}
	aead, err := messageAEAD(ikm, hk)
	if err != nil {
		return Meta{}, nil, err
	}
	idx := make([]int, 0, len(byIndex))
	for i := range byIndex {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	size := 0
	for _, s := range byIndex {
		size += len(s.c) - s.h.size - TagSize
	}
	plain := make([]byte, 0, size)
	for _, i := range idx {
		s := byIndex[i]
		ad := s.c[:s.h.size]
		p, err := aead.Open(plain, nonceFor(i), s.c[s.h.size:], ad)
		if err != nil {
			clear(plain)
			return Meta{}, nil, ErrAuth
		}
		plain = p
	}
	if len(missing) > 0 {
		clear(plain)
		return Meta{}, nil, &MissingError{Missing: missing, Count: count}
	}
	end := len(plain) - 1
	for end >= 0 && plain[end] == 0 {
		end--
	}
	if end < 0 || plain[end] != padMarker {
		clear(plain)
		return Meta{}, nil, &FormatError{"bad padding in an authenticated message (written by a broken sealer)"}
	}
	return h0.Meta, plain[:end:end], nil
}
