package seal

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkSecretFile checks what WriteKeyFile and WriteIdentityFile both
// promise for the file p they wrote with secret in it: mode 0600, the
// secret read back, a second write refused with the file left as it was,
// and, once group or others can read the file, the secret read back
// together with a *PermissionWarning that names the file but not the
// secret. rewrite writes another secret to p; read returns the secret
// string read from p ("" when there is none).
func checkSecretFile(t *testing.T, p, secret string, rewrite func() error, read func() (string, error)) {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %o, want 600", fi.Mode().Perm())
	}
	if got, err := read(); err != nil || got != secret {
		t.Fatalf("read back: %v", err)
	}
	before, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := rewrite(); !errors.Is(err, os.ErrExist) {
		t.Fatalf("overwrite: err = %v", err)
	}
	if after, err := os.ReadFile(p); err != nil || !bytes.Equal(after, before) {
		t.Fatalf("file changed by a refused write (%v)", err)
	}
	for _, mode := range []fs.FileMode{0o640, 0o604} {
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		got, err := read()
		var w *PermissionWarning
		if !errors.As(err, &w) || got != secret || !strings.Contains(err.Error(), "chmod 600 "+p) {
			t.Fatalf("mode %o: secret read back %v, err %v", mode, got == secret, err)
		}
		if strings.Contains(err.Error(), secret[len(secret)-20:]) {
			t.Fatalf("mode %o: warning quotes the secret", mode)
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
	data, _ := os.ReadFile(p)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "# created: ") || lines[1] != "# purpose: medqr image key for scan 1" || lines[2] != k.String() {
		t.Fatalf("key file content:\n%s", data)
	}
	checkSecretFile(t, p, k.String(),
		func() error {
			k2, _ := GenerateKey()
			return WriteKeyFile(p, k2, "")
		},
		func() (string, error) {
			got, err := ReadKeyFile(p)
			if got == (Key{}) {
				return "", err
			}
			return got.String(), err
		})
}

func TestIdentityFile(t *testing.T) {
	dir := t.TempDir()
	id := newIdentity(t, SuiteMLKEM768X25519)
	p := filepath.Join(dir, "id.txt")
	if err := WriteIdentityFile(p, id, "dr lee"); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(p)
	if !strings.Contains(string(data), "# public key: "+id.Recipient().String()+"\n") {
		t.Fatal("no public key comment")
	}
	checkSecretFile(t, p, id.String(),
		func() error { return WriteIdentityFile(p, newIdentity(t, SuiteX25519), "") },
		func() (string, error) {
			got, err := ReadIdentityFile(p)
			if got == nil {
				return "", err
			}
			return got.String(), err
		})
	if _, err := ReadKeyFile(p); !errors.Is(err, ErrInvalidKey) || !strings.Contains(err.Error(), "identity") {
		t.Fatalf("identity file read as key file: %v", err)
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

func TestSecretLine(t *testing.T) {
	k, _ := GenerateKey()
	for _, tc := range []struct {
		name, text, want string
		err              error
	}{
		{"bare key", k.String(), k.String(), nil},
		{"padded", "  " + k.String() + " \r\n", k.String(), nil},
		{"key file", "# created: 2026-01-02T03:04:05Z\n# purpose: scan 1\n\n" + k.String() + "\n", k.String(), nil},
		{"empty", "", "", ErrNoSecret},
		{"comments only", "# created: x\n\n  # y\n", "", ErrNoSecret},
		{"two lines", k.String() + "\n" + k.String(), "", ErrManySecrets},
	} {
		got, err := SecretLine(tc.text)
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("%s: SecretLine = %q, %v; want %q, %v", tc.name, got, err, tc.want, tc.err)
		}
	}
}
