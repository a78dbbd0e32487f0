package data

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSplitOf(t *testing.T) {
	tests := []struct {
		prefix [8]byte
		want   string
	}{
		{[8]byte{}, SplitTrain},                                       // bucket 0
		{[8]byte{7: 79}, SplitTrain},                                  // bucket 79
		{[8]byte{7: 80}, SplitVal},                                    // bucket 80
		{[8]byte{7: 89}, SplitVal},                                    // bucket 89
		{[8]byte{7: 90}, SplitTest},                                   // bucket 90
		{[8]byte{7: 99}, SplitTest},                                   // bucket 99
		{[8]byte{7: 100}, SplitTrain},                                 // 100 mod 100 = 0
		{[8]byte{6: 1}, SplitTrain},                                   // 256 mod 100 = 56
		{[8]byte{255, 255, 255, 255, 255, 255, 255, 255}, SplitTrain}, // 2^64-1 mod 100 = 15
	}
	for _, tc := range tests {
		var sum [32]byte
		copy(sum[:], tc.prefix[:])
		sum[20] = 0xab // bytes after the first 8 do not matter
		if got := SplitOf(sum); got != tc.want {
			t.Errorf("SplitOf(%x...) = %s, want %s", tc.prefix, got, tc.want)
		}
	}
}

// TestSampleHolds: a sample holds exactly the content it was indexed with
// (the SHA-256 of "abc" is FIPS 180-2's first example).
func TestSampleHolds(t *testing.T) {
	const abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	for _, tc := range []struct {
		hash string
		b    string
		want bool
	}{
		{abc, "abc", true},
		{abc, "abd", false},
		{abc, "abc\n", false},
		{abc, "", false},
		{"", "", false},
	} {
		if got := (Sample{SHA256: tc.hash}).holds([]byte(tc.b)); got != tc.want {
			t.Errorf("Sample{SHA256: %.8s...}.holds(%q) = %v, want %v", tc.hash, tc.b, got, tc.want)
		}
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// smallDataset builds a folder with two classes, an unlabelled file at the
// root, a duplicate, a DICOM, a PNG and files that must be skipped.
func smallDataset(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	k := filepath.Join("samples", "kermany_cxr_224")
	normals, _ := filepath.Glob(filepath.Join(k, "NORMAL", "*.jpeg"))
	pneus, _ := filepath.Glob(filepath.Join(k, "PNEUMONIA", "*.jpeg"))
	for _, f := range normals[:4] {
		copyFile(t, f, filepath.Join(root, "NORMAL", filepath.Base(f)))
	}
	for _, f := range pneus[:4] {
		copyFile(t, f, filepath.Join(root, "PNEUMONIA", "sub", filepath.Base(f)))
	}
	copyFile(t, normals[0], filepath.Join(root, "PNEUMONIA", "dup.jpeg")) // same bytes, other class
	copyFile(t, filepath.Join("samples", "dicom", "pydicom_CT_small.dcm"), filepath.Join(root, "root.dcm"))
	os.WriteFile(filepath.Join(root, "NORMAL", "x.png"), encodePNG(t, benchImage(30, 20)), 0o644)
	os.WriteFile(filepath.Join(root, "README.md"), []byte("not an image"), 0o644)
	copyFile(t, normals[5], filepath.Join(root, ".hidden", "h.jpeg"))
	copyFile(t, normals[6], filepath.Join(root, "NORMAL", ".h.jpeg"))
	return root
}

func TestIndexFolder(t *testing.T) {
	root := smallDataset(t)
	m, err := Index(root)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(m.Classes, ",") != "NORMAL,PNEUMONIA" {
		t.Fatalf("classes %v", m.Classes)
	}
	if len(m.Samples) != 11 {
		t.Fatalf("%d samples, want 11: %+v", len(m.Samples), m.Samples)
	}
	var dupSplit, origSplit string
	for i, s := range m.Samples {
		if i > 0 && m.Samples[i-1].Path >= s.Path {
			t.Errorf("samples not sorted: %s before %s", m.Samples[i-1].Path, s.Path)
		}
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(s.Path)))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if s.SHA256 != hex.EncodeToString(sum[:]) || s.Size != int64(len(b)) || s.Split != SplitOf(sum) {
			t.Errorf("%s: hash/size/split wrong: %+v", s.Path, s)
		}
		wantLabel := -1
		switch {
		case strings.HasPrefix(s.Path, "NORMAL/"):
			wantLabel = 0
		case strings.HasPrefix(s.Path, "PNEUMONIA/"):
			wantLabel = 1
		}
		if s.Label != wantLabel {
			t.Errorf("%s: label %d, want %d", s.Path, s.Label, wantLabel)
		}
		if s.Path == "PNEUMONIA/dup.jpeg" {
			dupSplit = s.Split
		}
		if s.SHA256 == m.Samples[0].SHA256 && s.Path != "PNEUMONIA/dup.jpeg" {
			origSplit = s.Split
		}
	}
	if dupSplit == "" || dupSplit != origSplit {
		t.Errorf("duplicate content in different splits: %q vs %q", dupSplit, origSplit)
	}
	// The hash ignores the root: a moved copy has the same manifest hash.
	moved := filepath.Join(t.TempDir(), "elsewhere")
	if err := os.Rename(root, moved); err != nil {
		t.Fatal(err)
	}
	m2, err := Index(moved)
	if err != nil {
		t.Fatal(err)
	}
	if m2.Hash() != m.Hash() {
		t.Error("manifest hash depends on the folder location")
	}
	// Round trip through JSON.
	var buf bytes.Buffer
	if err := m2.WriteManifest(&buf); err != nil {
		t.Fatal(err)
	}
	mp := filepath.Join(t.TempDir(), "manifest.json")
	os.WriteFile(mp, buf.Bytes(), 0o644)
	m3, err := Index(mp)
	if err != nil {
		t.Fatal(err)
	}
	if m3.Hash() != m.Hash() || m3.Root != moved {
		t.Errorf("manifest round trip changed it: %s %s", m3.Hash(), m3.Root)
	}
	// A tampered split is refused.
	bad := strings.Replace(buf.String(), `"split": "train"`, `"split": "test"`, 1)
	os.WriteFile(mp, []byte(bad), 0o644)
	if _, err := ReadManifest(mp); err == nil || !strings.Contains(err.Error(), "its hash gives") {
		t.Errorf("tampered manifest: err = %v", err)
	}
}

func TestIndexErrors(t *testing.T) {
	empty := t.TempDir()
	os.WriteFile(filepath.Join(empty, "a.txt"), []byte("x"), 0o644)
	if _, err := Index(empty); err == nil || !strings.Contains(err.Error(), "no PNG, JPEG or DICOM") {
		t.Errorf("empty folder: %v", err)
	}
	if _, err := Index(filepath.Join(empty, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
	if _, err := Index(filepath.Join(empty, "a.txt")); err == nil {
		t.Error("text file indexed as npz")
	}
}

// TestIndexKermanySample pins the shipped sample's manifest: 500 images per
// class and the split sizes the content-hash rule gives.
func TestIndexKermanySample(t *testing.T) {
	m, err := Index(filepath.Join("samples", "kermany_cxr_224"))
	if err != nil {
		t.Fatal(err)
	}
	c := m.Counts()
	total := map[int]int{}
	for _, byLabel := range c {
		for l, n := range byLabel {
			total[l] += n
		}
	}
	if total[0] != 500 || total[1] != 500 || len(m.Samples) != 1000 {
		t.Fatalf("label totals %v, %d samples", total, len(m.Samples))
	}
	got := map[string]int{}
	for s, byLabel := range c {
		for _, n := range byLabel {
			got[s] += n
		}
	}
	if got[SplitTrain] != 797 || got[SplitVal] != 99 || got[SplitTest] != 104 {
		t.Errorf("split sizes %v, want train 797 val 99 test 104", got)
	}
}

func TestCacheBuildReadCorrupt(t *testing.T) {
	root := smallDataset(t)
	cacheDir := t.TempDir()
	m, err := Index(root)
	if err != nil {
		t.Fatal(err)
	}
	const size = 32
	path, err := BuildCache(m, size, cacheDir)
	if err != nil {
		t.Fatal(err)
	}
	a, err := ReadCache(path, m, size)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Images) != len(m.Samples) {
		t.Fatalf("%d images, want %d", len(a.Images), len(m.Samples))
	}
	for i, s := range m.Samples {
		d, err := Load(filepath.Join(root, filepath.FromSlash(s.Path)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Images[i].Pix, Preprocess(d.Display(), size).Pix) || a.Labels[i] != s.Label || a.Paths[i] != s.Path || a.Splits[i] != s.Split {
			t.Errorf("cache entry %d (%s) differs from a fresh decode", i, s.Path)
		}
	}
	// Reuse: a valid cache is not rewritten.
	fi1, _ := os.Stat(path)
	if p2, err := BuildCache(m, size, cacheDir); err != nil || p2 != path {
		t.Fatal(err)
	}
	fi2, _ := os.Stat(path)
	if !fi1.ModTime().Equal(fi2.ModTime()) {
		t.Error("valid cache was rebuilt")
	}
	// Select.
	tr := a.Select(SplitTrain)
	for _, s := range tr.Splits {
		if s != SplitTrain {
			t.Fatal("Select returned another split")
		}
	}
	orig, _ := os.ReadFile(path)
	for _, tc := range []struct {
		name   string
		mutate func([]byte) []byte
	}{
		{"flipped-pixel", func(b []byte) []byte { b[len(b)-100] ^= 1; return b }},
		{"truncated", func(b []byte) []byte { return b[:len(b)-1] }},
		{"bad-magic", func(b []byte) []byte { b[0] = 'X'; return b }},
		{"other-version", func(b []byte) []byte { b[8] = 9; return b }},
		{"empty", func(b []byte) []byte { return nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.WriteFile(path, tc.mutate(bytes.Clone(orig)), 0o644)
			if _, err := ReadCache(path, m, size); !errors.Is(err, ErrCacheInvalid) || !strings.Contains(err.Error(), path) {
				t.Fatalf("ReadCache: %v, want ErrCacheInvalid naming the file", err)
			}
			if _, err := BuildCache(m, size, cacheDir); err != nil {
				t.Fatalf("rebuild: %v", err)
			}
			if b, _ := os.ReadFile(path); !bytes.Equal(b, orig) {
				t.Fatal("rebuilt cache differs from the original build")
			}
		})
	}
	if _, err := ReadCache(path, m, size+1); !errors.Is(err, ErrCacheInvalid) {
		t.Errorf("wrong size: %v", err)
	}
	// A file changed after indexing is reported by name.
	victim := filepath.Join(root, filepath.FromSlash(m.Samples[0].Path))
	os.WriteFile(victim, []byte("changed"), 0o644)
	os.Remove(path)
	if _, err := BuildCache(m, size, cacheDir); !errors.Is(err, errChanged) || !strings.Contains(err.Error(), victim) {
		t.Errorf("changed file: %v", err)
	}
	// An undecodable image is reported by name when building.
	jp := filepath.Join(root, "NORMAL", "broken.jpeg")
	good, _ := os.ReadFile(filepath.Join(root, "PNEUMONIA", "dup.jpeg"))
	os.WriteFile(jp, good[:len(good)/3], 0o644)
	m2, err := Index(root) // re-index: "changed" is not an image and is skipped
	if err != nil {
		t.Fatal(err)
	}
	if _, err := BuildCache(m2, size, cacheDir); err == nil || !strings.Contains(err.Error(), jp) {
		t.Errorf("broken image: %v", err)
	}
	entries, _ := os.ReadDir(cacheDir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

func TestLoadSplitNPZ(t *testing.T) {
	cacheDir := t.TempDir()
	all, err := LoadSplitArrays(filepath.Join("testdata", "small_deflate.npz"), "all", 8, cacheDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Images) != 7 {
		t.Fatalf("%d images", len(all.Images))
	}
	n := 0
	for _, s := range []string{SplitTrain, SplitVal, SplitTest} {
		a, err := LoadSplitArrays(filepath.Join("testdata", "small_deflate.npz"), s, 8, cacheDir)
		if err != nil {
			t.Fatal(err)
		}
		n += len(a.Images)
	}
	if n != 7 {
		t.Errorf("splits hold %d images, want 7", n)
	}
	// Image 0 of train_images, preprocessed, equals Preprocess of the raw array.
	g := benchImage(3, 4)
	for y := 0; y < 4; y++ {
		for x := 0; x < 3; x++ {
			g.Pix[y*3+x] = npzPixel(0, 0, y, x)
		}
	}
	if !bytes.Equal(all.Images[0].Pix, Preprocess(g, 8).Pix) || all.Paths[0] != "train_images/0" || all.Labels[0] != 0 {
		t.Errorf("first cached NPZ image differs: %s label %d", all.Paths[0], all.Labels[0])
	}
	if _, err := LoadSplitArrays(filepath.Join("testdata", "small_deflate.npz"), "training", 8, cacheDir); err == nil {
		t.Error("unknown split accepted")
	}
}

func TestLoadSplitKermany(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes 99 JPEGs")
	}
	// A manifest holding only the val split of the shipped sample keeps
	// this test quick and exercises the manifest path of LoadSplit.
	m, err := Index(filepath.Join("samples", "kermany_cxr_224"))
	if err != nil {
		t.Fatal(err)
	}
	val, err := m.Split(SplitVal)
	if err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(m.Root)
	if err != nil {
		t.Fatal(err)
	}
	m.Root, m.Samples = abs, val
	var buf bytes.Buffer
	if err := m.WriteManifest(&buf); err != nil {
		t.Fatal(err)
	}
	mp := filepath.Join(t.TempDir(), "val.json")
	if err := os.WriteFile(mp, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MEDQR_CACHE_DIR", t.TempDir())
	imgs, err := LoadSplit(mp, SplitVal, 64)
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 99 {
		t.Fatalf("%d val images, want 99", len(imgs))
	}
	for _, g := range imgs {
		if g.Rect.Dx() != 64 || g.Rect.Dy() != 64 {
			t.Fatalf("image %v", g.Rect)
		}
	}
	if rest, err := LoadSplit(mp, SplitTrain, 64); err != nil || len(rest) != 0 {
		t.Fatalf("train split of a val-only manifest: %d images, %v", len(rest), err)
	}
}
