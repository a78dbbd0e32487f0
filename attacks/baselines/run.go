package baselines

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"io"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/medqr/medqr/attacks/breaks"
	"github.com/medqr/medqr/attacks/oracle/keyed"
	"github.com/medqr/medqr/cipherimg"
	_ "github.com/medqr/medqr/cipherimg/schemes" // every scheme registered
	"github.com/medqr/medqr/eval"
	"github.com/medqr/medqr/seal"
)

// Override sets one field from a dotted key=value pair (eval.Override);
// c is unchanged on any error.
func (c *Config) Override(kv string) error {
	if err := eval.Override(c, kv); err != nil {
		return fmt.Errorf("baselines: %w", err)
	}
	return nil
}

// Report is everything a run measured.
type Report struct {
	Schema  string   `json:"schema"`
	Code    string   `json:"code_version"`
	Config  Config   `json:"config"`
	Images  []string `json:"images"`
	Schemes []Scheme `json:"schemes"`
	// Reference holds the critical values of the statistics for the
	// images' size (from package eval).
	Reference eval.Reference `json:"reference"`
	// AESGCM is the throughput reference (timing).
	AESGCM Timing `json:"aes_256_gcm"`
}

// Schema names the layout of Report.
const Schema = "medqr-baselines/v1"

// Scheme is one scheme's results.
type Scheme struct {
	Name     string         `json:"name"`
	Citation string         `json:"citation,omitempty"`
	Summary  string         `json:"summary"`
	Depths   []int          `json:"depths"`
	Nonce    bool           `json:"nonce"`
	AuxBytes int            `json:"aux_bytes"`
	Trained  bool           `json:"trained"`
	Skipped  string         `json:"skipped,omitempty"` // why the scheme was not measured
	Stats    *eval.Summary  `json:"stats,omitempty"`
	Passed   []string       `json:"tests_passed"` // tests whose pass rate is at least 1 - 2 alpha
	Failed   []string       `json:"tests_failed"`
	Damage   []DamageResult `json:"damage"`
	Attacks  []AttackResult `json:"attacks"`
	Timing   Timing         `json:"timing"`
}

// DamageResult is the mean PSNR of decryptions of damaged cipher images.
type DamageResult struct {
	Damage   string  `json:"damage"`
	MeanPSNR float64 `json:"mean_psnr_db"`
	// Intact is the mean fraction of plain pixels that decrypt exactly.
	Intact float64 `json:"mean_fraction_exact"`
}

// AttackResult is one attack's outcome against the truth.
type AttackResult struct {
	breaks.Result
	// Recovered is the fraction of target pixels the candidate got right
	// (0 when no candidate was produced).
	Recovered float64 `json:"fraction_recovered"`
	Exact     bool    `json:"exact"`
	// Timing fields are the measured seconds (not reproducible).
	Timing Timing `json:"timing"`
}

// Timing holds measured numbers, the only fields that change between runs.
type Timing struct {
	Seconds  float64 `json:"seconds,omitempty"`
	MBPerSec float64 `json:"mb_per_s,omitempty"`
	Pixels   int     `json:"pixels,omitempty"`
}

// Options are the run's non-config inputs.
type Options struct {
	Code     string // code version for the report
	CacheDir string // data cache ("" for the default)
	Log      func(string, ...any)
}

// newRand returns a seeded generator for one purpose.
func newRand(seed uint64, labels ...string) *rand.Rand {
	return rand.New(chachaFor(seed, labels...))
}

// seededReader is an io.Reader over a seeded ChaCha8 (oracle nonces).
type seededReader struct{ c *rand.ChaCha8 }

func (r seededReader) Read(p []byte) (int, error) { return r.c.Read(p) }

// chachaFor returns the ChaCha8 stream of (seed, labels): SHA-256 of the
// seed and the NUL-separated labels is its key.
func chachaFor(seed uint64, labels ...string) *rand.ChaCha8 {
	h := sha256.New()
	binary.Write(h, binary.BigEndian, seed)
	for _, l := range labels {
		h.Write([]byte{0})
		h.Write([]byte(l))
	}
	return rand.NewChaCha8([32]byte(h.Sum(nil)))
}

func deriveKey(seed uint64, labels ...string) seal.Key {
	var k seal.Key
	chachaFor(seed, append([]string{"key"}, labels...)...).Read(k[:])
	return k
}

// subject adapts a scheme to the eval battery: a fixed nonce per image
// (the harness's), so that both encryptions of a sensitivity trial share
// key and nonce, as Wu et al. (2011) require.
func subject(s cipherimg.Scheme) eval.Subject {
	info := s.Info()
	ns := info.NonceSize
	if s.Name() == cipherimg.SchemeName {
		ns = cipherimg.NonceSize
	}
	return eval.Subject{
		Name: s.Name(), Group: "baseline", ImageShaped: true, Deterministic: true,
		Note: info.Summary,
		Encrypt: func(img *image.Gray, key eval.Key, nonce []byte, _ io.Reader) (eval.Output, error) {
			var n []byte
			if ns > 0 {
				n = nonce[:ns]
			}
			c, err := cipherimg.EncryptWith(s, img, seal.Key(key), n)
			if err != nil {
				return eval.Output{}, err
			}
			g, ok := c.Image.(*image.Gray)
			if !ok {
				return eval.Output{}, fmt.Errorf("%s: cipher image is %T", s.Name(), c.Image)
			}
			pix := make([]byte, len(g.Pix))
			copy(pix, g.Pix)
			return eval.Output{Samples: pix, W: g.Rect.Dx(), H: g.Rect.Dy(), Blob: c}, nil
		},
		Decrypt: func(out eval.Output, key eval.Key) (image.Image, error) {
			return cipherimg.Decrypt(out.Blob.(*cipherimg.Cipher), seal.Key(key))
		},
	}
}

// Run measures every configured scheme on images and returns the report
// and the eval battery's results (for its files and plots).
func Run(ctx context.Context, cfg Config, images []eval.Image, opt Options) (*Report, *eval.Results, map[string]Samples, error) {
	rep, subs, ecfg, err := setup(cfg, images, opt)
	if err != nil {
		return nil, nil, nil, err
	}
	res, err := eval.Run(ctx, ecfg, images, subs, nil)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("baselines: %w", err)
	}
	samples := map[string]Samples{}
	for i := range rep.Schemes {
		if rep.Schemes[i].Skipped != "" {
			continue
		}
		if samples[rep.Schemes[i].Name], err = schemeWork(ctx, cfg, &rep.Schemes[i], images, opt.logf()); err != nil {
			return nil, nil, nil, err
		}
	}
	rep.AESGCM = aesThroughput(cfg)
	finish(rep, res)
	return rep, res, samples, nil
}

func (o Options) logf() func(string, ...any) {
	if o.Log == nil {
		return func(string, ...any) {}
	}
	return o.Log
}

// setup checks cfg, tries every configured scheme once on the first image
// (a scheme that cannot run at this size is reported as skipped, not
// allowed to stop the others) and returns the report's skeleton, the eval
// subjects of the schemes that run and the battery's config.
func setup(cfg Config, images []eval.Image, opt Options) (*Report, []eval.Subject, eval.Config, error) {
	if err := cfg.Validate(); err != nil {
		return nil, nil, eval.Config{}, err
	}
	if len(images) < 2 {
		return nil, nil, eval.Config{}, fmt.Errorf("baselines: need at least 2 images (one target, one known plaintext), got %d", len(images))
	}
	logf := opt.logf()
	names := cfg.Schemes
	if len(names) == 0 {
		names = cipherimg.Names()
	}
	rep := &Report{Schema: Schema, Code: opt.Code, Config: cfg}
	for _, im := range images {
		rep.Images = append(rep.Images, im.Name)
	}
	var subs []eval.Subject
	for _, n := range names {
		s, err := cipherimg.Lookup(n)
		if err != nil {
			return nil, nil, eval.Config{}, fmt.Errorf("baselines: %w", err)
		}
		info := s.Info()
		sr := Scheme{Name: n, Citation: info.Citation, Summary: info.Summary, Depths: info.Depths,
			Nonce: info.NonceSize > 0 || n == cipherimg.SchemeName, AuxBytes: info.AuxSize, Trained: info.Trained,
			Passed: []string{}, Failed: []string{}, Damage: []DamageResult{}, Attacks: []AttackResult{}}
		if _, err := cipherimg.EncryptWith(s, images[0].Gray, deriveKey(cfg.Seed, "probe", n), make([]byte, nonceSize(s))); err != nil {
			sr.Skipped = err.Error()
			logf("baselines: %s skipped: %v", n, err)
		} else {
			subs = append(subs, subject(s))
		}
		rep.Schemes = append(rep.Schemes, sr)
	}
	logf("baselines: statistics battery on %d images, %d schemes", len(images), len(subs))
	ecfg := eval.DefaultConfig()
	ecfg.Seed, ecfg.Data, ecfg.Alpha = cfg.Seed, cfg.Data, cfg.Alpha
	ecfg.PlaintextTrials, ecfg.KeyTrials, ecfg.LocalNullTrials = cfg.PlaintextTrials, cfg.KeyTrials, cfg.LocalNullTrials
	ecfg.Plots = cfg.Plots
	ecfg.Subjects = []string{eval.SubjectNames()[0]}
	return rep, subs, ecfg, nil
}

// schemeWork measures damage, throughput and attacks of one scheme that
// runs, into sr, and returns its sample images.
func schemeWork(ctx context.Context, cfg Config, sr *Scheme, images []eval.Image, logf func(string, ...any)) (Samples, error) {
	s, err := cipherimg.Lookup(sr.Name)
	if err != nil {
		return Samples{}, fmt.Errorf("baselines: %w", err)
	}
	logf("baselines: %s: damage, throughput, attacks", sr.Name)
	if sr.Damage, err = damage(cfg, s, images); err != nil {
		return Samples{}, err
	}
	sr.Timing = throughput(cfg, s)
	var smp Samples
	if sr.Attacks, smp, err = attackAll(ctx, cfg, s, images); err != nil {
		return Samples{}, err
	}
	return smp, nil
}

// finish copies the battery's results into the report: each scheme's
// statistics and the tests it passed and failed, and the reference values.
func finish(rep *Report, res *eval.Results) {
	rep.Reference = res.Reference
	for i := range rep.Schemes {
		sr := &rep.Schemes[i]
		if sr.Skipped != "" {
			continue
		}
		for _, r := range res.Subjects {
			if r.Name == sr.Name {
				sum := r.Summary
				sr.Stats = &sum
				sr.Passed, sr.Failed = verdicts(sum, rep.Config.Alpha)
			}
		}
	}
}

func nonceSize(s cipherimg.Scheme) int {
	if s.Name() == cipherimg.SchemeName {
		return cipherimg.NonceSize
	}
	return s.Info().NonceSize
}

// verdicts names the tests a scheme passed: a test passes when its pass
// rate over images (or trials) is at least 1 - 2 alpha, i.e. no more
// failures than chance explains at twice the level.
func verdicts(s eval.Summary, alpha float64) (pass, fail []string) {
	pass, fail = []string{}, []string{}
	add := func(name string, d eval.Dist) {
		if d.N == 0 {
			return
		}
		if float64(d.Pass) >= 1-2*alpha {
			pass = append(pass, name)
		} else {
			fail = append(fail, name)
		}
	}
	add("entropy", s.Entropy)
	add("local-entropy", s.Local)
	for i, d := range s.Corr {
		add("correlation-"+[]string{"h", "v", "d"}[min(i, 2)], d)
	}
	add("chi-square", s.ChiSquare)
	add("plaintext-npcr", s.PlainNPCR)
	add("plaintext-uaci", s.PlainUACI)
	add("key-npcr", s.KeyNPCR)
	add("key-uaci", s.KeyUACI)
	return pass, fail
}

// damage decrypts damaged cipher images of the first DamageImages images.
func damage(cfg Config, s cipherimg.Scheme, images []eval.Image) ([]DamageResult, error) {
	n := min(cfg.DamageImages, len(images))
	out := []DamageResult{}
	for di, d := range cfg.Damage {
		var psnr, intact float64
		for i := range n {
			key := deriveKey(cfg.Seed, "damage", s.Name())
			nonce := make([]byte, nonceSize(s))
			c, err := cipherimg.EncryptWith(s, images[i].Gray, key, nonce)
			if err != nil {
				return nil, fmt.Errorf("baselines: %s: %w", s.Name(), err)
			}
			rng := newRand(cfg.Seed, "damage", s.Name(), fmt.Sprint(di), fmt.Sprint(i))
			dmg, err := d.Apply(c.Image.(*image.Gray), rng)
			if err != nil {
				return nil, err
			}
			back, err := cipherimg.Decrypt(&cipherimg.Cipher{Image: dmg, Header: c.Header}, key)
			if err != nil {
				return nil, fmt.Errorf("baselines: %s: decrypting damage: %w", s.Name(), err)
			}
			psnr += min(eval.PSNR(images[i].Gray, back), 100)
			intact += fractionEqual(images[i].Gray, back)
		}
		out = append(out, DamageResult{Damage: d.String(), MeanPSNR: psnr / float64(n), Intact: intact / float64(n)})
	}
	return out, nil
}

func fractionEqual(a, b image.Image) float64 {
	pa, _, _, _, err1 := cipherimg.Pixels(a)
	pb, _, _, _, err2 := cipherimg.Pixels(b)
	if err1 != nil || err2 != nil || len(pa) != len(pb) || len(pa) == 0 {
		return 0
	}
	k := 0
	for i := range pa {
		if pa[i] == pb[i] {
			k++
		}
	}
	return float64(k) / float64(len(pa))
}

// throughput times the encryption of a ThroughputSide^2 noise image.
func throughput(cfg Config, s cipherimg.Scheme) Timing {
	img := noiseImage(cfg.Seed, cfg.ThroughputSide)
	key := deriveKey(cfg.Seed, "throughput", s.Name())
	nonce := make([]byte, nonceSize(s))
	var ts []float64
	for range cfg.ThroughputReps {
		start := time.Now()
		if _, err := cipherimg.EncryptWith(s, img, key, nonce); err != nil {
			return Timing{}
		}
		ts = append(ts, time.Since(start).Seconds())
	}
	sort.Float64s(ts)
	med := ts[len(ts)/2]
	px := cfg.ThroughputSide * cfg.ThroughputSide
	return Timing{Seconds: med, MBPerSec: float64(px) / med / 1e6, Pixels: px}
}

func aesThroughput(cfg Config) Timing {
	img := noiseImage(cfg.Seed, cfg.ThroughputSide)
	key := deriveKey(cfg.Seed, "throughput", "aes")
	blk, _ := aes.NewCipher(key[:])
	gcm, _ := cipher.NewGCM(blk)
	nonce := make([]byte, gcm.NonceSize())
	reps := cfg.ThroughputReps * 20
	var ts []float64
	for range reps {
		start := time.Now()
		gcm.Seal(nil, nonce, img.Pix, nil)
		ts = append(ts, time.Since(start).Seconds())
	}
	sort.Float64s(ts)
	med := ts[len(ts)/2]
	px := len(img.Pix)
	return Timing{Seconds: med, MBPerSec: float64(px) / med / 1e6, Pixels: px}
}

func noiseImage(seed uint64, side int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, side, side))
	chachaFor(seed, "throughput-image").Read(g.Pix)
	return g
}

// Samples are the images of one scheme's attack for the report folder.
type Samples struct {
	Cipher    image.Image
	Recovered image.Image // the default attack's candidate, nil if none
}

// maxKnown bounds the known plaintexts an oracle holds.
const maxKnown = 8

// attackAll runs every registered attack on a target made from the first
// image, with the next images (up to maxKnown) as the oracle's known
// plaintexts.
func attackAll(ctx context.Context, cfg Config, s cipherimg.Scheme, images []eval.Image) ([]AttackResult, Samples, error) {
	out := []AttackResult{}
	var smp Samples
	key := deriveKey(cfg.Seed, "attack", s.Name())
	plain := images[0].Gray
	nonces := seededReader{chachaFor(cfg.Seed, "attack-nonces", s.Name())}
	var nonce []byte
	if ns := nonceSize(s); ns > 0 {
		nonce = make([]byte, ns)
		nonces.Read(nonce)
	}
	target, err := cipherimg.EncryptWith(s, plain, key, nonce)
	if err != nil {
		return nil, smp, fmt.Errorf("baselines: %s: %w", s.Name(), err)
	}
	smp.Cipher = target.Image
	for i, a := range breaks.For(s.Name()) {
		if d, ok := a.(breaks.DNACPA); ok && cfg.AttackMaxQueries > 0 {
			d.MaxQueries = cfg.AttackMaxQueries
			a = d
		}
		o, err := keyed.New(s, key, keyed.Policy{
			Target: target, Decrypt: a.Model() == breaks.ChosenCiphertext,
			Known: known(images[1:min(len(images), 1+maxKnown)]), Nonces: nonces,
		})
		if err != nil {
			return nil, smp, err
		}
		r, err := breaks.Run(ctx, a, o, target)
		if errors.Is(err, context.Canceled) {
			return nil, smp, err
		}
		if err != nil {
			return nil, smp, fmt.Errorf("baselines: %s: %w", s.Name(), err)
		}
		ar := AttackResult{Result: *r, Timing: Timing{Seconds: r.Seconds}}
		ar.Result.Seconds = 0 // kept under timing only
		if r.Recovered != nil {
			ar.Recovered = fractionEqual(plain, r.Recovered)
			ar.Exact = ar.Recovered == 1
			if i == 0 || (smp.Recovered == nil && ar.Exact) {
				smp.Recovered = r.Recovered
			}
		}
		out = append(out, ar)
	}
	return out, smp, nil
}

func known(ims []eval.Image) []image.Image {
	out := make([]image.Image, len(ims))
	for i, im := range ims {
		out[i] = im.Gray
	}
	return out
}
