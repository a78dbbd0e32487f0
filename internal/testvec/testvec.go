// Package testvec reads and writes the "key: value" files that hold
// medqr's test vectors (STYLE.md 9, after C2SP/CCTV): one field a line, the
// key, a colon and a space, then the value to the end of the line. Fields
// keep their file order and a key may repeat (qr's vectors list one
// payload line per symbol); Map turns fields whose keys are unique into a
// map. Empty lines and lines that start with "#" are skipped. A file that
// carries a body after its fields (seal's containers, one hex line each)
// ends the fields with its first empty line: Cut splits it there.
package testvec

import (
	"bytes"
	"fmt"
	"iter"
	"strings"
)

// Field is one "key: value" line.
type Field struct {
	Key, Value string
}

// Parse reads the fields of b in file order. A line with no ": " or with an
// empty key is an error naming its line number.
func Parse(b []byte) ([]Field, error) {
	var fields []Field
	n := 0
	for line := range Lines(b) {
		n++
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, ": ")
		if !ok || k == "" {
			return nil, fmt.Errorf("line %d: %q is not a \"key: value\" line", n, line)
		}
		fields = append(fields, Field{k, v})
	}
	return fields, nil
}

// Map returns fields as a map from key to value; a key that stands in
// more than one field is an error.
func Map(fields []Field) (map[string]string, error) {
	m := make(map[string]string, len(fields))
	for _, f := range fields {
		if _, dup := m[f.Key]; dup {
			return nil, fmt.Errorf("field %q stands more than once", f.Key)
		}
		m[f.Key] = f.Value
	}
	return m, nil
}

// ParseMap is Parse followed by Map: the fields of a file whose keys are
// unique.
func ParseMap(b []byte) (map[string]string, error) {
	fields, err := Parse(b)
	if err != nil {
		return nil, err
	}
	return Map(fields)
}

// Format writes fields one a line, in order, as Parse reads them back. A
// field Parse could not give back is an error: an empty key, a key that
// starts with "#" or holds ": ", a line break ("\n" or "\r") in a key or a
// value.
func Format(fields []Field) ([]byte, error) {
	var b bytes.Buffer
	for i, f := range fields {
		switch {
		case f.Key == "" || strings.HasPrefix(f.Key, "#") || strings.Contains(f.Key, ": "):
			return nil, fmt.Errorf("field %d: key %q would not read back", i+1, f.Key)
		case strings.ContainsAny(f.Key+f.Value, "\r\n"):
			return nil, fmt.Errorf("field %d (%s): a line break would not read back", i+1, f.Key)
		}
		b.WriteString(f.Key)
		b.WriteString(": ")
		b.WriteString(f.Value)
		b.WriteByte('\n')
	}
	return b.Bytes(), nil
}

// Cut splits b at its first empty line into the fields before it and the
// body after it; without an empty line all of b is fields and the body is
// nil.
func Cut(b []byte) (fields, body []byte) {
	at := 0
	for line := range bytes.Lines(b) {
		if len(trimEOL(line)) == 0 {
			return b[:at], b[at+len(line):]
		}
		at += len(line)
	}
	return b, nil
}

// Lines yields the lines of b without their "\n" or "\r\n" ending, as
// bufio.Scanner reads lines; a last line without an ending is yielded too.
func Lines(b []byte) iter.Seq[string] {
	return func(yield func(string) bool) {
		for line := range bytes.Lines(b) {
			if !yield(string(trimEOL(line))) {
				return
			}
		}
	}
}

func trimEOL(line []byte) []byte {
	return bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
}
