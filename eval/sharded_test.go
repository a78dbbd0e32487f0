package eval

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medqr/medqr/eval/shard"
	"github.com/medqr/medqr/eval/shard/shardtest"
)

// quickShardConfig is the quick setting with the cheap subjects (the AES
// controls and the research scheme) on a dataset of six shipped X-rays
// (split "all") copied to a temporary folder.
func quickShardConfig(t *testing.T) Config {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("..", "data", "samples", "kermany_cxr_224")
	for _, class := range []string{"NORMAL", "PNEUMONIA"} {
		ents, err := os.ReadDir(filepath.Join(src, class))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, class), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, e := range ents[:3] {
			b, err := os.ReadFile(filepath.Join(src, class, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, class, e.Name()), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	cfg, err := LoadConfig("../experiments/eval_quick.json", []string{"subjects=aes-256-gcm,aes-ctr-reused-iv,aes-ecb,cipherimg-chacha20",
		"data.split=all", "data.max_images=5", "data.dir=" + dir})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func subjectsOf(t *testing.T, cfg Config) []Subject {
	t.Helper()
	subs := make([]Subject, len(cfg.Subjects))
	for i, n := range cfg.Subjects {
		var err error
		if subs[i], err = NewSubject(n, SubjectEnv{QRLevel: cfg.QRLevel}); err != nil {
			t.Fatal(err)
		}
	}
	return subs
}

func writeAll(t *testing.T, dir string, res *Results) {
	t.Helper()
	if err := WriteResults(dir, res); err != nil {
		t.Fatal(err)
	}
	if _, err := WritePlots(dir, res); err != nil {
		t.Fatal(err)
	}
}

// TestShardMergeExact: the quick evaluation, run unsharded and as 1, 2 and
// 3 shards (streamed one image at a time), merges into the same files byte
// for byte; a missing or doubled partial is refused.
func TestShardMergeExact(t *testing.T) {
	cfg := quickShardConfig(t)
	subs := subjectsOf(t, cfg)
	ctx := context.Background()
	images, err := LoadImages(cfg.Data, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	want, err := Run(ctx, cfg, images, subs, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantDir := t.TempDir()
	writeAll(t, wantDir, want)

	cacheDir := t.TempDir()
	for _, n := range []int{3} {
		var parts []*Partial
		for i := 0; i < n; i++ {
			s := shard.Spec{Index: i, Count: n}
			src, err := OpenShardSource(cfg.Data, s, cacheDir)
			if err != nil {
				t.Fatal(err)
			}
			p, err := RunShard(ctx, cfg, src, subs, s, 2, nil)
			src.Close()
			if err != nil {
				t.Fatal(err)
			}
			// through the file, as the merge reads it
			dir := t.TempDir()
			if err := WritePartial(dir, p); err != nil {
				t.Fatal(err)
			}
			if p, err = ReadPartial(dir); err != nil {
				t.Fatal(err)
			}
			t.Logf("%d shards: shard %d owns %d of %d images", n, i, len(p.Owned), len(p.Images))
			parts = append(parts, p)
		}
		got, err := Merge(parts)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		writeAll(t, dir, got)
		if n := shardtest.SameFiles(t, wantDir, dir, nil); n < 8 {
			t.Errorf("compared only %d files", n)
		}

		if n > 1 {
			var holder int
			for k, p := range parts {
				if len(p.Owned) > 0 {
					holder = k
				}
			}
			short := append(append([]*Partial{}, parts[:holder]...), parts[holder+1:]...)
			if _, err := Merge(short); err == nil || !strings.Contains(err.Error(), "no partial holds image") {
				t.Errorf("merge without partial %d: %v", holder, err)
			}
			if _, err := Merge(append(parts, parts[holder])); err == nil || !strings.Contains(err.Error(), "is in partials") {
				t.Errorf("merge with partial %d twice: %v", holder, err)
			}
		}
	}
}

// TestParsePartialRejects: malformed partial files give errors, never a
// partial result.
func TestParsePartialRejects(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"empty", ``, "bad partial"},
		{"schema", `{"schema":"medqr-eval-partial/v0"}`, "schema"},
		{"order", `{"schema":"medqr-eval-partial/v1","images":["a","b"],"owned":[1,0],"plaintext":[{},{}]}`, "out of order"},
		{"range", `{"schema":"medqr-eval-partial/v1","images":["a"],"owned":[3],"plaintext":[{}]}`, "out of order or range"},
		{"rows", `{"schema":"medqr-eval-partial/v1","images":["a"],"owned":[0],"plaintext":[]}`, "plaintext rows"},
		{"trials", `{"schema":"medqr-eval-partial/v1","config":{"plaintext_trials":2},"images":["a"],"owned":[0],"plaintext":[{}],"subjects":[{"name":"x","per_image":[{}],"plaintext_trials":[5],"plaintext_sensitivity":[{}]}]}`, "plaintext trial index"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePartial([]byte(tc.in))
			if err == nil || p != nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, %v; want an error containing %q", p, err, tc.want)
			}
		})
	}
}

// FuzzParsePartial: any input parses into a consistent Partial or fails.
func FuzzParsePartial(f *testing.F) {
	f.Add([]byte(`{"schema":"medqr-eval-partial/v1","images":["a"],"owned":[0],"plaintext":[{}],"subjects":[]}`))
	f.Add([]byte(`{"schema":"medqr-eval-partial/v1","config":{"plaintext_trials":2,"key_trials":1},"images":["a","b"],"owned":[1],"plaintext":[{}],"subjects":[{"name":"x","per_image":[{}],"plaintext_trials":[1],"plaintext_sensitivity":[{}],"key_trials":[0],"key_sensitivity":[{}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePartial(b)
		if (p == nil) == (err == nil) {
			t.Fatalf("partial %v with error %v", p, err)
		}
		if p != nil {
			if _, err := Merge([]*Partial{p}); err == nil && len(p.Owned) != len(p.Images) {
				t.Fatal("merge accepted a partial that misses images")
			}
		}
	})
}
