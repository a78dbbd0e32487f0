package data

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// smallFolder copies n shipped X-rays into a class folder of a temporary
// dataset and indexes it.
func smallFolder(t *testing.T, n int) *Manifest {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("samples", "kermany_cxr_224", "NORMAL")
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "NORMAL"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, e := range ents[:n] {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "NORMAL", e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err := Index(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestCacheStream: BuildCacheStream writes the same bytes as BuildCache
// (window boundaries included), OpenCache reads the same images as
// ReadCache, a flipped byte is refused, and a manifest's subset has a
// cache file of its own.
func TestCacheStream(t *testing.T) {
	defer func(w int) { streamWindow = w }(streamWindow)
	streamWindow = 3 // 7 images: two full windows and one partial
	m := smallFolder(t, 7)
	for _, n := range []int{0, 1, len(m.Samples)} {
		sub := m.Subset(func(s Sample) bool { return n > 0 && (n == len(m.Samples) || s.Path == m.Samples[0].Path) })
		a, b := t.TempDir(), t.TempDir()
		pa, err := BuildCache(sub, 32, a)
		if err != nil {
			t.Fatal(err)
		}
		pb, err := BuildCacheStream(sub, 32, b)
		if err != nil {
			t.Fatal(err)
		}
		ba, _ := os.ReadFile(pa)
		bb, _ := os.ReadFile(pb)
		if filepath.Base(pa) != filepath.Base(pb) || !bytes.Equal(ba, bb) {
			t.Fatalf("%d images: the streamed cache differs from BuildCache's", n)
		}
		arr, err := ReadCache(pa, sub, 32)
		if err != nil {
			t.Fatal(err)
		}
		cr, err := OpenCache(pb, sub, 32)
		if err != nil {
			t.Fatal(err)
		}
		if cr.Len() != len(arr.Images) {
			t.Fatalf("OpenCache sees %d images, ReadCache %d", cr.Len(), len(arr.Images))
		}
		for i := range arr.Images {
			g, err := cr.Image(i)
			if err != nil || !bytes.Equal(g.Pix, arr.Images[i].Pix) || cr.Path(i) != arr.Paths[i] {
				t.Fatalf("image %d differs: %v", i, err)
			}
		}
		if _, err := cr.Image(cr.Len()); err == nil {
			t.Error("image past the end read")
		}
		cr.Close()
		if n == 1 && sub.Hash() == m.Hash() {
			t.Error("a subset has its manifest's hash")
		}
	}
	// corruption and mismatches are refused with ErrCacheInvalid
	dir := t.TempDir()
	p, err := BuildCacheStream(m, 32, dir)
	if err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(p)
	for _, tc := range []struct {
		name string
		edit func([]byte) []byte
		size int
	}{
		{"pixel", func(b []byte) []byte { b[len(b)-40] ^= 1; return b }, 32},
		{"checksum", func(b []byte) []byte { b[len(b)-1] ^= 1; return b }, 32},
		{"truncated", func(b []byte) []byte { return b[:len(b)-100] }, 32},
		{"magic", func(b []byte) []byte { b[0] = 'X'; return b }, 32},
		{"size", func(b []byte) []byte { return b }, 64},
	} {
		bad := filepath.Join(t.TempDir(), "c.bin")
		if err := os.WriteFile(bad, tc.edit(append([]byte{}, good...)), 0o644); err != nil {
			t.Fatal(err)
		}
		if c, err := OpenCache(bad, m, tc.size); !errors.Is(err, ErrCacheInvalid) || c != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}
