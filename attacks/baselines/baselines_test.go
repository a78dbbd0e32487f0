package baselines_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/medqr/medqr/attacks/baselines"
	"github.com/medqr/medqr/eval"
)

// TestQuick runs the quick setting twice on the shipped sample images:
// the normalised reports are equal, the literature breaks reproduce
// exactly, and cipherimg with fresh nonces resists every chosen- and
// known-plaintext attack (its chosen-ciphertext recovery is never claimed).
func TestQuick(t *testing.T) {
	cfg := baselines.QuickConfig()
	cfg.Data.Dir = filepath.Join("..", "..", cfg.Data.Dir)
	cfg.Schemes = []string{"cipherimg", "arnold", "logistic", "wang2020", "yang2023"}
	images, err := eval.LoadImages(cfg.Data, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	run := func() *baselines.Report {
		rep, res, samples, err := baselines.Run(context.Background(), cfg, images, baselines.Options{Code: "test"})
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := baselines.Write(dir, rep, res, samples, images[0].Gray); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{baselines.FileJSON, baselines.FileMarkdown, "samples/plain.png", "samples/arnold-recovered.png", "stats/results.json"} {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Errorf("missing %s: %v", f, err)
			}
		}
		return rep
	}
	a, b := run(), run()
	ja, _ := json.Marshal(baselines.Normalize(a))
	jb, _ := json.Marshal(baselines.Normalize(b))
	if string(ja) != string(jb) {
		t.Fatal("two runs of one config differ beyond their timings")
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
