package seal

import (
	"crypto/ecdh"
	"crypto/hpke"
	"errors"
	"fmt"
	"strings"

	"github.com/medqr/medqr/seal/internal/bech32"
)

// Suite is an HPKE KEM for recipient mode. The KDF is HKDF-SHA256 and the
// HPKE AEAD is export-only: HPKE only derives the message's secret, which
// then feeds the same HKDF and AEAD as the other modes.
type Suite uint8

const (
	// SuiteX25519 is DHKEM(X25519, HKDF-SHA256), RFC 9180: 32-byte public
	// keys and a 32-byte encapsulated key in the container.
	SuiteX25519 Suite = 1
	// SuiteMLKEM768X25519 is the hybrid post-quantum KEM ML-KEM-768 +
	// X25519 (crypto/hpke.MLKEM768X25519): 1216-byte public keys and a
	// 1120-byte encapsulated key, which fits single-symbol QR levels L, M
	// and Q only.
	SuiteMLKEM768X25519 Suite = 2
)

var (
	recipientHRP = map[Suite]string{SuiteX25519: "medqr", SuiteMLKEM768X25519: "medqrpq"}
	identityHRP  = map[Suite]string{SuiteX25519: "MEDQR-IDENTITY-", SuiteMLKEM768X25519: "MEDQR-PQ-IDENTITY-"}
)

func (s Suite) kem() hpke.KEM {
	switch s {
	case SuiteX25519:
		return hpke.DHKEM(ecdhX25519())
	case SuiteMLKEM768X25519:
		return hpke.MLKEM768X25519()
	}
	panic("seal: unknown suite")
}

func (s Suite) mode() Mode {
	if s == SuiteMLKEM768X25519 {
		return ModeMLKEM768X25519
	}
	return ModeX25519
}

// encSize is the length of the HPKE encapsulated key.
func (s Suite) encSize() int {
	if s == SuiteMLKEM768X25519 {
		return 1088 + 32
	}
	return 32
}

var suiteNames = map[Suite]string{SuiteX25519: "x25519", SuiteMLKEM768X25519: "mlkem768x25519"}

func (s Suite) valid() bool { _, ok := suiteNames[s]; return ok }

// String names the suite as the CLI's --suite flag spells it.
func (s Suite) String() string { return enumName(suiteNames, s, "suite") }

// ParseSuite parses "x25519" or "mlkem768x25519" (also "pq").
func ParseSuite(s string) (Suite, error) {
	switch strings.ToLower(s) {
	case "x25519":
		return SuiteX25519, nil
	case "mlkem768x25519", "mlkem768-x25519", "pq":
		return SuiteMLKEM768X25519, nil
	}
	return 0, fmt.Errorf("seal: unknown suite %q: use x25519 or mlkem768x25519", s)
}

// Identity is a recipient's private key. Its String form,
// "MEDQR-IDENTITY-1..." or "MEDQR-PQ-IDENTITY-1...", is secret.
type Identity struct {
	suite Suite
	priv  hpke.PrivateKey
	raw   []byte // 32 bytes: the X25519 scalar or the hybrid seed
}

// Recipient is a public key that messages are sealed to. Its String form,
// "medqr1..." or "medqrpq1...", may be shared freely.
type Recipient struct {
	suite Suite
	pub   hpke.PublicKey
}

// ErrInvalidRecipient and ErrInvalidIdentity are the classes of parse
// errors for recipient and identity strings.
var (
	ErrInvalidRecipient = errors.New("seal: invalid recipient")
	ErrInvalidIdentity  = errors.New("seal: invalid identity")
)

// GenerateIdentity makes a fresh key pair for the suite from crypto/rand.
func GenerateIdentity(s Suite) (*Identity, error) {
	if !s.valid() {
		return nil, fmt.Errorf("seal: unknown suite %d", s)
	}
	priv, err := s.kem().GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("seal: failed to generate %s key pair: %w", s, err)
	}
	raw, err := priv.Bytes()
	if err != nil {
		return nil, fmt.Errorf("seal: failed to serialize %s key: %w", s, err)
	}
	return &Identity{suite: s, priv: priv, raw: raw}, nil
}

// Suite returns the identity's KEM suite.
func (id *Identity) Suite() Suite { return id.suite }

// Recipient returns the public key of the identity.
func (id *Identity) Recipient() *Recipient {
	return &Recipient{suite: id.suite, pub: id.priv.PublicKey()}
}

// String returns the secret identity string.
func (id *Identity) String() string {
	s, err := bech32.Encode(identityHRP[id.suite], id.raw)
	if err != nil {
		panic("seal: bech32 encoding of an identity failed: " + err.Error())
	}
	return s
}

// GoString and Format keep fmt from printing the identity (see Key.Format).
func (id *Identity) GoString() string              { return "MEDQR-IDENTITY-1[REDACTED]" }
func (id *Identity) Format(f fmt.State, verb rune) { fmt.Fprint(f, id.GoString()) }
func (r *Recipient) Format(f fmt.State, verb rune) { fmt.Fprint(f, r.String()) }
func (r *Recipient) Suite() Suite                  { return r.suite }
func (r *Recipient) Equal(o *Recipient) bool       { return r.String() == o.String() }
func suiteByHRP(hrp string, m map[Suite]string) (Suite, bool) {
	for s, h := range m {
		if strings.EqualFold(h, hrp) {
			return s, true
		}
	}
	return 0, false
}

// String returns the public recipient string, lower case.
func (r *Recipient) String() string {
	s, err := bech32.Encode(recipientHRP[r.suite], r.pub.Bytes())
	if err != nil {
		panic("seal: bech32 encoding of a recipient failed: " + err.Error())
	}
	return s
}

// ParseRecipient parses "medqr1..." (X25519) or "medqrpq1..." (ML-KEM-768 +
// X25519). Errors wrap ErrInvalidRecipient.
func ParseRecipient(s string) (*Recipient, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("%w: it is empty", ErrInvalidRecipient)
	}
	if strings.HasPrefix(strings.ToUpper(s), "MEDQR-") {
		return nil, fmt.Errorf("%w: this is a secret key or identity, not a public recipient (medqr1...)", ErrInvalidRecipient)
	}
	hrp, data, err := bech32.Decode(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalidRecipient, keyStringProblem(err))
	}
	if hrp != strings.ToLower(hrp) {
		return nil, fmt.Errorf("%w: recipients are written in lower case", ErrInvalidRecipient)
	}
	suite, ok := suiteByHRP(hrp, recipientHRP)
	if !ok {
		return nil, fmt.Errorf("%w: prefix %q is not medqr or medqrpq", ErrInvalidRecipient, hrp)
	}
	pub, err := suite.kem().NewPublicKey(data)
	if err != nil {
		return nil, fmt.Errorf("%w: not a valid %s public key (%d bytes)", ErrInvalidRecipient, suite, len(data))
	}
	return &Recipient{suite: suite, pub: pub}, nil
}

// ParseIdentity parses a secret identity string. Errors wrap
// ErrInvalidIdentity and never quote the string.
func ParseIdentity(s string) (*Identity, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("%w: it is empty", ErrInvalidIdentity)
	}
	hrp, data, err := bech32.Decode(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalidIdentity, keyStringProblem(err))
	}
	suite, ok := suiteByHRP(hrp, identityHRP)
	if !ok {
		return nil, fmt.Errorf("%w: it does not start with MEDQR-IDENTITY-1 or MEDQR-PQ-IDENTITY-1", ErrInvalidIdentity)
	}
	if len(data) != 32 {
		return nil, fmt.Errorf("%w: %d bytes of key, want 32", ErrInvalidIdentity, len(data))
	}
	priv, err := suite.kem().NewPrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("%w: not a valid %s private key", ErrInvalidIdentity, suite)
	}
	return &Identity{suite: suite, priv: priv, raw: data}, nil
}

func ecdhX25519() ecdh.Curve { return ecdh.X25519() }
