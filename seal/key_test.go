package seal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
	id, _ := GenerateIdentity(SuiteX25519)
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

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	k, _ := GenerateKey()
	p := filepath.Join(dir, "image.key")
	if err := WriteKeyFile(p, k, "medqr image key for scan 1"); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %o, want 600", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(p)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "# created: ") || lines[1] != "# purpose: medqr image key for scan 1" || lines[2] != k.String() {
		t.Fatalf("key file content:\n%s", data)
	}
	got, err := ReadKeyFile(p)
	if err != nil || !got.Equal(k) {
		t.Fatalf("ReadKeyFile: %v", err)
	}
	// Never overwrites.
	k2, _ := GenerateKey()
	if err := WriteKeyFile(p, k2, ""); !errors.Is(err, os.ErrExist) {
		t.Fatalf("overwrite: err = %v", err)
	}
	if got, _ := ReadKeyFile(p); !got.Equal(k) {
		t.Fatal("key file changed by a refused write")
	}
	// Readable by others: key plus a warning.
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err = ReadKeyFile(p)
	var w *PermissionWarning
	if !errors.As(err, &w) || !got.Equal(k) || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("group-readable file: key ok %v, err %v", got.Equal(k), err)
	}
	if strings.Contains(err.Error(), k.String()[11:]) {
		t.Fatal("warning quotes the key")
	}
}

func TestReadKeyFileErrors(t *testing.T) {
	dir := t.TempDir()
	k, _ := GenerateKey()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct{ name, content, want string }{
		{"empty", "", "holds no key"},
		{"comments", "# created: x\n\n", "holds no key"},
		{"two", k.String() + "\n" + k.String() + "\n", "2 non-comment lines"},
		{"truncated", "# c\n" + k.String()[:50] + "\n", "truncated"},
		{"crlf", "# c\r\n" + k.String() + "\r\n", ""},
		{"big", strings.Repeat("#", maxKeyFileSize+1), "larger than"},
	} {
		p := write(tc.name, tc.content)
		got, err := ReadKeyFile(p)
		if tc.want == "" {
			if err != nil || !got.Equal(k) {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: err = %v, want %q naming the file", tc.name, err, tc.want)
		}
		if strings.Contains(fmt.Sprint(err), k.String()[11:30]) {
			t.Errorf("%s: error quotes the key", tc.name)
		}
	}
	if _, err := ReadKeyFile(filepath.Join(dir, "absent")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("absent file: %v", err)
	}
	if _, err := ReadKeyFile(dir); err == nil {
		t.Error("directory accepted as key file")
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
