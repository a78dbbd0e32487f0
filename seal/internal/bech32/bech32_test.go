package bech32

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// Test vectors from BIP-173, section "Test vectors".
var validChecksums = []string{
	"A12UEL5L",
	"a12uel5l",
	"an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
	"abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
	"11" + strings.Repeat("q", 82) + "c8247j",
	"split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
	"?1ezyfcl",
}

var invalidChecksums = []struct {
	s    string
	want error
}{
	{"\x20" + "1nwldj5", ErrCharacter}, // HRP character out of range
	{"\x7f" + "1axkwrx", ErrCharacter}, // HRP character out of range
	{"\x80" + "1eym55h", ErrCharacter}, // HRP character out of range
	{"an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx", ErrLength}, // overall max length exceeded
	{"pzry9x0s0muk", ErrSeparator},      // no separator character
	{"1pzry9x0s0muk", ErrLength},        // empty HRP
	{"x1b4n0q5v", ErrCharacter},         // invalid data character
	{"li1dgmt3", ErrLength},             // too short checksum
	{"de1lg7wt" + "\xff", ErrCharacter}, // invalid character in checksum
	{"A1G7SGD8", ErrChecksum},           // checksum calculated with uppercase form of HRP
	{"10a06t8", ErrLength},              // empty HRP
	{"1qzzfhee", ErrLength},             // empty HRP
}

func TestBIP173ValidChecksums(t *testing.T) {
	for _, s := range validChecksums {
		hrp, values, err := DecodeStrict(s)
		if err != nil {
			t.Errorf("DecodeStrict(%q): %v", s, err)
			continue
		}
		// Re-encode the 5-bit values and compare case-insensitively.
		var b strings.Builder
		b.WriteString(strings.ToLower(hrp))
		b.WriteByte('1')
		for _, v := range values {
			b.WriteByte(charset[v])
		}
		for _, v := range createChecksum(strings.ToLower(hrp), values) {
			b.WriteByte(charset[v])
		}
		if got := b.String(); got != strings.ToLower(s) {
			t.Errorf("re-encoded %q as %q", s, got)
		}
		// Flipping any one data character must break the checksum.
		pos := strings.LastIndexByte(s, '1')
		for i := pos + 1; i < len(s); i++ {
			c := []byte(strings.ToLower(s))
			c[i] = charset[(strings.IndexByte(charset, c[i])+1)%32]
			if _, _, err := DecodeStrict(string(c)); !errors.Is(err, ErrChecksum) {
				t.Errorf("%q with character %d changed: err = %v, want checksum error", s, i, err)
			}
		}
	}
}

func TestBIP173InvalidChecksums(t *testing.T) {
	for _, tc := range invalidChecksums {
		_, _, err := DecodeStrict(tc.s)
		if !errors.Is(err, tc.want) {
			t.Errorf("DecodeStrict(%q) = %v, want %v", tc.s, err, tc.want)
		}
	}
}

// Segwit addresses from BIP-173: the first 5-bit value is the witness
// version, the rest is the witness program in 8-bit bytes.
func TestBIP173SegwitAddresses(t *testing.T) {
	for _, tc := range []struct{ addr, script string }{
		{"BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "0014751e76e8199196d454941c45d1b3a323f1433bd6"},
		{"tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7", "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262"},
		{"bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7k7grplx", "5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6"},
		{"BC1SW50QA3JX3S", "6002751e"},
		{"bc1zw508d6qejxtdg4y5r3zarvaryvg6kdaj", "5210751e76e8199196d454941c45d1b3a323"},
	} {
		_, values, err := DecodeStrict(tc.addr)
		if err != nil {
			t.Fatalf("DecodeStrict(%q): %v", tc.addr, err)
		}
		prog, err := ConvertBits(values[1:], 5, 8, false)
		if err != nil {
			t.Fatalf("%q: %v", tc.addr, err)
		}
		ver := values[0]
		op := byte(0)
		if ver > 0 {
			op = ver + 0x50
		}
		got := append([]byte{op, byte(len(prog))}, prog...)
		if hex.EncodeToString(got) != tc.script {
			t.Errorf("%q: script %x, want %s", tc.addr, got, tc.script)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		hrp  string
		data []byte
	}{
		{"a", nil},
		{"medqr", []byte{0}},
		{"MEDQR-KEY-", bytes.Repeat([]byte{0xff}, 32)},
		{"medqr", bytes.Repeat([]byte{0x5a}, 1216)}, // longer than BIP-173 allows
	} {
		s, err := Encode(tc.hrp, tc.data)
		if err != nil {
			t.Fatal(err)
		}
		if tc.hrp == strings.ToUpper(tc.hrp) && s != strings.ToUpper(s) {
			t.Errorf("upper-case hrp gave %q", s)
		}
		hrp, data, err := Decode(s)
		if err != nil {
			t.Fatalf("Decode(Encode(%q)): %v", tc.hrp, err)
		}
		if hrp != tc.hrp || !bytes.Equal(data, tc.data) {
			t.Errorf("round trip of %q changed it", tc.hrp)
		}
	}
	if _, err := Encode("MeDqR", nil); !errors.Is(err, ErrMixedCase) {
		t.Errorf("mixed-case hrp: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range validChecksums {
		f.Add(s)
	}
	for _, tc := range invalidChecksums {
		f.Add(tc.s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		hrp, data, err := Decode(s)
		if err != nil {
			if data != nil || hrp != "" {
				t.Fatal("partial result with an error")
			}
			return
		}
		again, err := Encode(hrp, data)
		if err != nil {
			t.Fatalf("Encode of decoded: %v", err)
		}
		if !strings.EqualFold(again, s) {
			t.Fatalf("Encode(Decode(%q)) = %q", s, again)
		}
	})
}
