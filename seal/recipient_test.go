package seal

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestIdentityStrings(t *testing.T) {
	for _, tc := range []struct {
		suite               Suite
		idPrefix, recPrefix string
		recLen              int
	}{
		{SuiteX25519, "MEDQR-IDENTITY-1", "medqr1", 6 + 52 + 6},
		{SuiteMLKEM768X25519, "MEDQR-PQ-IDENTITY-1", "medqrpq1", 8 + (1216*8+4)/5 + 6},
	} {
		t.Run(tc.suite.String(), func(t *testing.T) {
			id := newIdentity(t, tc.suite)
			s := id.String()
			r := id.Recipient().String()
			if !strings.HasPrefix(s, tc.idPrefix) || s != strings.ToUpper(s) {
				t.Fatalf("identity prefix %q", s[:len(tc.idPrefix)])
			}
			if !strings.HasPrefix(r, tc.recPrefix) || len(r) != tc.recLen {
				t.Fatalf("recipient %q... length %d, want %d", r[:10], len(r), tc.recLen)
			}
			id2, err := ParseIdentity(strings.ToLower(s))
			if err != nil || id2.Recipient().String() != r || id2.Suite() != tc.suite {
				t.Fatalf("identity round trip: %v", err)
			}
			r2, err := ParseRecipient(r)
			if err != nil || !r2.Equal(id.Recipient()) {
				t.Fatalf("recipient round trip: %v", err)
			}
			for _, verb := range []string{"%v", "%s", "%#v", "%x"} {
				if strings.Contains(fmt.Sprintf(verb, id), s[len(tc.idPrefix):len(tc.idPrefix)+10]) {
					t.Errorf("%s prints the identity", verb)
				}
			}
			// A message sealed to the parsed recipient opens with the
			// parsed identity.
			cs, err := SealMessage(testMeta('L'), []byte("x-ray"), capacities['L'], NewRecipientSealer(r2))
			if err != nil {
				t.Fatal(err)
			}
			if _, p, err := OpenMessage(cs, IdentityOpener(id2)); err != nil || string(p) != "x-ray" {
				t.Fatalf("open: %v", err)
			}
		})
	}
}

func TestParseRecipientErrors(t *testing.T) {
	id := newIdentity(t, SuiteX25519)
	r := id.Recipient().String()
	k, _ := GenerateKey()
	for _, tc := range []struct{ in, want string }{
		{"", "empty"},
		{r[:len(r)-1], "checksum"},
		{strings.ToUpper(r), "lower case"},
		{id.String(), "secret key or identity"},
		{k.String(), "secret key or identity"},
		{"age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq", "checksum"},
		{mustEncode(t, "age", make([]byte, 32)), "prefix \"age\""},
		{mustEncode(t, "medqr", make([]byte, 31)), "not a valid x25519 public key (31 bytes)"},
		{mustEncode(t, "medqrpq", make([]byte, 32)), "not a valid mlkem768x25519 public key"},
	} {
		_, err := ParseRecipient(tc.in)
		if !errors.Is(err, ErrInvalidRecipient) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseRecipient(%.20q) = %v, want %q", tc.in, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{r, "does not start with MEDQR-IDENTITY-1"},
		{k.String(), "does not start with MEDQR-IDENTITY-1"},
		{id.String()[:40], "checksum"},
		{mustEncode(t, "MEDQR-IDENTITY-", make([]byte, 31)), "31 bytes of key"},
	} {
		_, err := ParseIdentity(tc.in)
		if !errors.Is(err, ErrInvalidIdentity) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseIdentity: %v, want %q", err, tc.want)
		}
		if strings.Contains(fmt.Sprint(err), id.String()[16:30]) {
			t.Error("error quotes the identity")
		}
	}
}

func TestSuiteAndModeNames(t *testing.T) {
	for _, s := range []string{"x25519", "mlkem768x25519", "pq", "X25519"} {
		if _, err := ParseSuite(s); err != nil {
			t.Error(err)
		}
	}
	if _, err := ParseSuite("rsa"); err == nil {
		t.Error("rsa accepted")
	}
	if SuiteX25519.encSize() != 32 || SuiteMLKEM768X25519.encSize() != 1120 {
		t.Error("enc sizes")
	}
}

// newIdentity returns a fresh identity of suite s.
func newIdentity(t testing.TB, s Suite) *Identity {
	t.Helper()
	id, err := GenerateIdentity(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func mustEncode(t *testing.T, hrp string, data []byte) string {
	t.Helper()
	s, err := bech32Encode(hrp, data)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
