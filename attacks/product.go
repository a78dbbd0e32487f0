package attacks

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"time"

	"github.com/medqr/medqr/seal"
)

// ---------------------------------------------------------------------
// Attack 5: brute force.

// KeyMode is the brute-force arithmetic of one key mode.
type KeyMode struct {
	Mode       string  `json:"mode"`
	SpaceBits  float64 `json:"key_space_bits"`  // log2 of the number of keys to search
	Assumption string  `json:"assumption"`      // where SpaceBits comes from
	Trial      string  `json:"trial"`           // what one key trial computes
	BestAttack string  `json:"best_attack"`     // best known attack, when not the search
	Timing     *Timing `json:"timing"`          // measured; varies from run to run
	WrongKey   string  `json:"wrong_key_looks"` // what a wrong-key decryption gives
}

// Timing holds the measured numbers of a key mode. They depend on the
// machine and vary between runs; everything else in the report does not.
type Timing struct {
	TrialSeconds float64 `json:"trial_s"`
	Trials       int     `json:"trials_timed"`
	// Log10Years is log10 of the expected search time (half the key space)
	// on one core of this machine; Log10YearsParallel divides by
	// BruteConfig.Parallel cores.
	Log10Years         float64 `json:"log10_years_1_core"`
	Log10YearsParallel float64 `json:"log10_years_parallel"`
}

const secondsPerYear = 365.25 * 24 * 3600

// expectedLog10Years is log10 of (2^(bits-1) trials x seconds) in years.
func expectedLog10Years(bits, seconds, parallel float64) float64 {
	return (bits-1)*math.Log10(2) + math.Log10(seconds) - math.Log10(parallel) - math.Log10(secondsPerYear)
}

func timeTrials(n int, f func() error) (float64, error) {
	start := time.Now()
	for range n {
		if err := f(); err != nil {
			return 0, err
		}
	}
	return time.Since(start).Seconds() / float64(n), nil
}

// BruteReport is attack 5.
type BruteReport struct {
	Parallel float64   `json:"parallel_cores"`
	Modes    []KeyMode `json:"modes"`
	// WrongKeys random wrong keys were tried on one sealed product message:
	// every one must be refused with seal.ErrAuth.
	WrongKeys        int `json:"wrong_keys"`
	WrongKeysRefused int `json:"wrong_keys_refused"`
	// ResearchWrongKey is the research scheme decrypted with a random wrong key.
	ResearchWrongKey *KeyFlip `json:"research_wrong_key,omitempty"`
	researchWrong    *image.Gray
}

// refusedTrial wraps a trial that must fail with seal.ErrAuth: a trial that
// opens would mean the "wrong" key is right, which the arithmetic excludes.
func refusedTrial(f func() error) func() error {
	return func() error {
		err := f()
		if err == nil {
			return errors.New("attacks: a wrong key opened the message")
		}
		if !errors.Is(err, seal.ErrAuth) {
			return fmt.Errorf("attacks: wrong-key trial failed with %w, want seal.ErrAuth", err)
		}
		return nil
	}
}

func runBrute(ctx context.Context, rng *rand.Rand, cfg BruteConfig, research Scheme, researchImg *image.Gray) (*BruteReport, error) {
	rep := &BruteReport{Parallel: cfg.Parallel}
	payload := randBytes(rng, 2000)
	meta := seal.Meta{Codec: 2, Width: 256, Height: 256, Depth: 8, Level: 'L'}
	const capacity = 2953 // QR version 40-L
	refuse := seal.ErrAuth.Error()

	// Raw 256-bit key. The run's key and message ids are seeded (research
	// only, see seededReader); a product key comes from crypto/rand.
	ids := seededReader(rng)
	k := seal.Key(randKey(rng))
	msg, err := seal.SealMessage(meta, payload, capacity, seal.WithRand(seal.NewKeySealer(k), ids))
	if err != nil {
		return nil, fmt.Errorf("attacks: brute force: %w", err)
	}
	var wrong seal.Key
	copy(wrong[:], randBytes(rng, 32))
	sec, err := timeTrials(cfg.KeyTrials, refusedTrial(func() error {
		_, _, err := seal.OpenMessage(msg, seal.KeyOpener(wrong))
		return err
	}))
	if err != nil {
		return nil, err
	}
	rep.Modes = append(rep.Modes, KeyMode{
		Mode: "key (MEDQR-KEY-1...)", SpaceBits: 256,
		Assumption: "256-bit key from crypto/rand",
		Trial:      "HKDF-SHA256 subkey + ChaCha20-Poly1305 open of one 2,953-byte container",
		Timing:     timing(sec, cfg.KeyTrials, 256, cfg.Parallel),
		WrongKey:   "refused: " + refuse,
	})
	for range cfg.WrongKeys {
		var w seal.Key
		copy(w[:], randBytes(rng, 32))
		if _, _, err := seal.OpenMessage(msg, seal.KeyOpener(w)); errors.Is(err, seal.ErrAuth) {
			rep.WrongKeysRefused++
		}
		rep.WrongKeys++
	}

	// Passphrase through Argon2id with the default (RFC 9106) parameters.
	const pass = "correct horse battery staple extra words"
	ps, err := seal.NewPassphraseSealer(pass, seal.DefaultArgon2)
	if err != nil {
		return nil, err
	}
	pmsg, err := seal.SealMessage(meta, payload, capacity, seal.WithRand(ps, ids))
	if err != nil {
		return nil, fmt.Errorf("attacks: brute force: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	psec, err := timeTrials(cfg.PassTrials, refusedTrial(func() error {
		_, _, err := seal.OpenMessage(pmsg, seal.PassphraseOpener("wrong guess"))
		return err
	}))
	if err != nil {
		return nil, err
	}
	for _, a := range cfg.Passphrases {
		rep.Modes = append(rep.Modes, KeyMode{
			Mode: "passphrase: " + a.Name, SpaceBits: a.Bits,
			Assumption: fmt.Sprintf("assumed passphrase entropy %.1f bits (%s); a human-chosen phrase may have far less", a.Bits, a.Name),
			Trial:      seal.DefaultArgon2.String() + " + HKDF-SHA256 + AEAD open",
			Timing:     timing(psec, cfg.PassTrials, a.Bits, cfg.Parallel),
			WrongKey:   "refused: " + refuse,
		})
	}

	// Recipient keys (HPKE).
	for _, suite := range []seal.Suite{seal.SuiteX25519, seal.SuiteMLKEM768X25519} {
		id, err := seal.GenerateIdentity(suite)
		if err != nil {
			return nil, err
		}
		rmsg, err := seal.SealMessage(meta, payload[:1000], capacity, seal.NewRecipientSealer(id.Recipient()))
		if err != nil {
			return nil, fmt.Errorf("attacks: brute force: %w", err)
		}
		wrongID, err := seal.GenerateIdentity(suite)
		if err != nil {
			return nil, err
		}
		rsec, err := timeTrials(cfg.RecipTrials, refusedTrial(func() error {
			_, _, err := seal.OpenMessage(rmsg, seal.IdentityOpener(wrongID))
			return err
		}))
		if err != nil {
			return nil, err
		}
		km := KeyMode{Mode: "recipient: " + suite.String(), Trial: "HPKE decapsulation with a candidate identity + HKDF-SHA256 + AEAD open",
			Timing: nil, WrongKey: "refused: " + refuse}
		switch suite {
		case seal.SuiteX25519:
			km.SpaceBits = 251
			km.Assumption = "X25519 private scalar: 251 free bits after clamping"
			km.BestAttack = "Pollard rho on Curve25519: about 2^125.8 group operations (128-bit security level), not a key search"
		case seal.SuiteMLKEM768X25519:
			km.SpaceBits = 256
			km.Assumption = "32-byte identity seed expanded into both private keys"
			km.BestAttack = "breaking both ML-KEM-768 (NIST category 3) and X25519 (128-bit): at least the X25519 figure"
		}
		km.Timing = timing(rsec, cfg.RecipTrials, km.SpaceBits, cfg.Parallel)
		rep.Modes = append(rep.Modes, km)
	}

	// The research scheme: a trial is one full decryption (plus a cheap
	// plausibility test the attacker would add).
	if research != nil && researchImg != nil {
		key := randKey(rng)
		c, err := research.Encrypt(key, randBytes(rng, research.NonceSize()), researchImg)
		if err != nil {
			return nil, err
		}
		wk := randKey(rng)
		var dec *image.Gray
		rsec, err := timeTrials(max(1, cfg.RecipTrials/20), func() error {
			var err error
			dec, err = research.Decrypt(wk, c)
			return err
		})
		if err != nil {
			return nil, err
		}
		rep.Modes = append(rep.Modes, KeyMode{
			Mode: "research cipher image (" + research.Name() + ")", SpaceBits: 256,
			Assumption: "256-bit key; the scheme itself adds nothing a 256-bit stream cipher key does not",
			Trial:      fmt.Sprintf("one %dx%d decryption", researchImg.Rect.Dx(), researchImg.Rect.Dy()),
			Timing:     timing(rsec, max(1, cfg.RecipTrials/20), 256, cfg.Parallel),
			WrongKey:   "noise: decrypts without error into a uniform-looking image (no integrity check)",
		})
		kf := keyFlipOf(research.Name(), -1, researchImg, dec, "images/"+slug(research.Name())+"-wrong-key.png")
		rep.ResearchWrongKey = &kf
		rep.researchWrong = dec
	}
	return rep, nil
}

func timing(sec float64, n int, bits, parallel float64) *Timing {
	return &Timing{
		TrialSeconds:       sec,
		Trials:             n,
		Log10Years:         round6(expectedLog10Years(bits, sec, 1)),
		Log10YearsParallel: round6(expectedLog10Years(bits, sec, parallel)),
	}
}

// ---------------------------------------------------------------------
// Attack 6: tamper.

// classifySeal names the class of a seal refusal.
func classifySeal(err error) string {
	var me *seal.MissingError
	var fe *seal.FormatError
	switch {
	case errors.As(err, &me):
		return "missing symbol"
	case errors.Is(err, seal.ErrMixed):
		return "mixed messages"
	case errors.Is(err, seal.ErrVersion):
		return "version"
	case errors.As(err, &fe):
		return "format"
	case errors.Is(err, seal.ErrAuth):
		return "authentication (ErrAuth)"
	}
	return "other: " + err.Error()
}

// sealedSet seals n messages of the given payload sizes with s, split over
// symbols of capacity bytes.
func sealedSet(rng *rand.Rand, n int, s seal.Sealer, capacity int, sizes []int) ([][][]byte, [][]byte, error) {
	var msgs [][][]byte
	var orig [][]byte
	for i := range n {
		p := randBytes(rng, sizes[i%len(sizes)])
		m, err := seal.SealMessage(seal.Meta{Codec: 1, Width: 256, Height: 256, Depth: 8, Level: 'H'}, p, capacity, s)
		if err != nil {
			return nil, nil, fmt.Errorf("attacks: tamper: %w", err)
		}
		msgs = append(msgs, m)
		orig = append(orig, p)
	}
	return msgs, orig, nil
}

func runTamper(ctx context.Context, rng *rand.Rand, cfg TamperConfig) ([]TamperResult, error) {
	// One- and multi-symbol messages: 1,000 bytes fits one H symbol, 5,000
	// bytes needs four or five.
	sizes := []int{1000, 5000}
	const capacity = 1273 // QR version 40-H
	var out []TamperResult

	// Seeded key and message ids (research only, see seededReader).
	ids := seededReader(rng)
	k := seal.Key(randKey(rng))
	msgs, orig, err := sealedSet(rng, cfg.Messages, seal.WithRand(seal.NewKeySealer(k), ids), capacity, sizes)
	if err != nil {
		return nil, err
	}
	open := func(o seal.Opener) OpenFunc {
		return func(cs [][]byte) ([]byte, error) {
			_, p, err := seal.OpenMessage(cs, o)
			return p, err
		}
	}
	for i, m := range msgs { // the premise: untouched messages open
		if p, err := open(seal.KeyOpener(k))(m); err != nil || string(p) != string(orig[i]) {
			return nil, fmt.Errorf("attacks: tamper: untouched message %d does not open: %v", i, err)
		}
	}
	out = append(out, Tamper(rng, "key", msgs, orig, open(seal.KeyOpener(k)), classifySeal, cfg.Trials))
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	if cfg.RecipientTrials > 0 {
		id, err := seal.GenerateIdentity(seal.SuiteX25519)
		if err != nil {
			return nil, err
		}
		rm, ro, err := sealedSet(rng, cfg.Messages, seal.WithRand(seal.NewRecipientSealer(id.Recipient()), ids), capacity, sizes)
		if err != nil {
			return nil, err
		}
		out = append(out, Tamper(rng, "recipient (x25519)", rm, ro, open(seal.IdentityOpener(id)), classifySeal, cfg.RecipientTrials))
	}
	if cfg.PassphraseTrials > 0 {
		const pass = "tamper harness passphrase"
		ps, err := seal.NewPassphraseSealer(pass, seal.DefaultArgon2)
		if err != nil {
			return nil, err
		}
		pm, po, err := sealedSet(rng, min(cfg.Messages, 2), seal.WithRand(ps, ids), capacity, sizes)
		if err != nil {
			return nil, err
		}
		out = append(out, Tamper(rng, "passphrase", pm, po, open(seal.PassphraseOpener(pass)), classifySeal, cfg.PassphraseTrials))
	}
	return out, nil
}
