package attacks

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/medqr/medqr/eval/shard/shardtest"
)

func repoPath(parts ...string) string {
	return filepath.Join(append([]string{".."}, parts...)...)
}

// TestRunQuick runs the quick setting that "make test" promises, twice:
// every attack must detect what it should, and the two runs must write the
// same report.json byte for byte apart from the measured timings (fields
// "timing" and "runtime_s"), the same report.md apart from the numbers
// drawn from them, and the same plots and images.
func TestRunQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("the quick attack suite runs twice, about 20 s")
	}
	cfg := QuickConfig()
	cfg.Images = repoPath("data", "samples", "kermany_cxr_224")
	dirs := []string{t.TempDir(), t.TempDir()}
	rep, err := Run(context.Background(), cfg, Options{Out: dirs[0], Quick: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("runtime %.1f s: %v", rep.RuntimeSeconds, rep.Timing)
	checkQuick(t, dirs[0], rep)
	if _, err := Run(context.Background(), cfg, Options{Out: dirs[1], Quick: true}); err != nil {
		t.Fatal(err)
	}
	compareRuns(t, dirs[0], dirs[1])
}

func checkQuick(t *testing.T, dir string, rep *Report) {
	t.Helper()
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
	// 4a: each classical attack fully recovers exactly the variants it
	// models, under a fixed nonce, and nothing else: the substitution-table
	// attack breaks the weak control and "permutation only"; the coupling
	// inversion also breaks "diffusion off" (permutation + network).
	var coupling int
	for _, c := range rep.Chosen {
		var weak bool
		switch c.Attack {
		case AttackTables:
			weak = strings.Contains(c.Scheme, "weak control") || strings.Contains(c.Scheme, "permutation only")
		case AttackCoupling:
			coupling++
			weak = strings.Contains(c.Scheme, "diffusion off") || strings.Contains(c.Scheme, "permutation only")
		default:
			t.Errorf("unknown attack %q", c.Attack)
		}
		if want := weak && c.Nonce == "fixed"; c.Full != want {
			t.Errorf("%s on %s (%s nonce): full recovery %v, want %v", c.Attack, c.Scheme, c.Nonce, c.Full, want)
		}
		// A failed attack guesses 0 (about 2.5 % black pixels in these
		// targets). The coupling inversion places a few positions of the
		// XOR control (those whose key byte makes XOR act as addition).
		if !c.Full && strings.HasPrefix(c.Scheme, "cipherimg") && c.Exact > 0.05 {
			t.Errorf("%s on %s (%s nonce): %.2f %% exact pixels, want chance level", c.Attack, c.Scheme, c.Nonce, 100*c.Exact)
		}
	}
	if coupling == 0 {
		t.Error("the coupling-inversion attack did not run")
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
	// report.md is drawn from report.json alone: Render reproduces it.
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
}

// timingKeys are the only report.json fields allowed to differ between two
// runs of one config: wall-clock measurements.
var timingKeys = map[string]bool{"timing": true, "runtime_s": true}

// stripTiming removes the timingKeys fields at any depth.
func stripTiming(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k := range x {
			if timingKeys[k] {
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

// untimedJSON is report.json with the timing fields removed, re-encoded
// (indented, keys sorted) so that two runs compare byte for byte.
func untimedJSON(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	out, err := json.MarshalIndent(stripTiming(m), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// untimedMarkdown is report.md as drawn from report.json with the timing
// fields removed (checkQuick checks that report.md is drawn from
// report.json alone): the measured trial costs, search times and the
// runtime table are left out.
func untimedMarkdown(t *testing.T, path string) string {
	t.Helper()
	var r Report
	if err := json.Unmarshal(untimedJSON(t, path), &r); err != nil {
		t.Fatal(err)
	}
	return r.Markdown()
}

// firstDiff names the first line where a and b differ.
func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d: %q vs %q", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("%d vs %d lines", len(la), len(lb))
}

// compareRuns checks that two report folders agree in everything but the
// timings.
func compareRuns(t *testing.T, a, b string) {
	t.Helper()
	ja, jb := untimedJSON(t, filepath.Join(a, "report.json")), untimedJSON(t, filepath.Join(b, "report.json"))
	if !bytes.Equal(ja, jb) {
		t.Errorf("report.json differs between runs beyond the timings: %s", firstDiff(string(ja), string(jb)))
	}
	if ma, mb := untimedMarkdown(t, filepath.Join(a, "report.json")), untimedMarkdown(t, filepath.Join(b, "report.json")); ma != mb {
		t.Errorf("report.md differs between runs beyond the timings: %s", firstDiff(ma, mb))
	}
	n := shardtest.SameFiles(t, a, b, func(rel string) bool { return strings.HasSuffix(rel, ".png") })
	if n < 10 {
		t.Errorf("compared only %d PNG files", n)
	}
}

// TestStripTiming: the comparison ignores the timing fields and nothing
// else.
func TestStripTiming(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(s), 0o644)
		return p
	}
	a := write("a.json", `{"x": 1, "timing": {"qr": 1.5}, "runtime_s": 3, "modes": [{"timing": {"trial_s": 1}, "bits": 256}]}`)
	b := write("b.json", `{"x": 1, "timing": {"qr": 2.5}, "runtime_s": 4, "modes": [{"timing": {"trial_s": 2}, "bits": 256}]}`)
	c := write("c.json", `{"x": 1, "timing": {"qr": 2.5}, "runtime_s": 4, "modes": [{"timing": {"trial_s": 2}, "bits": 255}]}`)
	if !bytes.Equal(untimedJSON(t, a), untimedJSON(t, b)) {
		t.Error("reports differing only in timings compare unequal")
	}
	if bytes.Equal(untimedJSON(t, b), untimedJSON(t, c)) {
		t.Error("reports differing in a number compare equal")
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
