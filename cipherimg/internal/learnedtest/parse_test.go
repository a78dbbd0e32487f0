package learnedtest

import (
	"strings"
	"testing"

	"github.com/medqr/medqr/internal/testimg"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		ok   bool
		want string
	}{
		{"a: 1\nb: x y\n", true, "x y"},
		{"# comment\n\nb: 2\n", true, "2"},
		{"b: 1\nb: 2\n", false, ""},
		{"b 1\n", false, ""},
		{": 1\n", false, ""},
	} {
		m, err := Parse([]byte(c.in))
		if (err == nil) != c.ok || (c.ok && m["b"] != c.want) {
			t.Errorf("%q: %v, %v", c.in, m, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	testimg.AddSeeds(f, 4095, "../../*/testdata/vectors/*.txt")
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err != nil {
			if m != nil {
				t.Fatal("result with an error")
			}
			return
		}
		var fields [][2]string
		for k, v := range m {
			if strings.ContainsAny(k+v, "\n\r") || strings.HasPrefix(k, "#") {
				return
			}
			fields = append(fields, [2]string{k, v})
		}
		again, err := Parse(Format(fields))
		if err != nil || len(again) != len(m) {
			t.Fatalf("formatted fields do not parse back: %v", err)
		}
		for k, v := range m {
			if again[k] != v {
				t.Fatalf("field %q: %q became %q", k, v, again[k])
			}
		}
	})
}
