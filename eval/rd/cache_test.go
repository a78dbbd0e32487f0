package rd

import (
	"bytes"
	"context"
	"image"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// TestCache checks a keyed method's results come back from the cache
// without coding again and give the same report, that a different key or a
// damaged entry codes again, that entries and their folders are private
// to their owner, and that unkeyed methods are never cached.
func TestCache(t *testing.T) {
	imgs := tiny()
	jm := jpegMethods(t)
	var calls atomic.Int32
	keyed := func(key string) Method {
		m := jm[1] // gojpeg: deterministic, exposes its bytes
		inner := m.Code
		m.Key = key
		m.Code = func(g *image.Gray, budget int) (Coding, error) {
			calls.Add(1)
			return inner(g, budget)
		}
		return m
	}
	// A budget gojpeg cannot meet, so failures are cached too.
	levels := append(append([]Level(nil), tinyLevels...), Level{Level: "Z", Budget: 50})
	run := func(dir string, m Method) []byte {
		t.Helper()
		rep, err := Run(context.Background(), Config{Levels: levels, Methods: []Method{m}, Cache: dir}, imgs)
		if err != nil {
			t.Fatal(err)
		}
		js, err := JSON(rep)
		if err != nil {
			t.Fatal(err)
		}
		return js
	}
	plain := run("", keyed("gojpeg q"))
	units := int32(len(imgs) * len(levels))
	dir := t.TempDir()
	tests := []struct {
		name      string
		key       string
		wantCalls int32
		before    func()
	}{
		{"cold", "gojpeg q", units, nil},
		{"warm", "gojpeg q", 0, nil},
		{"other settings", "gojpeg r", units, nil},
		{"damaged entry", "gojpeg q", 1, func() {
			k := cacheKey(keyed("gojpeg q"), imgs[0], levels[0].Budget)
			if err := os.WriteFile(filepath.Join(dir, k[:2], k+".json"), []byte("{"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.before != nil {
				tc.before()
			}
			calls.Store(0)
			got := run(dir, keyed(tc.key))
			if n := calls.Load(); n != tc.wantCalls {
				t.Errorf("coded %d times, want %d", n, tc.wantCalls)
			}
			if !bytes.Equal(got, plain) {
				t.Error("report differs from the uncached one")
			}
		})
	}
	// Entries hold encodings of the images: only their owner reads them.
	k := cacheKey(keyed("gojpeg r"), imgs[0], levels[0].Budget)
	for _, p := range []string{filepath.Join(dir, k[:2], k+".json"), filepath.Join(dir, k[:2])} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s: mode %v, want no access for group or others", p, perm)
		}
	}
	calls.Store(0)
	run(dir, keyed(""))
	run(dir, keyed(""))
	if n := calls.Load(); n != 2*units {
		t.Errorf("unkeyed method coded %d times, want %d", n, 2*units)
	}
}
