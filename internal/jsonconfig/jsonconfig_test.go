package jsonconfig

import (
	"errors"
	"os"
	"strings"
	"testing"
)

type inner struct {
	Channels int     `json:"channels"`
	Leak     float64 `json:"leak"`
}

type cfg struct {
	Name   string `json:"name"`
	Steps  int    `json:"steps"`
	Sizes  []int  `json:"sizes"`
	Filter inner  `json:"filter"`
}

func TestDecodeStrict(t *testing.T) {
	var c cfg
	if err := DecodeStrict([]byte(`{"name":"a","steps":3}`), &c); err != nil || c.Steps != 3 {
		t.Fatalf("c=%+v err=%v", c, err)
	}
	for _, bad := range []string{`{"stepz":1}`, `{"steps":1} {}`, `{"steps":"x"}`, ``} {
		if err := DecodeStrict([]byte(bad), &c); err == nil {
			t.Errorf("DecodeStrict(%q) accepted", bad)
		}
	}
}

func TestSet(t *testing.T) {
	c := cfg{Name: "base", Steps: 1, Filter: inner{Channels: 16, Leak: 0.1}}
	for _, kv := range []string{"steps=7", "filter.channels=8", "name=x y", `sizes=[1,2]`} {
		if err := Set(&c, kv); err != nil {
			t.Fatalf("Set(%q): %v", kv, err)
		}
	}
	if c.Steps != 7 || c.Filter.Channels != 8 || c.Filter.Leak != 0.1 || c.Name != "x y" || len(c.Sizes) != 2 {
		t.Fatalf("overrides not applied: %+v", c)
	}
	if err := Set(&c, `name="quoted"`); err != nil || c.Name != "quoted" {
		t.Fatalf("quoted string: %q %v", c.Name, err)
	}
	before := c
	for _, tc := range []struct{ kv, want string }{
		{"nope=1", `unknown config field "nope"`},
		{"filter.nope=1", `unknown config field "filter.nope"`},
		{"steps=abc", "not valid JSON"},
		{"steps", "want key=value"},
		{"=1", "want key=value"},
		{"steps.x=1", "not a group"},
		{"steps=1.5", "steps"},
	} {
		err := Set(&c, tc.kv)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Set(%q) = %v, want %q", tc.kv, err, tc.want)
		}
	}
	if c.Name != before.Name || c.Steps != before.Steps || c.Filter != before.Filter {
		t.Fatalf("a failed Set changed the config: %+v -> %+v", before, c)
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	var v struct {
		A int `json:"a"`
	}
	good := dir + "/good.json"
	if err := os.WriteFile(good, []byte(`{"a": 3}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := ReadFile(good, &v); err != nil || v.A != 3 {
		t.Fatalf("good file: %v, %+v", err, v)
	}
	bad := dir + "/bad.json"
	if err := os.WriteFile(bad, []byte(`{"b": 3}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := ReadFile(bad, &v); err == nil || !strings.HasPrefix(err.Error(), "config "+bad+": ") {
		t.Fatalf("unknown field: %v", err)
	}
	if err := ReadFile(dir+"/missing.json", &v); !errors.Is(err, os.ErrNotExist) || !strings.HasPrefix(err.Error(), "failed to read config: ") {
		t.Fatalf("missing file: %v", err)
	}
}
