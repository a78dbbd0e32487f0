package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/medqr/medqr/codec"
)

// TestQuick is "medqr eval --quick" as a test: experiments/eval_quick.json
// on the shipped sample data's test split, every subject (in short mode
// without the codec and product subjects; without learned-code when the
// autoencoder's weights do not load). It checks the verdicts that the report
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
	_, learnedErr := codec.DefaultLearned()
	cfg.Subjects = slices.DeleteFunc(cfg.Subjects, func(n string) bool {
		switch {
		case testing.Short() && (strings.HasSuffix(n, "-code") || n == "product-sealed"):
			t.Logf("short mode: %s left out", n)
			return true
		case n == "learned-code" && learnedErr != nil:
			t.Logf("learned codec unavailable, learned-code left out: %v", learnedErr)
			return true
		}
		return false
	})
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
			// the codec ignores the key; its payload decodes to a
			// useful image
			if n := float64(m.KeyNPCR.Mean); n != 0 {
				t.Errorf("%s: key NPCR %v, want 0", s.Name, n)
			}
			if p := float64(m.PSNR.Mean); p < 28 {
				t.Errorf("%s: PSNR %v dB", s.Name, p)
			}
		case "product":
			// the sealed container fills one level-L symbol, decrypts
			// to the default codec's image, and a flipped key bit
			// gives a fresh message
			for _, st := range s.PerImage {
				if st.Samples != 2953 {
					t.Errorf("%s: %d bytes, want 2953", s.Name, st.Samples)
				}
			}
			if n := float64(m.KeyNPCR.Mean); n < 90 {
				t.Errorf("%s: key NPCR %v", s.Name, n)
			}
		}
	}
	// product-sealed decrypts to exactly what the default codec's payload
	// (iwave-code) decodes to
	byName := map[string]SubjectResult{}
	for _, s := range res.Subjects {
		byName[s.Name] = s
	}
	if ps, ok := byName["product-sealed"]; ok {
		ic, ok := byName["iwave-code"]
		if !ok {
			t.Fatal("product-sealed without iwave-code")
		}
		for i, st := range ps.PerImage {
			if st.Fidelity == nil || ic.PerImage[i].Fidelity == nil || st.Fidelity.PSNR != ic.PerImage[i].Fidelity.PSNR {
				t.Errorf("image %d: product-sealed fidelity %+v, iwave-code %+v", i, st.Fidelity, ic.PerImage[i].Fidelity)
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
