package attacks

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func repoPath(parts ...string) string {
	return filepath.Join(append([]string{".."}, parts...)...)
}

// TestRunQuick runs the quick setting that "make test" promises and checks
// that every attack detects what it should.
func TestRunQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("the quick attack suite takes about 30 s")
	}
	cfg := QuickConfig()
	cfg.Images = repoPath("data", "samples", "kermany_cxr_224")
	dir := t.TempDir()
	rep, err := Run(context.Background(), cfg, Options{Out: dir, Quick: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("runtime %.1f s: %v", rep.RuntimeSeconds, rep.Timing)
	for _, f := range append([]string{"report.json", "report.md", "images/plaintext.png"}, rep.Plots...) {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("missing output %s: %v", f, err)
		}
	}
	if len(rep.Plots) < 10 {
		t.Errorf("only %d plots: %v", len(rep.Plots), rep.Plots)
	}
	// 1: AES-CTR keeps damage local, so it must beat the diffusing scheme
	// on light salt-and-pepper noise.
	var aes, full float64
	for _, p := range rep.Noise.Points {
		if p.Damage.Kind == "salt-pepper" && p.Damage.Strength == 0.001 {
			if strings.HasPrefix(p.Scheme, "AES") {
				aes = float64(p.PSNR)
			} else {
				full = float64(p.PSNR)
			}
		}
	}
	if aes <= full || aes < 30 {
		t.Errorf("salt-and-pepper 0.1 %%: AES-CTR %.2f dB, cipherimg %.2f dB", aes, full)
	}
	// 2: no wrong image, ever; light damage opens; bit rot refused.
	for _, p := range rep.QR.Points {
		if p.Wrong != 0 {
			t.Errorf("qr %s %s: %d wrong images", p.Level, p.Damage, p.Wrong)
		}
		if p.Opened+p.Unreadable+p.Refused+p.Wrong != p.Trials {
			t.Errorf("qr outcomes do not add up: %+v", p)
		}
	}
	if rep.QR.BitRotRefused != rep.QR.BitRotTrials {
		t.Errorf("qr bit rot: %d of %d refused", rep.QR.BitRotRefused, rep.QR.BitRotTrials)
	}
	// 3: plaintext sensitivity passes for the full scheme and fails for the
	// diffusion-free variants and AES-CTR (one changed pixel stays one).
	for _, d := range rep.Differential.Dists {
		if d.Test != "plaintext" {
			continue
		}
		full := strings.Contains(d.Scheme, "full")
		if full && float64(d.NPCR.Mean) < 99 || !full && float64(d.NPCR.Mean) > 5 {
			t.Errorf("%s plaintext sensitivity: NPCR mean %.3f %%", d.Scheme, float64(d.NPCR.Mean))
		}
	}
	// 4a: the attack fully recovers the weak variants under a fixed nonce
	// and nothing else.
	for _, c := range rep.Chosen {
		weak := strings.Contains(c.Scheme, "weak control") || strings.Contains(c.Scheme, "permutation only")
		if want := weak && c.Nonce == "fixed"; c.Full != want {
			t.Errorf("chosen plaintext on %s (%s nonce): full recovery %v, want %v", c.Scheme, c.Nonce, c.Full, want)
		}
	}
	// 4b: the network beats the mean image on the weak control with a fixed
	// nonce, and not with fresh nonces.
	for _, l := range rep.Learned {
		if !strings.Contains(l.Scheme, "weak control") {
			continue
		}
		if l.Nonce == "fixed" && float64(l.GainPSNR) < 2 || l.Nonce == "fresh" && float64(l.GainPSNR) > 1 {
			t.Errorf("learned attack on the control, %s nonce: gain %.2f dB", l.Nonce, float64(l.GainPSNR))
		}
	}
	// 5, 6
	if rep.Brute.WrongKeysRefused != rep.Brute.WrongKeys {
		t.Errorf("brute force: %d of %d wrong keys refused", rep.Brute.WrongKeysRefused, rep.Brute.WrongKeys)
	}
	for _, tr := range rep.Tamper {
		if tr.Rate != 1 {
			t.Errorf("tamper %s: rejection rate %v", tr.Mode, tr.Rate)
		}
	}
}

// stripTiming removes the measured fields, which vary between runs, and the
// QR damage outcomes, which depend on the sealed container's fresh random
// message id (seal draws it from crypto/rand, by design).
func stripTiming(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k := range x {
			if k == "timing" || k == "runtime_s" || k == "points" && x["fidelity"] != nil {
				delete(x, k)
				continue
			}
			x[k] = stripTiming(x[k])
		}
	case []any:
		for i := range x {
			x[i] = stripTiming(x[i])
		}
	}
	return v
}

// TestRunDeterministic runs a tiny config twice: report.json must agree in
// every number but the timings, and the plots byte for byte.
func TestRunDeterministic(t *testing.T) {
	cfg := QuickConfig()
	cfg.Images = repoPath("data", "samples", "kermany_cxr_224")
	cfg.Size = 32
	cfg.Noise.SaltPepper, cfg.Noise.Gaussian, cfg.Noise.JPEG = []float64{0.01}, []float64{5}, []int{90}
	cfg.Noise.Blocks, cfg.Noise.Positions = []float64{0.25}, []string{"center"}
	cfg.QR.Levels, cfg.QR.SaltPepper, cfg.QR.Blocks, cfg.QR.JPEG = []string{"M"}, []float64{0.05}, nil, nil
	cfg.Differential.Trials = 3
	cfg.Chosen = ChosenConfig{Size: 16, Targets: 1}
	cfg.Learned = LearnedConfig{Size: 12, Train: 100, Test: 10, Epochs: 1, Batch: 50, LR: 3e-4}
	cfg.Brute = BruteConfig{Passphrases: cfg.Brute.Passphrases, KeyTrials: 10, PassTrials: 1, RecipTrials: 2, Parallel: 1e6, WrongKeys: 5}
	cfg.Tamper = TamperConfig{Trials: 200, PassphraseTrials: 0, RecipientTrials: 20, Messages: 3}
	var reps []map[string]any
	var plots [][]byte
	for range 2 {
		dir := t.TempDir()
		if _, err := Run(context.Background(), cfg, Options{Out: dir}); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, "report.json"))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		reps = append(reps, stripTiming(m).(map[string]any))
		md, err := os.ReadFile(filepath.Join(dir, "report.md"))
		if err != nil {
			t.Fatal(err)
		}
		if err := Render(dir); err != nil {
			t.Fatal(err)
		}
		if md2, _ := os.ReadFile(filepath.Join(dir, "report.md")); string(md2) != string(md) {
			t.Error("report.md rendered from report.json differs from the one the run wrote")
		}
		p, err := os.ReadFile(filepath.Join(dir, "noise-salt-pepper-psnr.png"))
		if err != nil {
			t.Fatal(err)
		}
		plots = append(plots, p)
	}
	if !reflect.DeepEqual(reps[0], reps[1]) {
		for k := range reps[0] {
			if !reflect.DeepEqual(reps[0][k], reps[1][k]) {
				t.Errorf("report.json differs between runs in %q", k)
			}
		}
	}
	if string(plots[0]) != string(plots[1]) {
		t.Error("plot differs between runs")
	}
}

func TestConfig(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := QuickConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Tamper.Trials < 100000 {
		t.Errorf("full run has %d tamper trials, the issue asks for at least 100,000", c.Tamper.Trials)
	}
	for _, tc := range []struct {
		kv   string
		ok   bool
		test func(Config) bool
	}{
		{"seed=7", true, func(c Config) bool { return c.Seed == 7 }},
		{"tamper.trials=1000", true, func(c Config) bool { return c.Tamper.Trials == 1000 }},
		{"noise.jpeg=[90,50]", true, func(c Config) bool { return reflect.DeepEqual(c.Noise.JPEG, []int{90, 50}) }},
		{"keystream=chaos", true, func(c Config) bool { return c.Keystream == "chaos" }},
		{"keystream=rot13", false, nil},
		{"tamper.trails=5", false, nil},
		{"nosuch=1", false, nil},
		{"seed", false, nil},
		{"noise.salt_pepper=[2]", false, nil},
		{"noise.positions=[\"left\"]", false, nil},
		{"size=0", false, nil},
	} {
		c := DefaultConfig()
		err := c.Override(tc.kv)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v", tc.kv, err)
			continue
		}
		if tc.ok && !tc.test(c) {
			t.Errorf("%s: not applied", tc.kv)
		}
	}
	dir := t.TempDir()
	for name, body := range map[string]string{
		"ok.json":      `{"seed": 3, "tamper": {"trials": 10}}`,
		"unknown.json": `{"seed": 3, "tamperr": {}}`,
		"bad.json":     `{"seed": "x"}`,
	} {
		os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644)
	}
	c, err := LoadConfig(filepath.Join(dir, "ok.json"), DefaultConfig())
	if err != nil || c.Seed != 3 || c.Tamper.Trials != 10 || c.Tamper.Messages != DefaultConfig().Tamper.Messages {
		t.Errorf("ok.json: %v %+v", err, c.Tamper)
	}
	for _, f := range []string{"unknown.json", "bad.json", "missing.json"} {
		if _, err := LoadConfig(filepath.Join(dir, f), DefaultConfig()); err == nil {
			t.Errorf("%s accepted", f)
		}
	}
	for _, f := range []string{"attacks.json", "attacks-quick.json"} {
		if _, err := LoadConfig(repoPath("experiments", f), DefaultConfig()); err != nil {
			t.Errorf("experiments/%s: %v", f, err)
		}
	}
}

var update = flag.Bool("update", false, "rewrite experiments/attacks.json and attacks-quick.json from DefaultConfig and QuickConfig")

func TestWriteExperimentConfigs(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite the experiment configs")
	}
	for name, c := range map[string]Config{"attacks.json": DefaultConfig(), "attacks-quick.json": QuickConfig()} {
		b, err := json.MarshalIndent(c, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(repoPath("experiments", name), append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
