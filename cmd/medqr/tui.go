package main

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/medqr/medqr/seal"
	"github.com/sirupsen/logrus"
)

// All user-facing error text goes through this file:
//
//	medqr: error: failed to read key file: open k.txt: no such file or directory
//	medqr: hint: pass the key string printed by "medqr encrypt" or the path of its key file
//
// Messages are lowercase without a trailing period. They may quote a public
// key or a path, never a secret key or a passphrase.

// hintError attaches a next step to an error.
type hintError struct {
	err  error
	hint string
}

func (h hintError) Error() string { return h.err.Error() }
func (h hintError) Unwrap() error { return h.err }

// withHint wraps err with a hint; a nil err stays nil.
func withHint(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return hintError{err: err, hint: fmt.Sprintf(format, args...)}
}

// usageError is a bad command line; it exits with exitUsage.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

// authError marks a failure to authenticate (wrong key, tampering); it exits
// with exitAuth.
type authError struct{ err error }

func (a authError) Error() string { return a.err.Error() }
func (a authError) Unwrap() error { return a.err }

// keyLike matches what could be the body of a key or identity string: a
// "1" and 50 or more characters of the bech32 alphabet (a key's body has
// 58). redactKeys replaces each with a placeholder, so that no error path,
// even one that quotes an argument it took for a file name, prints a
// secret. Public recipient strings (medqr1..., medqrpq1...) are kept.
var keyLike = regexp.MustCompile(`(?i)1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{50,}`)

func redactKeys(s string) string {
	var b strings.Builder
	last := 0
	for _, m := range keyLike.FindAllStringIndex(s, -1) {
		if pre := s[:m[0]]; strings.HasSuffix(pre, "medqr") || strings.HasSuffix(pre, "medqrpq") {
			continue
		}
		b.WriteString(s[last:m[0]])
		b.WriteString("[a key-like string, not shown]")
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

func printError(e *env, err error) {
	msg := redactKeys(err.Error())
	msg = strings.TrimPrefix(msg, "medqr: ")
	fmt.Fprintf(e.stderr, "medqr: error: %s\n", msg)
	var h hintError
	if errors.As(err, &h) && h.hint != "" {
		fmt.Fprintf(e.stderr, "medqr: hint: %s\n", redactKeys(h.hint))
	}
	var u usageError
	if errors.As(err, &u) {
		fmt.Fprintln(e.stderr, `medqr: hint: run "medqr help" or "medqr help COMMAND" for usage`)
	}
}

func warningf(e *env, format string, args ...any) {
	fmt.Fprintf(e.stderr, "medqr: warning: %s\n", redactKeys(fmt.Sprintf(format, args...)))
}

// permissionWarning prints a seal.PermissionWarning (a key or identity
// file that others may read) as a warning and returns nil; other errors,
// and nil, are returned as they are.
func permissionWarning(e *env, err error) error {
	var pw *seal.PermissionWarning
	if errors.As(err, &pw) {
		warningf(e, "%v", pw)
		return nil
	}
	return err
}

func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) {
		return exitUsage
	}
	var a authError
	if errors.As(err, &a) {
		return exitAuth
	}
	return exitError
}

// tuiFormatter writes text log lines in the same voice as errors:
//
//	medqr: wrote key file k.txt (mode 0600)
//	medqr: warning: ...
//	medqr: debug: ... key=value
//
// (--log-format json keeps logrus's JSON lines for machines).
type tuiFormatter struct{}

func (tuiFormatter) Format(en *logrus.Entry) ([]byte, error) {
	var b strings.Builder
	b.WriteString("medqr: ")
	switch en.Level {
	case logrus.InfoLevel:
	case logrus.WarnLevel:
		b.WriteString("warning: ")
	case logrus.ErrorLevel, logrus.FatalLevel, logrus.PanicLevel:
		b.WriteString("error: ")
	default:
		b.WriteString(en.Level.String() + ": ")
	}
	b.WriteString(redactKeys(strings.TrimPrefix(en.Message, "medqr: ")))
	keys := make([]string, 0, len(en.Data))
	for k := range en.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%v", k, en.Data[k])
	}
	b.WriteByte('\n')
	return []byte(b.String()), nil
}
