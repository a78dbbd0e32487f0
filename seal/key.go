package seal

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"

	"github.com/medqr/medqr/seal/internal/bech32"
)

// KeySize is the size of a Key in bytes.
const KeySize = 32

// Key is a 256-bit symmetric key: the paper's "unique key", fresh for every
// image by default. Its String form is a Bech32 key string.
type Key [KeySize]byte

// keyHRP is the human-readable part of a key string. Upper case, so the
// whole string is upper case ("MEDQR-KEY-1..."), in the manner of age's
// AGE-SECRET-KEY-1.
const keyHRP = "MEDQR-KEY-"

// keyStringLen is the length of every valid key string: the prefix, the
// separator, 52 data characters (256 bits in 5-bit groups) and the 6-character
// checksum.
const keyStringLen = len(keyHRP) + 1 + (KeySize*8+4)/5 + 6

// ErrInvalidKey is the class of every key-string parse error. The messages
// say what is wrong (truncated, mistyped, not a key) but never quote the
// string, which is secret.
var ErrInvalidKey = errors.New("seal: invalid key string")

// GenerateKey returns a fresh random key from crypto/rand.
func GenerateKey() (Key, error) {
	var k Key
	if _, err := rand.Read(k[:]); err != nil {
		return Key{}, fmt.Errorf("seal: failed to read random bytes: %w", err)
	}
	return k, nil
}

// String returns the key string "MEDQR-KEY-1..." (69 characters, upper case,
// with a Bech32 checksum). It is the secret: print it only where the user
// asked for it. fmt verbs do not call String (see Format).
func (k Key) String() string {
	s, err := bech32.Encode(keyHRP, k[:])
	if err != nil {
		panic("seal: bech32 encoding of a key failed: " + err.Error())
	}
	return s
}

// GoString keeps %#v from printing the key.
func (k Key) GoString() string { return redacted }

// Format makes every fmt verb (%v, %s, %x, ...) print a redacted form, so a
// key that slips into a log line or an error stays secret. Call String
// explicitly to get the key string.
func (k Key) Format(f fmt.State, verb rune) { fmt.Fprint(f, redacted) }

const redacted = "MEDQR-KEY-1[REDACTED]"

// Equal reports whether two keys are equal, in constant time.
func (k Key) Equal(o Key) bool { return subtle.ConstantTimeCompare(k[:], o[:]) == 1 }

// ParseKey parses a key string. Surrounding white space is ignored and lower
// case is accepted. A truncated, mistyped or foreign string is reported as
// such (wrapping ErrInvalidKey) before any decryption is tried.
func ParseKey(s string) (Key, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Key{}, fmt.Errorf("%w: it is empty", ErrInvalidKey)
	}
	up := strings.ToUpper(s)
	switch {
	case strings.HasPrefix(up, strings.ToUpper(identityHRP[SuiteX25519]+"1")),
		strings.HasPrefix(up, strings.ToUpper(identityHRP[SuiteMLKEM768X25519]+"1")):
		return Key{}, fmt.Errorf("%w: this is a recipient identity (MEDQR-IDENTITY-1...), not a key string; pass it as an identity", ErrInvalidKey)
	case strings.HasPrefix(up, strings.ToUpper(recipientHRP[SuiteX25519]+"1")),
		strings.HasPrefix(up, strings.ToUpper(recipientHRP[SuiteMLKEM768X25519]+"1")):
		return Key{}, fmt.Errorf("%w: this is a public recipient key (medqr1...), which encrypts but cannot decrypt", ErrInvalidKey)
	case !strings.HasPrefix(up, keyHRP+"1"):
		return Key{}, fmt.Errorf("%w: it does not start with %s1", ErrInvalidKey, keyHRP)
	}
	if len(s) != keyStringLen {
		what := "truncated"
		if len(s) > keyStringLen {
			what = "too long"
		}
		return Key{}, fmt.Errorf("%w: it has %d characters, want %d (%s)", ErrInvalidKey, len(s), keyStringLen, what)
	}
	hrp, data, err := bech32.Decode(s)
	if err != nil {
		return Key{}, fmt.Errorf("%w: %s", ErrInvalidKey, keyStringProblem(err))
	}
	if !strings.EqualFold(hrp, keyHRP) || len(data) != KeySize {
		return Key{}, fmt.Errorf("%w: malformed data part", ErrInvalidKey)
	}
	var k Key
	copy(k[:], data)
	return k, nil
}

// keyStringProblem turns a bech32 error into words that do not quote the
// input.
func keyStringProblem(err error) string {
	switch {
	case errors.Is(err, bech32.ErrChecksum):
		return "checksum mismatch: a character is mistyped or missing"
	case errors.Is(err, bech32.ErrMixedCase):
		return "it mixes upper and lower case"
	case errors.Is(err, bech32.ErrCharacter):
		// bech32 errors name a position, never a character.
		return strings.TrimPrefix(err.Error(), "bech32: ") + " (the alphabet has no 1, b, i or o after the prefix)"
	default:
		return strings.TrimPrefix(err.Error(), "bech32: ")
	}
}
