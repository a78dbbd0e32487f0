package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/medqr/medqr/codec"
)

// TestQuick is "medqr eval --quick" as a test: experiments/eval_quick.json
// on the shipped sample data's test split, plus the product subjects when
// the learned codec's weights load. It checks the verdicts that the report
// rests on and that two runs give identical JSON.
func TestQuick(t *testing.T) {
	cfg, err := LoadConfig("../experiments/eval_quick.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Data.Dir = filepath.Join("..", cfg.Data.Dir)
	if _, err := os.Stat(cfg.Data.Dir); err != nil {
		t.Fatalf("shipped sample data missing: %v", err)
	}
	if testing.Short() {
		t.Log("short mode: product subjects left out")
	} else if _, err := codec.DefaultLearned(); err == nil {
		cfg.Subjects = append(cfg.Subjects, "learned-code", "product-sealed")
	} else {
		t.Logf("learned codec unavailable, product subjects left out: %v", err)
	}
	images, err := LoadImages(cfg.Data, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(images) != cfg.Data.MaxImages {
		t.Fatalf("%d images, want %d", len(images), cfg.Data.MaxImages)
	}
	subs := make([]Subject, len(cfg.Subjects))
	for i, n := range cfg.Subjects {
		if subs[i], err = NewSubject(n, SubjectEnv{QRLevel: cfg.QRLevel}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Run(context.Background(), cfg, images, subs, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Subjects {
		m := s.Summary
		switch s.Group {
		case "research":
			// same key and nonce, one pixel changed: the diffusion must
			// spread it over the whole image, and decryption is exact
			if p := float64(m.PlainNPCR.Pass); p < 0.75 {
				t.Errorf("%s: plaintext NPCR pass rate %v", s.Name, p)
			}
			if p := float64(m.KeyNPCR.Pass); p < 0.75 {
				t.Errorf("%s: key NPCR pass rate %v", s.Name, p)
			}
			if m.Exact != len(images) {
				t.Errorf("%s: %d of %d decryptions exact", s.Name, m.Exact, len(images))
			}
			if e := float64(m.Entropy.Mean); e < 7.99 {
				t.Errorf("%s: entropy %v", s.Name, e)
			}
		case "codec":
			// the codec ignores the key
			if n := float64(m.KeyNPCR.Mean); n != 0 {
				t.Errorf("%s: key NPCR %v, want 0", s.Name, n)
			}
		}
	}
	dir := t.TempDir()
	if err := WriteResults(dir, res); err != nil {
		t.Fatal(err)
	}
	files, err := WritePlots(dir, res)
	if err != nil {
		t.Fatal(err)
	}
	if want := 3*len(res.Subjects) + 1; len(files) != want {
		t.Errorf("%d plots, want %d", len(files), want)
	}

	// determinism: the research subjects give the same numbers again (the
	// harness's own determinism is covered by TestRunControls)
	var again []Subject
	for _, s := range subs {
		if s.Group == "research" {
			again = append(again, s)
		}
	}
	res2, err := Run(context.Background(), cfg, images, again, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s2 := range res2.Subjects {
		for _, s1 := range res.Subjects {
			if s1.Name != s2.Name {
				continue
			}
			a, _ := json.Marshal(s1)
			b, _ := json.Marshal(s2)
			if !bytes.Equal(a, b) {
				t.Errorf("%s: two runs differ", s1.Name)
			}
		}
	}
}
