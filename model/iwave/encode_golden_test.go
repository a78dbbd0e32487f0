package iwave

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/medqr/medqr/data"
)

var updateEncode = flag.Bool("update-encode", false, "rewrite testdata/encode.txt with the digests of this build's payloads and decodes")

// encodeBudgets are the version-40 byte capacities at QR levels L, M, Q, H.
var encodeBudgets = []int{2953, 2331, 1663, 1273}

// goldenImages returns testdata/cxr256.png and the first four test-split
// images of data/samples/kermany_cxr_224 (by path), named.
func goldenImages(t *testing.T) ([]string, []*image.Gray) {
	t.Helper()
	names := []string{"cxr256.png"}
	imgs := []*image.Gray{loadGray(t, "cxr256.png")}
	root := "../../data/samples/kermany_cxr_224"
	var paths []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".jpeg") {
			paths = append(paths, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(paths)
	for _, p := range paths {
		if len(imgs) == 5 {
			break
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if data.SplitOf(sha256.Sum256(b)) != data.SplitTest {
			continue
		}
		m, err := jpeg.Decode(strings.NewReader(string(b)))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		g := image.NewGray(m.Bounds())
		draw.Draw(g, g.Rect, m, m.Bounds().Min, draw.Src)
		rel, _ := filepath.Rel(root, p)
		names, imgs = append(names, filepath.ToSlash(rel)), append(imgs, g)
	}
	if len(imgs) != 5 {
		t.Fatalf("found %d test-split images under %s, want 4", len(imgs)-1, root)
	}
	return names, imgs
}

// TestEncodeGolden: the shipped codec's payload and decoded pixels (post-
// filter applied) of five real X-rays at the four QR budgets have the
// SHA-256 digests in testdata/encode.txt, written by this test with
// -update-encode. Speed work on rate control, entropy coding and the post-
// filter must leave every payload byte and pixel as it was. The encoder
// of version 4 (WithVersion(4), which model 378c's training used) must
// still write what it wrote before version 5: testdata/encode_v4.txt is
// encode.txt as the version-4 build wrote it, never rewritten; likewise
// WithVersion(5) and
// testdata/encode_v5.txt, encode.txt as the version-5 build wrote it.
// The frozen files were written with the weights of their time (model
// 378c) and are checked with that pair, kept in weights/earlier.
func TestEncodeGolden(t *testing.T) {
	names, imgs := goldenImages(t)
	for _, tc := range []struct {
		file    string
		version int // 0: the shipped codec as it is
		update  bool
	}{
		{"encode.txt", 0, *updateEncode},
		{"encode_v4.txt", 4, false},
		{"encode_v5.txt", 5, false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			c := Default()
			if tc.version != 0 {
				c = goldenCodec(t, tc.file).WithVersion(tc.version)
			}
			checkEncodeGolden(t, c, names, imgs, tc.file, tc.update)
		})
	}
}

// goldenCodec returns the shipped or earlier weights pair whose model id
// the second line of testdata/file names.
func goldenCodec(t *testing.T, file string) *Codec {
	t.Helper()
	b, err := os.ReadFile("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(string(b), "\n", 3)
	earlier, err := earlierCodecs()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range append([]*Codec{Default()}, earlier...) {
		id := c.ID()
		if len(lines) > 1 && lines[1] == "model "+hex.EncodeToString(id[:]) {
			return c
		}
	}
	t.Fatalf("testdata/%s names no shipped or earlier weights pair", file)
	return nil
}

func checkEncodeGolden(t *testing.T, c *Codec, names []string, imgs []*image.Gray, file string, update bool) {
	id := c.ID()
	var lines []string
	lines = append(lines, "# sha256 of payload and decoded pixels, shipped model, budgets 2953 2331 1663 1273 (encode_golden_test.go, -update-encode)", "model "+hex.EncodeToString(id[:]))
	for i, g := range imgs {
		for _, budget := range encodeBudgets {
			p, err := c.Encode(g, budget)
			if err != nil {
				t.Fatalf("%s at %d: %v", names[i], budget, err)
			}
			d, err := c.Decode(p)
			if err != nil {
				t.Fatalf("%s at %d: decode: %v", names[i], budget, err)
			}
			ps, ds := sha256.Sum256(p), sha256.Sum256(d.Pix)
			h, _ := ParseHeader(p)
			lines = append(lines, fmt.Sprintf("%s %d step %d gain %d bytes %d payload %x pixels %x", names[i], budget, h.Step, h.Gain, len(p), ps[:8], ds[:8]))
		}
	}
	text := strings.Join(lines, "\n") + "\n"
	path := "testdata/" + file
	if update {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var want []string
	for sc := bufio.NewScanner(f); sc.Scan(); {
		want = append(want, sc.Text())
	}
	if len(want) < 2 || want[1] != lines[1] {
		t.Fatalf("%s is not for model %x: if the shipped weights changed, regenerate encode.txt with -update-encode", path, id)
	}
	if len(want) != len(lines) {
		t.Fatalf("%s has %d lines, this build %d", path, len(want), len(lines))
	}
	for i := range lines {
		if lines[i] != want[i] {
			t.Errorf("got  %s\nwant %s", lines[i], want[i])
		}
	}
}
