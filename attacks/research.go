package attacks

import (
	"context"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/medqr/medqr/eval"
)

// ---------------------------------------------------------------------
// Attack 1: noise, blocks and JPEG on the cipher image.

// NoisePoint is the mean fidelity of decrypted images after one damage.
type NoisePoint struct {
	Scheme string `json:"scheme"`
	Damage Damage `json:"damage"`
	PSNR   Num    `json:"psnr_db"` // mean over images; an exact decryption counts as MaxPSNR
	SSIM   Num    `json:"ssim"`
	Exact  int    `json:"exact"` // images decrypted bit for bit despite the damage
}

// NoiseReport is attack 1.
type NoiseReport struct {
	Size   int          `json:"size"`
	Images int          `json:"images"`
	Points []NoisePoint `json:"points"`
	// Examples are decryptions of the first image after a few damages, as
	// PNG files under the report folder.
	Examples []NoiseExample `json:"examples"`
	exImgs   map[string]*image.Gray
}

// NoiseExample names one saved damaged decryption.
type NoiseExample struct {
	Scheme string `json:"scheme"`
	Damage Damage `json:"damage"`
	Image  string `json:"image"`
}

// exampleDamages are the damages whose decryptions are saved.
var exampleDamages = []Damage{
	{Kind: "salt-pepper", Strength: 0.01},
	{Kind: "gaussian", Strength: 2},
	{Kind: "block", Strength: 1.0 / 16, Position: "center"},
	{Kind: "jpeg", Strength: 90},
}

func runNoise(ctx context.Context, rng *rand.Rand, schemes []Scheme, imgs []*image.Gray, ds []Damage, tick func()) (*NoiseReport, error) {
	rep := &NoiseReport{Size: imgs[0].Rect.Dx(), Images: len(imgs), exImgs: map[string]*image.Gray{}}
	for _, s := range schemes {
		key := randKey(rng)
		cts := make([]*Ciphertext, len(imgs))
		for i, p := range imgs {
			c, err := s.Encrypt(key, randBytes(rng, s.NonceSize()), p)
			if err != nil {
				return nil, fmt.Errorf("attacks: noise: %s: %w", s.Name(), err)
			}
			cts[i] = c
		}
		for _, d := range ds {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			pt := NoisePoint{Scheme: s.Name(), Damage: d}
			var ps, ss float64
			for i, p := range imgs {
				dmg, err := d.Apply(cts[i].Image, rng)
				if err != nil {
					return nil, err
				}
				dec, err := s.Decrypt(key, cts[i].withImage(dmg))
				if err != nil {
					return nil, fmt.Errorf("attacks: noise: %s: decrypt after %s: %w", s.Name(), d, err)
				}
				v := eval.PSNR(p, dec)
				if math.IsInf(v, 1) {
					pt.Exact++
				}
				if i == 0 && containsDamage(exampleDamages, d) {
					ex := NoiseExample{Scheme: s.Name(), Damage: d, Image: "images/noise-" + slug(s.Name()) + "-" + slug(d.String()) + ".png"}
					rep.Examples = append(rep.Examples, ex)
					rep.exImgs[ex.Image] = dec
				}
				ps += capPSNR(v)
				ss += eval.SSIM(p, dec)
			}
			pt.PSNR, pt.SSIM = Num(ps/float64(len(imgs))), Num(ss/float64(len(imgs)))
			rep.Points = append(rep.Points, pt)
			if tick != nil {
				tick()
			}
		}
	}
	return rep, nil
}

// ---------------------------------------------------------------------
// Attack 3: differential attack and key sensitivity.

// Summary describes a sample of one statistic.
type Summary struct {
	Mean Num `json:"mean"`
	SD   Num `json:"sd"`
	Min  Num `json:"min"`
	Max  Num `json:"max"`
}

func summarize(v []float64) Summary {
	if len(v) == 0 {
		return Summary{Num(math.NaN()), Num(math.NaN()), Num(math.NaN()), Num(math.NaN())}
	}
	var m, lo, hi float64 = 0, math.Inf(1), math.Inf(-1)
	for _, x := range v {
		m += x
		lo, hi = min(lo, x), max(hi, x)
	}
	m /= float64(len(v))
	var ss float64
	for _, x := range v {
		ss += (x - m) * (x - m)
	}
	sd := 0.0
	if len(v) > 1 {
		sd = math.Sqrt(ss / float64(len(v)-1))
	}
	return Summary{Num(m), Num(sd), Num(lo), Num(hi)}
}

// Dist is the NPCR/UACI distribution of one scheme under one test.
type Dist struct {
	Scheme   string    `json:"scheme"`
	Test     string    `json:"test"` // plaintext, key, fresh-nonce
	Trials   int       `json:"trials"`
	NPCR     Summary   `json:"npcr_pct"`
	UACI     Summary   `json:"uaci_pct"`
	NPCRPass float64   `json:"npcr_pass"` // fraction of trials with NPCR >= critical
	UACIPass float64   `json:"uaci_pass"` // fraction of trials with UACI inside the interval
	NPCRs    []float64 `json:"npcr_values"`
	UACIs    []float64 `json:"uaci_values"`
}

// DiffTests names the differential tests, in report order.
var DiffTests = []string{"plaintext", "key", "fresh-nonce"}

// DiffTestDoc says what each test compares.
var DiffTestDoc = map[string]string{
	"plaintext":   "two plaintexts one pixel apart (+-1), same key and nonce",
	"key":         "one plaintext, two keys one bit apart, same nonce",
	"fresh-nonce": "one plaintext encrypted twice under the same key with fresh nonces (passes trivially)",
}

// KeyFlip is what a decryption with a key one bit off looks like.
type KeyFlip struct {
	Scheme  string `json:"scheme"`
	Bit     int    `json:"bit"`
	PSNR    Num    `json:"psnr_db"`      // against the true plaintext
	SSIM    Num    `json:"ssim"`         // against the true plaintext
	NPCR    Num    `json:"npcr_pct"`     // against the true plaintext
	Entropy Num    `json:"entropy_bits"` // of the wrong decryption
	Image   string `json:"image"`        // PNG under the report folder
}

// DiffReport is attack 3.
type DiffReport struct {
	Size     int       `json:"size"`
	Alpha    float64   `json:"alpha"`
	NPCRCrit Num       `json:"npcr_critical_pct"`
	UACILo   Num       `json:"uaci_low_pct"`
	UACIHi   Num       `json:"uaci_high_pct"`
	Dists    []Dist    `json:"distributions"`
	KeyFlips []KeyFlip `json:"key_one_bit_off"`
	flipImgs map[string]*image.Gray
}

func runDifferential(ctx context.Context, rng *rand.Rand, schemes []Scheme, imgs []*image.Gray, trials int, alpha float64, tick func()) (*DiffReport, error) {
	n := len(imgs[0].Pix)
	rep := &DiffReport{Size: imgs[0].Rect.Dx(), Alpha: alpha, flipImgs: map[string]*image.Gray{}}
	rep.NPCRCrit = Num(eval.NPCRCritical(n, 255, alpha))
	lo, hi := eval.UACIInterval(n, 255, alpha)
	rep.UACILo, rep.UACIHi = Num(lo), Num(hi)
	for _, s := range schemes {
		for _, test := range DiffTests {
			d := Dist{Scheme: s.Name(), Test: test, Trials: trials}
			for t := 0; t < trials; t++ {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				p := imgs[t%len(imgs)]
				key := randKey(rng)
				nonce := randBytes(rng, s.NonceSize())
				p2, key2, nonce2 := p, key, nonce
				switch test {
				case "plaintext":
					p2 = cloneGray(p)
					i := rng.IntN(len(p2.Pix))
					if p2.Pix[i] == 255 || (p2.Pix[i] > 0 && rng.IntN(2) == 0) {
						p2.Pix[i]--
					} else {
						p2.Pix[i]++
					}
				case "key":
					b := rng.IntN(256)
					key2[b/8] ^= 1 << (b % 8)
				case "fresh-nonce":
					nonce2 = randBytes(rng, s.NonceSize())
				}
				c1, err := s.Encrypt(key, nonce, p)
				if err != nil {
					return nil, fmt.Errorf("attacks: differential: %s: %w", s.Name(), err)
				}
				c2, err := s.Encrypt(key2, nonce2, p2)
				if err != nil {
					return nil, fmt.Errorf("attacks: differential: %s: %w", s.Name(), err)
				}
				np, ua, err := eval.NPCRUACI(c1.Image, c2.Image)
				if err != nil {
					return nil, err
				}
				d.NPCRs = append(d.NPCRs, round6(np))
				d.UACIs = append(d.UACIs, round6(ua))
				if np >= float64(rep.NPCRCrit) {
					d.NPCRPass++
				}
				if ua >= lo && ua <= hi {
					d.UACIPass++
				}
				if tick != nil {
					tick()
				}
			}
			d.NPCR, d.UACI = summarize(d.NPCRs), summarize(d.UACIs)
			d.NPCRPass /= float64(trials)
			d.UACIPass /= float64(trials)
			rep.Dists = append(rep.Dists, d)
		}
		// Decrypting with a key one bit off.
		p := imgs[0]
		key := randKey(rng)
		c, err := s.Encrypt(key, randBytes(rng, s.NonceSize()), p)
		if err != nil {
			return nil, err
		}
		bit := rng.IntN(256)
		wrong := key
		wrong[bit/8] ^= 1 << (bit % 8)
		dec, err := s.Decrypt(wrong, c)
		if err != nil {
			return nil, fmt.Errorf("attacks: one-bit-off decryption: %s: %w", s.Name(), err)
		}
		kf := keyFlipOf(s.Name(), bit, p, dec, "images/"+slug(s.Name())+"-key-one-bit-off.png")
		rep.flipImgs[kf.Image] = dec
		rep.KeyFlips = append(rep.KeyFlips, kf)
	}
	return rep, nil
}

// ---------------------------------------------------------------------
// Attack 4a: classical chosen plaintext.

// ChosenResult is the classical attack on one scheme.
// The classical chosen-plaintext attacks of ChosenResult.Attack.
const (
	// AttackTables is ChosenPlaintext: per-position substitution tables
	// and index images, for "permute, then substitute each position".
	AttackTables = "substitution tables"
	// AttackCoupling is CouplingAttack: impulses with spill compensation,
	// then two adaptive queries per image, for "permute, then two coupling
	// layers" (cipherimg with diffusion off).
	AttackCoupling = "coupling inversion"
)

// ChosenResult is one classical attack on one scheme and nonce rule.
type ChosenResult struct {
	Attack  string `json:"attack"` // AttackTables or AttackCoupling
	Scheme  string `json:"scheme"`
	Nonce   string `json:"nonce"` // fixed or fresh
	Size    int    `json:"size"`
	Queries int    `json:"queries"` // chosen plaintexts before the first target
	// DecryptQueries is the number of further chosen plaintexts per target
	// image (0 for the table attack, DecryptQueries for the coupling one).
	DecryptQueries int     `json:"decrypt_queries_per_image"`
	Bijective      float64 `json:"bijective_positions,omitempty"` // tables: fraction of positions behaving as a byte bijection
	PermValid      bool    `json:"permutation_valid"`             // tables: the index images gave a permutation; coupling: every position placed and every model check passed
	Located        float64 `json:"located_positions,omitempty"`   // coupling: fraction of cipher positions placed
	Exact          float64 `json:"exact_pixels"`                  // fraction of target pixels recovered exactly
	PSNR           Num     `json:"psnr_db"`
	SSIM           Num     `json:"ssim"`
	Full           bool    `json:"full_recovery"` // every target image recovered bit for bit
}

// chosenAttack is one classical attack: it learns from enc (w x h) and
// returns the decryption of unseen cipher images plus its statistics.
type chosenAttack func(enc Oracle, w, h int, rng *rand.Rand) (decrypt func(*image.Gray) (*image.Gray, error), r ChosenResult, err error)

func tablesAttack(enc Oracle, w, h int, _ *rand.Rand) (func(*image.Gray) (*image.Gray, error), ChosenResult, error) {
	rec, err := ChosenPlaintext(enc, w, h)
	if err != nil {
		return nil, ChosenResult{}, err
	}
	return rec.Decrypt, ChosenResult{Attack: AttackTables, Queries: rec.Queries,
		Bijective: round6(rec.Bijective), PermValid: rec.PermValid}, nil
}

func couplingAttack(enc Oracle, w, h int, rng *rand.Rand) (func(*image.Gray) (*image.Gray, error), ChosenResult, error) {
	co, err := CouplingAttack(GrayOracle(enc, w, h), w, h, 8, rng)
	if err != nil {
		return nil, ChosenResult{}, err
	}
	dec := func(c *image.Gray) (*image.Gray, error) {
		cg := cloneGray(c)
		px := make([]uint16, len(cg.Pix))
		for i, v := range cg.Pix {
			px[i] = uint16(v)
		}
		p, err := co.Decrypt(px)
		if err != nil {
			return nil, err
		}
		out := image.NewGray(image.Rect(0, 0, w, h))
		for i, v := range p {
			out.Pix[i] = uint8(v)
		}
		return out, nil
	}
	return dec, ChosenResult{Attack: AttackCoupling, Queries: co.Queries, DecryptQueries: DecryptQueries,
		PermValid: co.Complete, Located: round6(float64(co.Located) / float64(w*h))}, nil
}

func runChosen(ctx context.Context, rng *rand.Rand, schemes []Scheme, targets []*image.Gray, tick func()) ([]ChosenResult, error) {
	var out []ChosenResult
	for _, a := range []chosenAttack{tablesAttack, couplingAttack} {
		for _, s := range schemes {
			for _, mode := range []string{"fixed", "fresh"} {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				key := randKey(rng)
				nonce := randBytes(rng, s.NonceSize())
				enc := FixedNonceOracle(s, key, nonce)
				if mode == "fresh" {
					enc = FreshNonceOracle(s, key, func() []byte { return randBytes(rng, s.NonceSize()) })
				}
				w, h := targets[0].Rect.Dx(), targets[0].Rect.Dy()
				decrypt, r, err := a(enc, w, h, rng)
				if err != nil {
					return nil, fmt.Errorf("attacks: chosen plaintext: %s: %w", s.Name(), err)
				}
				r.Scheme, r.Nonce, r.Size, r.Full = s.Name(), mode, w, true
				var ps, ss float64
				exact, total := 0, 0
				for _, p := range targets {
					c, err := enc(p) // the victim's message, under the same oracle rules
					if err != nil {
						return nil, err
					}
					got, err := decrypt(c)
					if err != nil {
						return nil, err
					}
					exact += matching(got.Pix, p.Pix)
					total += len(got.Pix)
					v := eval.PSNR(p, got)
					if !math.IsInf(v, 1) {
						r.Full = false
					}
					ps += capPSNR(v)
					ss += eval.SSIM(p, got)
				}
				r.Exact = round6(float64(exact) / float64(total))
				r.PSNR, r.SSIM = Num(ps/float64(len(targets))), Num(ss/float64(len(targets)))
				out = append(out, r)
				if tick != nil {
					tick()
				}
			}
		}
	}
	return out, nil
}

// ---------------------------------------------------------------------
// Attack 4b: learned known-plaintext attack.

func runLearned(ctx context.Context, rng *rand.Rand, schemes []Scheme, train, test []*image.Gray, cfg LearnedConfig, tick func()) ([]LearnedResult, error) {
	var out []LearnedResult
	for _, s := range schemes {
		for _, mode := range []string{"fixed", "fresh"} {
			key := randKey(rng)
			fixed := randBytes(rng, s.NonceSize())
			nonce := func() []byte { return fixed }
			if mode == "fresh" {
				nonce = func() []byte { return randBytes(rng, s.NonceSize()) }
			}
			mk := func(plains []*image.Gray) ([]Pair, error) {
				ps := make([]Pair, len(plains))
				for i, p := range plains {
					c, err := s.Encrypt(key, nonce(), p)
					if err != nil {
						return nil, fmt.Errorf("attacks: learned attack: %s: %w", s.Name(), err)
					}
					ps[i] = Pair{Plain: p, Cipher: c.Image}
				}
				return ps, nil
			}
			tr, err := mk(train)
			if err != nil {
				return nil, err
			}
			te, err := mk(test)
			if err != nil {
				return nil, err
			}
			res, err := LearnedAttack(ctx, rng, tr, te, cfg.Epochs, cfg.Batch, cfg.LR, tick)
			if err != nil {
				return nil, err
			}
			res.Scheme, res.Nonce = s.Name(), mode
			for i, v := range res.EpochLoss {
				res.EpochLoss[i] = round6(v)
			}
			out = append(out, *res)
		}
	}
	return out, nil
}

// keyFlipOf describes a wrong-key decryption dec of plain p.
func keyFlipOf(scheme string, bit int, p, dec *image.Gray, path string) KeyFlip {
	np, _, err := eval.NPCRUACI(p, dec)
	if err != nil {
		np = math.NaN()
	}
	return KeyFlip{Scheme: scheme, Bit: bit, PSNR: Num(round6(eval.PSNR(p, dec))), SSIM: Num(round6(eval.SSIM(p, dec))),
		NPCR: Num(round6(np)), Entropy: Num(round6(eval.EntropyBytes(cloneGray(dec).Pix))), Image: path}
}

// slug turns a scheme name into a file name part.
func slug(s string) string {
	var b []byte
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b = append(b, byte(r))
			dash = false
		case !dash && len(b) > 0:
			b = append(b, '-')
			dash = true
		}
	}
	return strings.TrimRight(string(b), "-")
}
