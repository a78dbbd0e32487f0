package seal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"time"
)

// maxKeyFileSize bounds what ReadKeyFile and ReadIdentityFile read.
const maxKeyFileSize = 64 << 10

// PermissionWarning is returned together with a valid key or identity when
// the file is readable or writable by group or others. The caller should
// print it (it names the file, not the key) and go on.
type PermissionWarning struct {
	Path string
	Mode fs.FileMode
}

func (w *PermissionWarning) Error() string {
	return fmt.Sprintf("seal: key file %s has mode %04o and is accessible to other users: run \"chmod 600 %s\"", w.Path, uint32(w.Mode.Perm()), w.Path)
}

// WriteKeyFile creates path (it must not exist) with mode 0600 and writes
// "# created:" and "# purpose:" comment lines followed by the key string.
func WriteKeyFile(path string, k Key, purpose string) error {
	return writeSecretFile(path, purpose, nil, k.String())
}

// WriteIdentityFile creates path like WriteKeyFile, adding a
// "# public key:" comment with the recipient string.
func WriteIdentityFile(path string, id *Identity, purpose string) error {
	return writeSecretFile(path, purpose, []string{"public key: " + id.Recipient().String()}, id.String())
}

func writeSecretFile(path, purpose string, extra []string, secret string) error {
	if strings.ContainsAny(purpose, "\r\n") {
		return errors.New("seal: key file purpose must be one line")
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# created: %s\n", time.Now().UTC().Format(time.RFC3339))
	if purpose != "" {
		fmt.Fprintf(&b, "# purpose: %s\n", purpose)
	}
	for _, e := range extra {
		fmt.Fprintf(&b, "# %s\n", e)
	}
	b.WriteString(secret)
	b.WriteByte('\n')
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("seal: failed to create key file: %w", err)
	}
	_, err = f.Write(b.Bytes())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("seal: failed to write key file %s: %w", path, err)
	}
	return nil
}

// ReadKeyFile reads a key file written by WriteKeyFile (comment lines and
// blank lines are skipped; exactly one key string must remain). If the file
// is accessible to group or others it returns the key AND a
// *PermissionWarning; any other error comes with a zero key.
func ReadKeyFile(path string) (Key, error) {
	line, warn, err := readSecretFile(path)
	if err != nil {
		return Key{}, err
	}
	k, err := ParseKey(line)
	if err != nil {
		return Key{}, fmt.Errorf("key file %s: %w", path, err)
	}
	if warn != nil {
		return k, warn
	}
	return k, nil
}

// ReadIdentityFile reads an identity file written by WriteIdentityFile,
// with the same permission warning as ReadKeyFile.
func ReadIdentityFile(path string) (*Identity, error) {
	line, warn, err := readSecretFile(path)
	if err != nil {
		return nil, err
	}
	id, err := ParseIdentity(line)
	if err != nil {
		return nil, fmt.Errorf("identity file %s: %w", path, err)
	}
	if warn != nil {
		return id, warn
	}
	return id, nil
}

func readSecretFile(path string) (string, *PermissionWarning, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", nil, fmt.Errorf("seal: failed to open key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", nil, fmt.Errorf("seal: failed to stat key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return "", nil, fmt.Errorf("seal: key file %s is not a regular file", path)
	}
	var warn *PermissionWarning
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		warn = &PermissionWarning{Path: path, Mode: fi.Mode()}
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return "", nil, fmt.Errorf("seal: failed to read key file %s: %w", path, err)
	}
	if len(data) > maxKeyFileSize {
		return "", nil, fmt.Errorf("seal: key file %s is larger than %d bytes: not a key file", path, maxKeyFileSize)
	}
	found := secretLines(string(data))
	switch len(found) {
	case 0:
		return "", nil, fmt.Errorf("seal: key file %s holds no key", path)
	case 1:
		return found[0], warn, nil
	}
	return "", nil, fmt.Errorf("seal: key file %s holds %d non-comment lines, want exactly one key", path, len(found))
}

// Errors of SecretLine. They never quote the text, which holds a secret.
var (
	ErrNoSecret    = errors.New("seal: no key in it (only comments or blank lines)")
	ErrManySecrets = errors.New("seal: more than one line besides comments")
)

// SecretLine returns the secret in the text of a key or identity file (as
// WriteKeyFile and WriteIdentityFile write it) or in a bare key string: the
// one line that is neither blank nor a comment ('#'), trimmed, for
// ParseKey or ParseIdentity. ReadKeyFile and ReadIdentityFile apply the
// same rule to a file.
func SecretLine(text string) (string, error) {
	found := secretLines(text)
	switch len(found) {
	case 0:
		return "", ErrNoSecret
	case 1:
		return found[0], nil
	}
	return "", ErrManySecrets
}

// secretLines returns the lines of text that are neither blank nor
// comments, trimmed.
func secretLines(text string) []string {
	var found []string
	for l := range strings.Lines(text) {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			found = append(found, l)
		}
	}
	return found
}
