package attacks

import (
	"context"
	"testing"
)

func TestTamperSealRejectsAll(t *testing.T) {
	cfg := TamperConfig{Trials: 3000, RecipientTrials: 300, PassphraseTrials: 0, Messages: 4}
	res, err := runTamper(context.Background(), newRNG(6, t.Name()), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		t.Logf("%s: %d trials, rate %v, reasons %v", r.Mode, r.Trials, r.Rate, r.Reasons)
		if r.Accepted != 0 || r.Rate != 1 {
			t.Errorf("%s: accepted %d of %d tampered messages", r.Mode, r.Accepted, r.Trials)
		}
		for _, k := range r.Kinds {
			if k.Trials == 0 {
				t.Errorf("%s: mutation %s never ran", r.Mode, k.Kind)
			}
		}
	}
}

func TestBruteArithmetic(t *testing.T) {
	// 2^255 trials of 1 us: 5.79e70 s = 1.83e63 years.
	if got := expectedLog10Years(256, 1e-6, 1); got < 63.26 || got > 63.27 {
		t.Errorf("log10 years = %v, want 63.26", got)
	}
	// 40 bits at 1 s per trial on 1e6 cores: 2^39 s / 1e6 = 5.5e5 s = 0.0174 years.
	if got := expectedLog10Years(40, 1, 1e6); got < -1.76 || got > -1.75 {
		t.Errorf("log10 years = %v, want -1.758", got)
	}
}

func TestBruteRefusesWrongKeys(t *testing.T) {
	if testing.Short() {
		t.Skip("Argon2id trials take about a second")
	}
	cfg := QuickConfig().Brute
	rep, err := runBrute(context.Background(), newRNG(7, t.Name()), cfg, PermXOR{}, testImage(32, 32, 1))
	if err != nil {
		t.Fatal(err)
	}
	if rep.WrongKeysRefused != rep.WrongKeys || rep.WrongKeys == 0 {
		t.Fatalf("%d of %d wrong keys refused", rep.WrongKeysRefused, rep.WrongKeys)
	}
	for _, m := range rep.Modes {
		t.Logf("%s: %.1f bits, trial %.3g s, 10^%.1f years", m.Mode, m.SpaceBits, m.Timing.TrialSeconds, m.Timing.Log10Years)
		if m.Timing == nil || m.Timing.TrialSeconds <= 0 {
			t.Errorf("%s: no timing", m.Mode)
		}
	}
	if w := rep.ResearchWrongKey; w == nil || float64(w.NPCR) < 95 {
		t.Errorf("wrong-key research decryption looks like the plaintext: %+v", w)
	}
}
