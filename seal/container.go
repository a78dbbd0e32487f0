package seal

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Container layout constants (see the package doc).
const (
	// Version is the container format version this package writes and reads.
	Version = 1
	// MessageIDSize is the size of the random message id (the HKDF salt).
	MessageIDSize = 16
	// HeaderSize is the fixed header length; symbol 0 adds its key material.
	HeaderSize = 31
	// TagSize is the AEAD tag length of both AEADs.
	TagSize = 16
	// MaxSymbols bounds the symbol count of one message (uint16 field).
	MaxSymbols = 65535

	magic0, magic1 = 'M', 'Q'
	// padMarker starts the padding after the payload (ISO/IEC 7816-4).
	padMarker = 0x80
	// passphraseExtSize: Argon2id time, log2(memory KiB), threads.
	passphraseExtSize = 3
)

// Mode is how the message key is obtained.
type Mode uint8

const (
	ModeKey            Mode = 1 // a 256-bit Key (key string or key file)
	ModePassphrase     Mode = 2 // Argon2id of a passphrase
	ModeX25519         Mode = 3 // HPKE DHKEM(X25519) to a Recipient
	ModeMLKEM768X25519 Mode = 4 // HPKE ML-KEM-768 + X25519 to a Recipient
)

var modeNames = map[Mode]string{
	ModeKey:            "key",
	ModePassphrase:     "passphrase",
	ModeX25519:         "recipient (HPKE X25519)",
	ModeMLKEM768X25519: "recipient (HPKE ML-KEM-768+X25519)",
}

func (m Mode) String() string { return enumName(modeNames, m, "mode") }

// enumName returns names[v], or prefix(v) for a value without a name.
func enumName[T ~uint8](names map[T]string, v T, prefix string) string {
	if n, ok := names[v]; ok {
		return n
	}
	return fmt.Sprintf("%s(%d)", prefix, uint8(v))
}

// extSize is the length of the key material carried by symbol 0.
func (m Mode) extSize() (int, bool) {
	switch m {
	case ModeKey:
		return 0, true
	case ModePassphrase:
		return passphraseExtSize, true
	case ModeX25519:
		return SuiteX25519.encSize(), true
	case ModeMLKEM768X25519:
		return SuiteMLKEM768X25519.encSize(), true
	}
	return 0, false
}

// AEAD identifies the container's AEAD.
//
// Nonce rule (both AEADs): the 96-bit nonce is ten zero bytes followed by
// the 16-bit symbol index. The key is derived per message from a fresh
// 128-bit random message id (and, in HPKE mode, a fresh encapsulation), and
// each index is sealed once per message, so no (key, nonce) pair repeats
// unless two messages under one key draw the same message id (probability
// about n^2/2^129 for n messages). Storing a random 24-byte XChaCha20 nonce
// would cost 24 bytes in every QR symbol for no gain.
type AEAD uint8

const (
	ChaCha20Poly1305 AEAD = 1 // RFC 8439, the default
	AES256GCM        AEAD = 2 // NIST SP 800-38D
)

var aeadNames = map[AEAD]string{ChaCha20Poly1305: "chacha20poly1305", AES256GCM: "aes256gcm"}

func (a AEAD) String() string { return enumName(aeadNames, a, "aead") }

func (a AEAD) valid() bool { _, ok := aeadNames[a]; return ok }

// Meta describes the sealed image. It travels in clear in every container
// header and is authenticated as associated data.
type Meta struct {
	Codec         uint8 // codec id (see package codec)
	Width, Height int   // 0..65535
	Depth         int   // bits per sample, 0..255
	Level         byte  // QR error-correction level: 'L', 'M', 'Q', 'H' or 0
}

func (m Meta) check() error {
	if m.Width < 0 || m.Width > 0xffff || m.Height < 0 || m.Height > 0xffff {
		return fmt.Errorf("seal: image size %dx%d outside 0..65535", m.Width, m.Height)
	}
	if m.Depth < 0 || m.Depth > 0xff {
		return fmt.Errorf("seal: bit depth %d outside 0..255", m.Depth)
	}
	return nil
}

// Header is the parsed clear-text header of one container. Nothing in it is
// authenticated until OpenMessage succeeds; use it only to choose how to
// open (which key kind to ask for) and to group symbols.
type Header struct {
	Version   uint8
	Mode      Mode
	AEAD      AEAD
	MessageID [MessageIDSize]byte
	Index     int // 0-based
	Count     int
	Meta      Meta
	// Symbol 0 only.
	KDF Argon2Params // passphrase mode
	Enc []byte       // HPKE encapsulated key, recipient modes

	size int // header bytes including key material: the associated data
}

// Errors. ErrAuth is the one opaque error for every authentication failure.
var (
	ErrAuth     = errors.New("seal: authentication failed: wrong key, or the data was damaged or tampered with")
	ErrVersion  = errors.New("seal: unsupported container version")
	ErrMixed    = errors.New("seal: symbols belong to different messages")
	ErrTooLarge = errors.New("seal: payload too large")
)

// FormatError reports bytes that are not a well-formed medqr container.
type FormatError struct {
	Msg string
}

func (e *FormatError) Error() string {
	return "seal: not a medqr container: " + e.Msg + " (was it made by \"medqr encrypt\"?)"
}

// versionError wraps ErrVersion with the version found.
type versionError struct{ got uint8 }

func (e *versionError) Error() string {
	return fmt.Sprintf("seal: unsupported container version %d (this medqr reads version %d): decrypt it with the medqr release that made it, or re-run \"medqr encrypt\" on the original image", e.got, Version)
}
func (e *versionError) Is(target error) bool { return target == ErrVersion }

// ParseHeader parses the clear-text header of one container. It checks
// structure only; authenticity is checked by OpenMessage.
func ParseHeader(c []byte) (*Header, error) {
	if len(c) < 3 || c[0] != magic0 || c[1] != magic1 {
		return nil, &FormatError{"no medqr magic"}
	}
	if c[2] != Version {
		return nil, &versionError{c[2]}
	}
	if len(c) < HeaderSize+TagSize {
		return nil, &FormatError{fmt.Sprintf("%d bytes, shorter than the %d-byte minimum (truncated?)", len(c), HeaderSize+TagSize)}
	}
	h := &Header{Version: c[2], Mode: Mode(c[3] >> 4), AEAD: AEAD(c[3] & 0x0f)}
	ext, ok := h.Mode.extSize()
	if !ok {
		return nil, &FormatError{fmt.Sprintf("unknown key mode %d", h.Mode)}
	}
	if !h.AEAD.valid() {
		return nil, &FormatError{fmt.Sprintf("unknown AEAD %d", h.AEAD)}
	}
	copy(h.MessageID[:], c[4:20])
	h.Index = int(binary.BigEndian.Uint16(c[20:]))
	h.Count = int(binary.BigEndian.Uint16(c[22:]))
	if h.Count == 0 || h.Index >= h.Count {
		return nil, &FormatError{fmt.Sprintf("symbol index %d of count %d", h.Index, h.Count)}
	}
	h.Meta = Meta{
		Codec:  c[24],
		Width:  int(binary.BigEndian.Uint16(c[25:])),
		Height: int(binary.BigEndian.Uint16(c[27:])),
		Depth:  int(c[29]),
		Level:  c[30],
	}
	h.size = HeaderSize
	if h.Index == 0 {
		if len(c) < HeaderSize+ext+TagSize {
			return nil, &FormatError{fmt.Sprintf("%d bytes, too short for %s key material (truncated?)", len(c), h.Mode)}
		}
		e := c[HeaderSize : HeaderSize+ext]
		switch h.Mode {
		case ModePassphrase:
			h.KDF = Argon2Params{Time: uint32(e[0]), MemoryKiB: 1 << min(e[1], 31), Threads: e[2]}
			if e[1] > 31 {
				h.KDF.MemoryKiB = 0 // rejected by check below
			}
			if err := h.KDF.checkOpen(); err != nil {
				return nil, &FormatError{err.Error()}
			}
		case ModeX25519, ModeMLKEM768X25519:
			h.Enc = append([]byte(nil), e...)
		}
		h.size += ext
	}
	return h, nil
}

func (h *Header) marshal() []byte {
	b := make([]byte, HeaderSize, HeaderSize+len(h.Enc)+passphraseExtSize)
	b[0], b[1], b[2] = magic0, magic1, h.Version
	b[3] = byte(h.Mode)<<4 | byte(h.AEAD)
	copy(b[4:20], h.MessageID[:])
	binary.BigEndian.PutUint16(b[20:], uint16(h.Index))
	binary.BigEndian.PutUint16(b[22:], uint16(h.Count))
	b[24] = h.Meta.Codec
	binary.BigEndian.PutUint16(b[25:], uint16(h.Meta.Width))
	binary.BigEndian.PutUint16(b[27:], uint16(h.Meta.Height))
	b[29] = byte(h.Meta.Depth)
	b[30] = h.Meta.Level
	if h.Index == 0 {
		switch h.Mode {
		case ModePassphrase:
			b = append(b, byte(h.KDF.Time), log2(h.KDF.MemoryKiB), h.KDF.Threads)
		case ModeX25519, ModeMLKEM768X25519:
			b = append(b, h.Enc...)
		}
	}
	return b
}

func log2(v uint32) byte {
	n := byte(0)
	for v > 1 {
		v >>= 1
		n++
	}
	return n
}
