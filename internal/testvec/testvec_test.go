package testvec

import (
	"bytes"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/medqr/medqr/internal/testimg"
)

// TestParse reads each input with Parse and with ParseMap.
func TestParse(t *testing.T) {
	for _, c := range []struct {
		in     string
		want   []Field
		err    string            // a substring of Parse's error; "" for none
		m      map[string]string // ParseMap's result, where it has one
		mapErr string            // a substring of ParseMap's error; "" for none
	}{
		{in: "", m: map[string]string{}},
		{in: "a: 1\nb: x y\n", want: []Field{{"a", "1"}, {"b", "x y"}}, m: map[string]string{"a": "1", "b": "x y"}},
		{in: "# comment\n\nb: 2\n", want: []Field{{"b", "2"}}, m: map[string]string{"b": "2"}},
		{in: "b: 2\r\nc: 3", want: []Field{{"b", "2"}, {"c", "3"}}, m: map[string]string{"b": "2", "c": "3"}},
		{in: "a: \nb: c: d\n", want: []Field{{"a", ""}, {"b", "c: d"}}, m: map[string]string{"a": "", "b": "c: d"}},
		{in: "payload: 01\npayload: 02\n", want: []Field{{"payload", "01"}, {"payload", "02"}}, mapErr: `field "payload" stands more than once`},
		{in: "a: 1\nb 1\n", err: `line 2: "b 1" is not`, mapErr: "line 2"},
		{in: ": 1\n", err: "line 1", mapErr: "line 1"},
		{in: "a:1\n", err: "line 1", mapErr: "line 1"},
	} {
		got, err := Parse([]byte(c.in))
		if (err == nil) != (c.err == "") || (err != nil && !strings.Contains(err.Error(), c.err)) || !reflect.DeepEqual(got, c.want) {
			t.Errorf("Parse(%q) = %v, %v; want %v and error %q", c.in, got, err, c.want, c.err)
		}
		m, err := ParseMap([]byte(c.in))
		if (err == nil) != (c.mapErr == "") || (err != nil && !strings.Contains(err.Error(), c.mapErr)) || !reflect.DeepEqual(m, c.m) {
			t.Errorf("ParseMap(%q) = %v, %v; want %v and error %q", c.in, m, err, c.m, c.mapErr)
		}
	}
}

func TestCut(t *testing.T) {
	for _, c := range []struct {
		in, fields, body string
		hasBody          bool
	}{
		{in: "a: 1\nb: 2\n\n00ff\n01\n", fields: "a: 1\nb: 2\n", body: "00ff\n01\n", hasBody: true},
		{in: "a: 1\r\n\r\n00\r\n", fields: "a: 1\r\n", body: "00\r\n", hasBody: true},
		{in: "\n00\n", fields: "", body: "00\n", hasBody: true},
		{in: "a: 1\n\n", fields: "a: 1\n", body: "", hasBody: true},
		{in: "a: 1\nb: 2\n", fields: "a: 1\nb: 2\n"},
		{in: "a: 1", fields: "a: 1"},
	} {
		f, b := Cut([]byte(c.in))
		if string(f) != c.fields || string(b) != c.body || (b != nil) != c.hasBody {
			t.Errorf("Cut(%q) = %q, %q (body nil: %v); want %q, %q (body: %v)", c.in, f, b, b == nil, c.fields, c.body, c.hasBody)
		}
	}
}

func TestLines(t *testing.T) {
	var got []string
	for l := range Lines([]byte("a\r\n\nb\nc")) {
		got = append(got, l)
	}
	if want := []string{"a", "", "b", "c"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Lines = %q, want %q", got, want)
	}
	for l := range Lines([]byte("a\nb\n")) {
		if l != "a" {
			t.Errorf("Lines went on after its loop stopped, with %q", l)
		}
		break
	}
}

func TestFormat(t *testing.T) {
	fields := []Field{{"comment", "two symbols"}, {"payload", "00"}, {"payload", "ff"}}
	want := "comment: two symbols\npayload: 00\npayload: ff\n"
	out, err := Format(fields)
	if err != nil || string(out) != want {
		t.Errorf("Format = %q, %v; want %q", out, err, want)
	}
	if got, err := Parse(out); err != nil || !reflect.DeepEqual(got, fields) {
		t.Errorf("Parse(Format(fields)) = %v, %v; want %v", got, err, fields)
	}
	// Fields Parse could not give back are refused.
	for _, f := range []Field{{"", "v"}, {"# k", "v"}, {"a: b", "v"}, {"k", "two\nlines"}, {"k", "v\r"}, {"k\n", "v"}} {
		if out, err := Format([]Field{{"ok", "1"}, f}); err == nil {
			t.Errorf("Format(%q) = %q, want an error", f, out)
		}
	}
}

// FuzzParse: a file either fails with no fields, or its fields written by
// Format parse back to the same fields; Cut splits it without losing a
// byte.
func FuzzParse(f *testing.F) {
	testimg.AddSeeds(f, 4095,
		"../../seal/testdata/vectors/*",
		"../../qr/testdata/*.txt",
		"../../cipherimg/testdata/vectors/*.txt",
		"../../cipherimg/*/testdata/vectors/*.txt")
	f.Fuzz(func(t *testing.T, b []byte) {
		head, body := Cut(b)
		if body != nil && (len(head)+len(body) >= len(b) || !bytes.HasPrefix(b, head) || !bytes.HasSuffix(b, body)) {
			t.Fatalf("Cut(%q) = %q, %q", b, head, body)
		}
		if body == nil && !bytes.Equal(head, b) {
			t.Fatalf("Cut(%q) without an empty line = %q", b, head)
		}
		fields, err := Parse(b)
		if err != nil {
			if fields != nil {
				t.Fatal("fields with an error")
			}
			return
		}
		out, err := Format(fields)
		if err != nil {
			if !slices.ContainsFunc(fields, func(fl Field) bool { return strings.ContainsRune(fl.Key+fl.Value, '\r') }) {
				t.Fatalf("Format(%q) of parsed fields without a carriage return: %v", fields, err)
			}
			return // "v\r\r\n" parses as "v\r", which has no line of its own
		}
		again, err := Parse(out)
		if err != nil || !reflect.DeepEqual(again, fields) {
			t.Fatalf("Format(%v) parses back as %v, %v", fields, again, err)
		}
	})
}
