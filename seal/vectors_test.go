package seal

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/medqr/medqr/internal/testvec"
)

// A vector file: "key: value" header lines, a blank line, then one
// container per line in hex. Header keys:
//
//	expect:     success | wrong key | header failure | payload failure
//	error:      none | auth | format | version | mode | mixed | missing
//	comment:    what the vector checks
//	seed:       cryptotest seed the generator used (for regeneration)
//	key: / passphrase: / identity:  the credential to open with
//	meta:       codec=C width=W height=H depth=D level=L   (success only)
//	payload:    hex of the payload (success only)
//	missing:    1-based symbol numbers (error missing only)
type vector struct {
	name    string
	fields  map[string]string
	order   []string
	symbols [][]byte
}

func (v *vector) set(k, val string) {
	if _, ok := v.fields[k]; !ok {
		v.order = append(v.order, k)
	}
	v.fields[k] = val
}

func (v *vector) marshal() ([]byte, error) {
	fields := make([]testvec.Field, len(v.order))
	for i, k := range v.order {
		fields[i] = testvec.Field{Key: k, Value: v.fields[k]}
	}
	b, err := testvec.Format(fields)
	if err != nil {
		return nil, err
	}
	b = append(b, '\n')
	for _, s := range v.symbols {
		b = fmt.Appendf(b, "%x\n", s)
	}
	return b, nil
}

func parseVector(name string, data []byte) (*vector, error) {
	v := &vector{name: name, fields: map[string]string{}}
	head, body := testvec.Cut(data)
	fields, err := testvec.Parse(head)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	for _, f := range fields {
		v.set(f.Key, f.Value)
	}
	for line := range testvec.Lines(body) {
		b, err := hex.DecodeString(line)
		if err != nil {
			return nil, fmt.Errorf("%s: bad container hex: %v", name, err)
		}
		v.symbols = append(v.symbols, b)
	}
	for _, k := range []string{"expect", "error", "comment"} {
		if v.fields[k] == "" {
			return nil, fmt.Errorf("%s: no %s: header", name, k)
		}
	}
	return v, nil
}

func (v *vector) opener() (Opener, error) {
	switch {
	case v.fields["key"] != "":
		k, err := ParseKey(v.fields["key"])
		return KeyOpener(k), err
	case v.fields["passphrase"] != "":
		return PassphraseOpener(v.fields["passphrase"]), nil
	case v.fields["identity"] != "":
		id, err := ParseIdentity(v.fields["identity"])
		if err != nil {
			return nil, err
		}
		return IdentityOpener(id), nil
	}
	return nil, errors.New("no credential")
}

func metaString(m Meta) string {
	return fmt.Sprintf("codec=%d width=%d height=%d depth=%d level=%c", m.Codec, m.Width, m.Height, m.Depth, m.Level)
}

// errorClass names the class of an OpenMessage error.
func errorClass(err error) string {
	var (
		fe *FormatError
		me *ModeError
		mi *MissingError
	)
	switch {
	case err == nil:
		return "none"
	case errors.As(err, &mi):
		return "missing"
	case errors.As(err, &me):
		return "mode"
	case errors.Is(err, ErrMixed):
		return "mixed"
	case errors.Is(err, ErrVersion):
		return "version"
	case errors.As(err, &fe):
		return "format"
	case errors.Is(err, ErrAuth):
		return "auth"
	}
	return "other: " + err.Error()
}

// checkVector opens a vector and checks the outcome its header promises.
func checkVector(t *testing.T, v *vector) {
	t.Helper()
	o, err := v.opener()
	if err != nil {
		t.Fatalf("credential: %v", err)
	}
	m, payload, err := OpenMessage(v.symbols, o)
	if got, want := errorClass(err), v.fields["error"]; got != want {
		t.Fatalf("error class %q (%v), want %q", got, err, want)
	}
	if err != nil {
		if payload != nil || m != (Meta{}) {
			t.Fatal("bytes or meta returned with an error")
		}
		if v.fields["expect"] == "success" {
			t.Fatal("expect success but error class is set")
		}
		if want := v.fields["missing"]; want != "" {
			var mi *MissingError
			errors.As(err, &mi)
			var got []string
			for _, i := range mi.Missing {
				got = append(got, strconv.Itoa(i+1))
			}
			if strings.Join(got, ",") != want {
				t.Fatalf("missing %v, want %s", got, want)
			}
		}
		return
	}
	if v.fields["expect"] != "success" {
		t.Fatalf("opened a vector that expects %q", v.fields["expect"])
	}
	if got := metaString(m); got != v.fields["meta"] {
		t.Fatalf("meta %q, want %q", got, v.fields["meta"])
	}
	if got := hex.EncodeToString(payload); got != v.fields["payload"] {
		sum := sha256.Sum256(payload)
		t.Fatalf("payload differs (%d bytes, sha256 %x)", len(payload), sum)
	}
}

func vectorFiles(t testing.TB) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "vectors", "*"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = b
	}
	return out
}

// TestVectorsOpen opens every committed vector and checks its promised
// outcome (the open direction of the known answers).
func TestVectorsOpen(t *testing.T) {
	files := vectorFiles(t)
	if len(files) < 20 {
		t.Fatalf("only %d vectors in testdata/vectors", len(files))
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	seen := map[string]bool{}
	for _, n := range names {
		t.Run(n, func(t *testing.T) {
			v, err := parseVector(n, files[n])
			if err != nil {
				t.Fatal(err)
			}
			seen[v.fields["expect"]] = true
			checkVector(t, v)
		})
	}
	for _, e := range []string{"success", "wrong key", "header failure", "payload failure"} {
		if !seen[e] {
			t.Errorf("no vector expects %q", e)
		}
	}
}
