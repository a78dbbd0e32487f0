package baselines_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/medqr/medqr/attacks/baselines"
	"github.com/medqr/medqr/eval"
	"github.com/medqr/medqr/eval/shard"
	"github.com/medqr/medqr/eval/shard/shardtest"
)

// TestQuick runs the quick setting on the shipped sample images, once
// whole and once as 3 shards merged: the merged folder holds the same
// files, byte for byte apart from the timings (report.json and report.md
// compared normalised); the literature breaks reproduce exactly, and
// cipherimg with fresh nonces resists every chosen- and known-plaintext
// attack (its chosen-ciphertext recovery is never claimed).
func TestQuick(t *testing.T) {
	cfg := baselines.QuickConfig()
	cfg.Data.Dir = filepath.Join("..", "..", cfg.Data.Dir)
	cfg.Schemes = []string{"cipherimg", "arnold", "logistic", "wang2020", "yang2023"}
	src, err := eval.OpenShardSource(cfg.Data, shard.Spec{}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var images []eval.Image
	for i := range src.Len() {
		g, err := src.Image(i)
		if err != nil {
			t.Fatal(err)
		}
		images = append(images, eval.Image{Name: src.Name(i), Gray: g})
	}
	ctx := context.Background()
	a, res, samples, err := baselines.Run(ctx, cfg, images, baselines.Options{Code: "test"})
	if err != nil {
		t.Fatal(err)
	}
	whole := t.TempDir()
	if err := baselines.Write(whole, a, res, samples, images[0].Gray); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{baselines.FileJSON, baselines.FileMarkdown, "samples/plain.png", "samples/arnold-recovered.png", "stats/results.json"} {
		if _, err := os.Stat(filepath.Join(whole, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	var dirs []string
	for i := range 3 {
		s := shard.Spec{Index: i, Count: 3}
		p, ep, smp, err := baselines.RunShard(ctx, cfg, src, baselines.Options{Code: "test"}, s)
		if err != nil {
			t.Fatal(err)
		}
		d := filepath.Join(t.TempDir(), fmt.Sprint(i))
		if err := baselines.WriteShard(d, p, ep, smp, images[0].Gray, s, 1); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, d)
	}
	merged := t.TempDir()
	b, _, err := baselines.MergeShards(merged, []string{dirs[2], dirs[0], dirs[1]})
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(baselines.Normalize(a))
	jb, _ := json.Marshal(baselines.Normalize(b))
	if string(ja) != string(jb) {
		t.Fatal("the merged shards' report differs from the whole run's beyond timings")
	}
	if baselines.Markdown(baselines.Normalize(a)) != baselines.Markdown(baselines.Normalize(b)) {
		t.Fatal("the merged shards' report.md differs from the whole run's beyond timings")
	}
	var back baselines.Report
	if js, err := os.ReadFile(filepath.Join(merged, baselines.FileJSON)); err != nil || json.Unmarshal(js, &back) != nil {
		t.Fatalf("merged report.json unreadable: %v", err)
	}
	if jc, _ := json.Marshal(baselines.Normalize(&back)); string(jc) != string(ja) {
		t.Fatal("the merged report.json is not the merged report")
	}
	for _, d := range []string{baselines.DirStats, baselines.DirSamples} {
		shardtest.SameFiles(t, filepath.Join(whole, d), filepath.Join(merged, d), nil)
	}
	var miss *shard.MissingError
	if _, _, err := baselines.MergeShards(t.TempDir(), dirs[:2]); !errors.As(err, &miss) {
		t.Errorf("merge without shard 2: %v, want it missing", err)
	}
	broken := map[string]bool{"arnold": true, "logistic": true, "wang2020": true, "yang2023": true, "cipherimg": false}
	for _, s := range a.Schemes {
		if s.Skipped != "" {
			t.Fatalf("%s skipped: %s", s.Name, s.Skipped)
		}
		want, ok := broken[s.Name]
		if !ok {
			continue
		}
		got := false
		for _, at := range s.Attacks {
			if at.Full && !at.Exact {
				t.Errorf("%s/%s: claimed a wrong recovery", s.Name, at.Attack)
			}
			if s.Nonce && at.Full {
				t.Errorf("%s/%s: claimed a recovery under fresh nonces", s.Name, at.Attack)
			}
			if s.Nonce && at.Exact && at.Model != "chosen-ciphertext" {
				t.Errorf("%s/%s: %s attack recovered a fresh-nonce target", s.Name, at.Attack, at.Model)
			}
			got = got || at.Full
		}
		if got != want {
			t.Errorf("%s: broken %v, want %v", s.Name, got, want)
		}
		if s.Stats == nil || s.Stats.Exact != len(images) {
			t.Errorf("%s: not every image round-trips exactly", s.Name)
		}
	}
}

// FuzzParsePartial: any input parses into a consistent Partial or fails.
func FuzzParsePartial(f *testing.F) {
	f.Add([]byte(`{"schema":"medqr-baselines-partial/v1","report":{"schemes":[{"name":"a"},{"name":"b"}]},"owned_schemes":[1]}`))
	f.Add([]byte(`{"schema":"medqr-baselines-partial/v1","report":{"schemes":[]},"owned_schemes":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := baselines.ParsePartial(b)
		if (p == nil) == (err == nil) {
			t.Fatalf("partial %v with error %v", p, err)
		}
		if p != nil {
			for _, i := range p.Owned {
				_ = p.Report.Schemes[i].Name
			}
		}
	})
}
