package main

import (
	"strings"
	"testing"

	"github.com/medqr/medqr/seal"
)

func TestRedactKeys(t *testing.T) {
	k, err := seal.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	key := k.String()
	body := strings.TrimPrefix(key, "MEDQR-KEY-")
	id, err := seal.GenerateIdentity(seal.SuiteX25519)
	if err != nil {
		t.Fatal(err)
	}
	recipient := id.Recipient().String()
	for _, tc := range []struct {
		in   string
		keep bool // the input survives unchanged
	}{
		{"no key file " + body, false},
		{"no key file " + strings.ToLower(body), false},
		{"invalid " + key, false},
		{"identity " + id.String(), false},
		{"recipient " + recipient + " is public", true},
		{"open out/medqr-0123456789abcdef-key.txt: no such file", true},
		{"sha256 " + strings.Repeat("0123456789abcdef", 4), true},
	} {
		got := redactKeys(tc.in)
		if (got == tc.in) != tc.keep {
			t.Errorf("redactKeys(%q) = %q, keep %v", tc.in, got, tc.keep)
		}
		if !tc.keep && strings.Contains(strings.ToUpper(got), strings.ToUpper(body[1:20])) {
			t.Errorf("redactKeys(%q) = %q still holds the key", tc.in, got)
		}
	}
}
