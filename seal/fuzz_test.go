package seal

import (
	"bytes"
	"errors"
	"sort"
	"strings"
	"testing"
)

// vectorSeeds returns every container and credential of the committed
// vectors, for fuzz seeds.
func vectorSeeds(t testing.TB) (containers [][]byte, creds []string) {
	files := vectorFiles(t)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		v, err := parseVector(n, files[n])
		if err != nil {
			t.Fatal(err)
		}
		containers = append(containers, v.symbols...)
		for _, k := range []string{"key", "identity"} {
			if c := v.fields[k]; c != "" {
				creds = append(creds, c)
			}
		}
	}
	return containers, creds
}

// FuzzParseHeader: a header either fails with a typed error or re-encodes
// to exactly the bytes it was parsed from.
func FuzzParseHeader(f *testing.F) {
	cs, _ := vectorSeeds(f)
	for _, c := range cs {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, c []byte) {
		h, err := ParseHeader(c)
		if err != nil {
			var fe *FormatError
			if h != nil || !(errors.As(err, &fe) || errors.Is(err, ErrVersion)) {
				t.Fatalf("untyped error or header with error: %v", err)
			}
			return
		}
		if got := h.marshal(); !bytes.Equal(got, c[:h.size]) {
			t.Fatalf("header re-encodes as %x, parsed from %x", got, c[:h.size])
		}
		if len(c) < h.size+TagSize {
			t.Fatal("accepted a container without room for a tag")
		}
	})
}

// FuzzOpenMessage feeds arbitrary bytes, as one container or split into
// several, to every kind of opener: the result is an error with no bytes, or
// (only for untouched vector containers) a success.
func FuzzOpenMessage(f *testing.F) {
	cs, _ := vectorSeeds(f)
	for _, c := range cs {
		f.Add(c, uint16(0))
		f.Add(c, uint16(len(c)/2))
	}
	files := vectorFiles(f)
	v, err := parseVector("key-multi-H", files["key-multi-H"])
	if err != nil {
		f.Fatal(err)
	}
	key, _ := ParseKey(v.fields["key"])
	idv, _ := parseVector("x25519-M", files["x25519-M"])
	id, _ := ParseIdentity(idv.fields["identity"])
	openers := []Opener{KeyOpener(key), PassphraseOpener(vectorPassphrase), IdentityOpener(id)}
	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		in := [][]byte{data}
		if s := int(split); s > 0 && s < len(data) {
			in = [][]byte{data[:s], data[s:]}
		}
		for _, o := range openers {
			if _, ok := o.(*passOpener); ok {
				// Keep the fuzzer fast: real Argon2 costs are allowed
				// by the opener but far too slow per input.
				costly := false
				for _, c := range in {
					if h, err := ParseHeader(c); err == nil && h.Index == 0 && h.KDF.MemoryKiB*h.KDF.Time > 1024 {
						costly = true
					}
				}
				if costly {
					continue
				}
			}
			m, p, err := OpenMessage(in, o)
			if err != nil {
				if p != nil || m != (Meta{}) {
					t.Fatalf("bytes or meta with error %v", err)
				}
				if strings.HasPrefix(errorClass(err), "other") {
					t.Fatalf("unclassified error: %v", err)
				}
				continue
			}
			if len(p) > len(data) {
				t.Fatal("payload longer than input")
			}
		}
	})
}

// checkParse is the contract of the text parsers: either an error matching
// sentinel and a nil value, or a value whose String is the input without
// surrounding space (compared by same); ok reports the second.
func checkParse[V interface {
	comparable
	String() string
}](t *testing.T, s string, parse func(string) (V, error), sentinel error, same func(a, b string) bool) (v V, ok bool) {
	v, err := parse(s)
	if err != nil {
		var zero V
		if v != zero || !errors.Is(err, sentinel) {
			t.Fatalf("error %v with a %T or of the wrong class", err, v)
		}
		return zero, false
	}
	if !same(v.String(), strings.TrimSpace(s)) {
		t.Fatalf("non-canonical %T accepted", v)
	}
	return v, true
}

func FuzzParseRecipient(f *testing.F) {
	for _, s := range []Suite{SuiteX25519, SuiteMLKEM768X25519} {
		id := newIdentity(f, s)
		f.Add(id.Recipient().String())
		f.Add(id.String())
	}
	f.Add("medqr1")
	f.Fuzz(func(t *testing.T, s string) {
		checkParse(t, s, ParseRecipient, ErrInvalidRecipient, func(a, b string) bool { return a == b })
	})
}

func FuzzParseIdentity(f *testing.F) {
	_, creds := vectorSeeds(f)
	for _, c := range creds {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, ok := checkParse(t, s, ParseIdentity, ErrInvalidIdentity, strings.EqualFold)
		if !ok {
			return
		}
		if mustParseRecipient(t, id.Recipient().String()).String() != id.Recipient().String() {
			t.Fatal("recipient round trip")
		}
	})
}

func mustParseRecipient(t *testing.T, s string) *Recipient {
	r, err := ParseRecipient(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// FuzzSecretLine: SecretLine gives one trimmed, non-comment line of the
// text, or an error that quotes none of it.
func FuzzSecretLine(f *testing.F) {
	for _, s := range []string{
		"", "\n", "# created: 2026-01-02T03:04:05Z\n# purpose: x\nMEDQR-KEY-1ABC\n",
		"  MEDQR-KEY-1ABC  ", "a\nb", "#only\n#comments", "\r\n\tkey\r\n", "# c\n\n  \nk\n# d\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		got, err := SecretLine(text)
		if err != nil {
			if got != "" {
				t.Fatalf("error %v with a result", err)
			}
			if strings.Contains(err.Error(), strings.TrimSpace(text)) && strings.TrimSpace(text) != "" {
				t.Fatalf("error %q quotes the input", err)
			}
			return
		}
		if got == "" || got != strings.TrimSpace(got) || strings.HasPrefix(got, "#") || strings.ContainsAny(got, "\r\n") {
			t.Fatalf("SecretLine(%q) = %q", text, got)
		}
		if !strings.Contains(text, got) {
			t.Fatalf("SecretLine(%q) = %q, not in the input", text, got)
		}
	})
}
