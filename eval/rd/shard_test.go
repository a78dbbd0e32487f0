package rd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"testing"

	"github.com/medqr/medqr/eval/shard"
)

// memSource is an eval.Source over images in memory, keyed by name.
type memSource []Image

func (m memSource) Len() int                         { return len(m) }
func (m memSource) Name(i int) string                { return m[i].Name }
func (m memSource) Key(i int) string                 { return "key/" + m[i].Name }
func (m memSource) Image(i int) (*image.Gray, error) { return m[i].Img, nil }

// shardImages is n small textured images, each different.
func shardImages(n int) []Image {
	out := make([]Image, n)
	for k := range out {
		g := image.NewGray(image.Rect(0, 0, 40, 32))
		for y := range 32 {
			for x := range 40 {
				g.SetGray(x, y, grayAt(30+3*x+2*y+17*((x*7+y*13+k*11)%5)+5*k))
			}
		}
		out[k] = Image{Name: fmt.Sprintf("img%02d", k), Img: g}
	}
	return out
}

func writeFiles(t *testing.T, rep *Report) map[string][]byte {
	t.Helper()
	dir := t.TempDir()
	if err := Write(dir, rep); err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range Files {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		out[f] = b
	}
	return out
}

// TestShardMergeExact: the shards of a run, written to their folders and
// merged, give the unsharded run's files byte for byte, for 1, 3 and 7
// shards (7 leaves some shards without images), with a codec limited to a
// subset of the images; a missing shard and a corrupted partial are refused.
func TestShardMergeExact(t *testing.T) {
	imgs := shardImages(7)
	cfg := Config{Data: "mem", Split: "all", Levels: tinyLevels, Methods: jpegMethods(t), Limit: map[string]int{"jpeg": 4}}
	whole, err := Run(context.Background(), cfg, imgs)
	if err != nil {
		t.Fatal(err)
	}
	want := writeFiles(t, whole)
	for _, n := range []int{1, 3, 7} {
		var dirs []string
		for i := range n {
			s := shard.Spec{Index: i, Count: n}
			p, err := RunShard(context.Background(), cfg, memSource(imgs), s)
			if err != nil {
				t.Fatal(err)
			}
			d := filepath.Join(t.TempDir(), fmt.Sprint(i))
			if err := WriteShard(d, p, s, "test", 1); err != nil {
				t.Fatal(err)
			}
			dirs = append(dirs, d)
		}
		rep, metas, err := MergeShards(dirs)
		if err != nil {
			t.Fatalf("%d shards: %v", n, err)
		}
		if len(metas) != n {
			t.Fatalf("%d metas for %d shards", len(metas), n)
		}
		for f, b := range writeFiles(t, rep) {
			if !bytes.Equal(b, want[f]) {
				t.Errorf("%d shards: %s differs from the unsharded run's", n, f)
			}
		}
		if n == 3 {
			var miss *shard.MissingError
			if _, _, err := MergeShards(dirs[:2]); !errors.As(err, &miss) || miss.Shards[0] != 2 {
				t.Errorf("merge of shards 0 and 1 of 3: %v, want shard 2 missing", err)
			}
		}
	}
	// a partial whose cells were reordered is refused
	p, err := RunShard(context.Background(), cfg, memSource(imgs), shard.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	p.Cells[0], p.Cells[1] = p.Cells[1], p.Cells[0]
	if _, err := Merge([]*Partial{p}); err == nil {
		t.Error("merge accepted cells out of place")
	}
}

// FuzzParsePartial: any input parses into a consistent Partial or fails,
// and a merge of one parsed partial never panics.
func FuzzParsePartial(f *testing.F) {
	f.Add([]byte(`{"schema":"medqr-rd-partial/v1","config":{"levels":[{"level":"L","budget":9}],"codecs":["a"],"kinds":["go"],"keys":[""]},"images":["x"],"owned":[0],"pixels_per_image":4,"cells":[{"image":"x","codec":"a","level":"L","budget":9,"bytes":3,"psnr":30}],"byte_stats":[{"exposed":true,"stats":{"hist":[1],"pairs":0}}],"codec_seconds":[0.1]}`))
	f.Add([]byte(`{"schema":"medqr-rd-partial/v1","config":{"levels":[{"level":"L"}],"codecs":["a","b"],"kinds":["go","codec"],"keys":["",""],"limit":{"b":1}},"images":["x","y"],"owned":[1],"cells":[{"image":"y","codec":"a","level":"L"}],"byte_stats":[{},{}],"codec_seconds":[0,0]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePartial(b)
		switch {
		case p == nil && err == nil, p != nil && err != nil:
			t.Fatalf("partial %v with error %v", p, err)
		case p == nil:
			return
		}
		// what parses, written again as WriteShard writes it, parses again
		again, err := shard.EncodePartial(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParsePartial(again); err != nil {
			t.Fatalf("a parsed partial does not parse again: %v", err)
		}
		if rep, err := Merge([]*Partial{p}); err == nil && len(rep.Images) != len(p.Owned) {
			t.Fatal("merge accepted a partial that misses images")
		}
	})
}
