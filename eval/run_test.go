package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testImages cuts n 128x128 tiles (overlapping, shifted) from the X-ray
// fixture.
func testImages(t testing.TB, n int) []Image {
	t.Helper()
	x := readPNG(t, "testdata/fidelity/xray.png").(*image.Gray)
	var out []Image
	for i := range n {
		sub := x.SubImage(image.Rect(8*i, 4*i, 8*i+128, 4*i+128)).(*image.Gray)
		out = append(out, Image{Name: "tile" + string(rune('a'+i)), Gray: cloneGray(sub)})
	}
	return out
}

func quickConfig() Config {
	c := DefaultConfig()
	c.Subjects = []string{"aes-256-gcm", "aes-ctr-reused-iv", "aes-ecb"}
	c.PlaintextTrials, c.KeyTrials, c.LocalNullTrials = 12, 6, 300
	c.Plots = false
	return c
}

func controls(t testing.TB, names []string) []Subject {
	var subs []Subject
	for _, n := range names {
		s, err := NewSubject(n, SubjectEnv{QRLevel: "L"})
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, s)
	}
	return subs
}

func TestRunControls(t *testing.T) {
	cfg := quickConfig()
	imgs := testImages(t, 3)
	units := 0
	res, err := Run(context.Background(), cfg, imgs, controls(t, cfg.Subjects), func(n int) { units += n })
	if err != nil {
		t.Fatal(err)
	}
	if want := Units(cfg, len(imgs), len(cfg.Subjects)); units != want {
		t.Errorf("progress units %d, want %d", units, want)
	}
	by := map[string]SubjectResult{}
	for _, s := range res.Subjects {
		by[s.Name] = s
	}
	gcm, ctr, ecb := by["aes-256-gcm"], by["aes-ctr-reused-iv"], by["aes-ecb"]
	n := 128 * 128
	// CTR with a reused IV: one pixel in, one pixel out.
	for _, tr := range ctr.PlainSens {
		if math.Abs(float64(tr.NPCR)-100.0/float64(n)) > 1e-12 || tr.NPCRPass {
			t.Fatalf("ctr plaintext trial: NPCR %v, want %v and a failure", tr.NPCR, 100.0/float64(n))
		}
	}
	// ECB: one 16-byte block changes.
	for _, tr := range ecb.PlainSens {
		if float64(tr.NPCR) > 100*16.0/float64(n) || tr.NPCRPass {
			t.Fatalf("ecb plaintext trial: NPCR %v", tr.NPCR)
		}
	}
	if p := float64(gcm.Summary.PlainNPCR.Pass); p < 0.75 {
		t.Errorf("gcm plaintext NPCR pass rate %v", p)
	}
	for _, s := range []SubjectResult{gcm, ctr, ecb} {
		if s.Summary.Exact != len(imgs) {
			t.Errorf("%s: %d exact reconstructions of %d", s.Name, s.Summary.Exact, len(imgs))
		}
		if p := float64(s.Summary.KeyNPCR.Pass); p < 0.5 {
			t.Errorf("%s: key NPCR pass rate %v", s.Name, p)
		}
	}
	// plaintext X-ray tiles are not random
	if p := float64(res.Plaintext.Summary.Entropy.Pass); p != 0 {
		t.Errorf("plaintext entropy pass rate %v", p)
	}
	if r := float64(res.Plaintext.Summary.Corr[0].Mean); r < 0.8 {
		t.Errorf("plaintext horizontal correlation %v", r)
	}
	if res.Reference.Local.K != 4 { // 128x128 holds 2x2 blocks of 44x44
		t.Errorf("local k = %d, want 4", res.Reference.Local.K)
	}

	// Same config, same JSON.
	res2, err := Run(context.Background(), cfg, imgs, controls(t, cfg.Subjects), nil)
	if err != nil {
		t.Fatal(err)
	}
	j1, _ := json.Marshal(res)
	j2, _ := json.Marshal(res2)
	if !bytes.Equal(j1, j2) {
		t.Error("two runs gave different JSON")
	}
	// A different seed changes the numbers.
	cfg.Seed++
	res3, err := Run(context.Background(), cfg, imgs, controls(t, cfg.Subjects), nil)
	if err != nil {
		t.Fatal(err)
	}
	if j3, _ := json.Marshal(res3); bytes.Equal(j1, j3) {
		t.Error("a different seed gave the same JSON")
	}

	dir := t.TempDir()
	if err := WriteResults(dir, res); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{FileJSON, FileSummaryCSV, FilePerImageCSV, FileTrialsCSV, FileRefCSV, FileReport} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil || len(b) == 0 {
			t.Errorf("%s: %v (%d bytes)", f, err, len(b))
		}
	}
	md, _ := os.ReadFile(filepath.Join(dir, FileReport))
	if !strings.Contains(string(md), "| plaintext NPCR | 100 % | 0 % | 0 % | **yes** | **yes** |") && float64(gcm.Summary.PlainNPCR.Pass) == 1 {
		t.Errorf("report lacks the controls verdict:\n%s", md)
	}
	var back Results
	if err := json.Unmarshal(j1, &back); err != nil {
		t.Errorf("results.json does not parse back: %v", err)
	}
}

func TestRunErrors(t *testing.T) {
	cfg := quickConfig()
	if _, err := Run(context.Background(), cfg, nil, nil, nil); err == nil {
		t.Error("no images: no error")
	}
	imgs := testImages(t, 2)
	imgs[1].Gray = constGray(64, 64, 0)
	if _, err := Run(context.Background(), cfg, imgs, nil, nil); err == nil || !strings.Contains(err.Error(), "tileb") {
		t.Errorf("mixed sizes: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, cfg, testImages(t, 2), controls(t, cfg.Subjects), nil); err == nil {
		t.Error("cancelled context: no error")
	}
}

func TestConfig(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.json")
	os.WriteFile(p, []byte(`{"seed": 5, "data": {"max_images": 3}, "subjects": ["aes-ecb"]}`), 0o644)
	c, err := LoadConfig(p, []string{"key_trials=7", "data.size=128", "plots=false", "subjects=aes-ecb,aes-256-gcm"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Seed != 5 || c.Data.MaxImages != 3 || c.KeyTrials != 7 || c.Data.Size != 128 || c.Plots || len(c.Subjects) != 2 || c.Data.Split != "test" {
		t.Errorf("config %+v", c)
	}
	bad := []struct {
		file      string
		overrides []string
	}{
		{`{"sede": 5}`, nil},
		{`{"seed": 5} {}`, nil},
		{`{}`, []string{"nope=1"}},
		{`{}`, []string{"data.nope=1"}},
		{`{}`, []string{"key_trials=x"}},
		{`{}`, []string{"alpha=0.7"}},
		{`{}`, []string{"subjects=rot13"}},
		{`{}`, []string{"qr_level=X"}},
		{`{}`, []string{"novalue"}},
	}
	for _, b := range bad {
		os.WriteFile(p, []byte(b.file), 0o644)
		if _, err := LoadConfig(p, b.overrides); err == nil {
			t.Errorf("config %s %v: no error", b.file, b.overrides)
		}
	}
	if _, err := LoadConfig(filepath.Join(dir, "missing.json"), nil); err == nil {
		t.Error("missing file: no error")
	}
}

func TestNumJSON(t *testing.T) {
	in := []Num{1.5, Num(math.NaN()), Num(math.Inf(1)), Num(math.Inf(-1)), 0.1}
	b, err := json.Marshal(in)
	if err != nil || string(b) != `[1.5,null,"+Inf","-Inf",0.1]` {
		t.Fatalf("%s %v", b, err)
	}
	var out []Num
	if err := json.Unmarshal(b, &out); err != nil || out[0] != 1.5 || !math.IsNaN(float64(out[1])) || !math.IsInf(float64(out[2]), 1) {
		t.Errorf("%v %v", out, err)
	}
}

// FuzzLoadConfig: any file either loads into a valid config or is refused
// with an error; never a panic.
func FuzzLoadConfig(f *testing.F) {
	for _, p := range []string{"../experiments/eval.json", "../experiments/eval_quick.json"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b, "key_trials=3")
		}
	}
	f.Add([]byte(`{"seed": 1, "data": {"size": -1}}`), "data.size=x")
	f.Add([]byte(`[]`), "subjects=")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, file []byte, override string) {
		p := filepath.Join(dir, "c.json")
		if err := os.WriteFile(p, file, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := LoadConfig(p, []string{override})
		if err == nil {
			if verr := c.Validate(); verr != nil {
				t.Fatalf("LoadConfig accepted an invalid config: %v", verr)
			}
		}
	})
}
