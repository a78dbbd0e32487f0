package seal

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestKeyStringRoundTrip(t *testing.T) {
	for range 50 {
		k, err := GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		s := k.String()
		if len(s) != keyStringLen || !strings.HasPrefix(s, "MEDQR-KEY-1") || s != strings.ToUpper(s) {
			t.Fatalf("key string %d chars, prefix %q", len(s), s[:11])
		}
		for _, in := range []string{s, strings.ToLower(s), "  " + s + "\n"} {
			got, err := ParseKey(in)
			if err != nil || !got.Equal(k) {
				t.Fatalf("ParseKey round trip failed: %v", err)
			}
		}
	}
}

func TestKeyNeverFormatted(t *testing.T) {
	k, _ := GenerateKey()
	s := k.String()
	for _, verb := range []string{"%v", "%s", "%x", "%X", "%#v", "%+v", "%q", "%d"} {
		if out := fmt.Sprintf(verb, k); strings.Contains(out, s[11:20]) || strings.Contains(strings.ToUpper(out), fmt.Sprintf("%X", k[:4])) {
			t.Errorf("%s printed the key: %q", verb, out)
		}
	}
	if out := fmt.Sprint(struct{ K Key }{k}); strings.Contains(out, s[11:20]) {
		t.Errorf("struct printing leaked the key: %q", out)
	}
}

func TestParseKeyErrors(t *testing.T) {
	k, _ := GenerateKey()
	s := k.String()
	id := newIdentity(t, SuiteX25519)
	mistyped := []byte(s)
	// Change one data character to another alphabet character.
	if mistyped[30] == 'Q' {
		mistyped[30] = 'P'
	} else {
		mistyped[30] = 'Q'
	}
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", "", "empty"},
		{"truncated", s[:len(s)-1], "truncated"},
		{"truncated a lot", s[:30], "truncated"},
		{"extra", s + "Q", "too long"},
		{"mistyped", string(mistyped), "checksum"},
		{"bad character", s[:20] + "B" + s[21:], "alphabet"},
		{"mixed case", s[:20] + strings.ToLower(s[20:]), "mixes upper and lower"},
		{"recipient", id.Recipient().String(), "public recipient"},
		{"identity", id.String(), "identity"},
		{"other", "AGE-SECRET-KEY-1QQQQ", "does not start with"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseKey(tc.in)
			if !errors.Is(err, ErrInvalidKey) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrInvalidKey mentioning %q", err, tc.want)
			}
			if got != (Key{}) {
				t.Fatal("non-zero key with an error")
			}
			if len(tc.in) > 20 && strings.Contains(err.Error(), tc.in[11:20]) {
				t.Fatalf("error quotes the key: %v", err)
			}
		})
	}
	// Every transposition of two adjacent differing data characters is caught.
	for i := 11; i < len(s)-1; i++ {
		b := []byte(s)
		if b[i] == b[i+1] {
			continue
		}
		b[i], b[i+1] = b[i+1], b[i]
		if _, err := ParseKey(string(b)); !errors.Is(err, ErrInvalidKey) {
			t.Fatalf("transposition at %d accepted", i)
		}
	}
}

func FuzzParseKey(f *testing.F) {
	k, _ := GenerateKey()
	f.Add(k.String())
	f.Add(strings.ToLower(k.String()))
	f.Add(k.String()[:40])
	f.Add("MEDQR-KEY-1")
	f.Add("medqr1qqqq")
	f.Fuzz(func(t *testing.T, s string) {
		checkParse(t, s, ParseKey, ErrInvalidKey, strings.EqualFold)
	})
}
