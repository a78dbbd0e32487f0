package seal

import (
	"bufio"
	"bytes"
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

func (v *vector) marshal() []byte {
	var b bytes.Buffer
	for _, k := range v.order {
		fmt.Fprintf(&b, "%s: %s\n", k, v.fields[k])
	}
	b.WriteByte('\n')
	for _, s := range v.symbols {
		fmt.Fprintf(&b, "%x\n", s)
	}
	return b.Bytes()
}

func parseVector(name string, data []byte) (*vector, error) {
	v := &vector{name: name, fields: map[string]string{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	header := true
	for sc.Scan() {
		line := sc.Text()
		if header {
			if line == "" {
				header = false
				continue
			}
			k, val, ok := strings.Cut(line, ": ")
			if !ok {
				return nil, fmt.Errorf("%s: bad header line %q", name, line)
			}
			v.set(k, val)
			continue
		}
		b, err := hex.DecodeString(line)
		if err != nil {
			return nil, fmt.Errorf("%s: bad container hex: %v", name, err)
		}
		v.symbols = append(v.symbols, b)
	}
	if err := sc.Err(); err != nil {
		return nil, err
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
