package attacks

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"math/rand/v2"

	"github.com/medqr/medqr/codec"
	"github.com/medqr/medqr/eval"
	"github.com/medqr/medqr/qr"
	"github.com/medqr/medqr/seal"
)

// QRPoint counts the outcomes of one damage at one error-correction level.
// Every trial ends in exactly one of Opened, Unreadable, Refused or Wrong;
// Wrong (opened into an image other than the undamaged decryption) must be 0.
type QRPoint struct {
	Level      string         `json:"level"`
	Damage     Damage         `json:"damage"`
	Trials     int            `json:"trials"`
	Opened     int            `json:"opened"`               // read, authenticated, decoded to the undamaged image
	Unreadable int            `json:"unreadable"`           // the QR reader found no symbol
	Refused    int            `json:"refused"`              // read, but the container refused the bytes
	Wrong      int            `json:"wrong_images"`         // opened into a different image: must stay 0
	Strategies map[string]int `json:"strategies,omitempty"` // reader strategy that succeeded
}

// QRFidelity is the product path's undamaged fidelity at one level.
type QRFidelity struct {
	Level   string `json:"level"`
	Budget  int    `json:"payload_budget_bytes"`
	Payload Num    `json:"payload_bytes_mean"`
	PSNR    Num    `json:"psnr_db"`
	SSIM    Num    `json:"ssim"`
	// Symbols is the SHA-256 of the sealed containers behind the level's
	// QR symbols, in image order. Their message ids are seeded, so a rerun
	// of one config seals, renders and damages the same symbols.
	Symbols string `json:"symbols_sha256"`
}

// QRReport is attack 2.
type QRReport struct {
	Codec       string       `json:"codec"`
	PxPerModule int          `json:"px_per_module"`
	Images      int          `json:"images"`
	Levels      []string     `json:"levels"`
	Fidelity    []QRFidelity `json:"fidelity"`
	Points      []QRPoint    `json:"points"`
	// BitRot: after a successful read, the container bytes were corrupted
	// as a QR mis-correction would (one to eight bit flips): all must be
	// refused (the tamper attack covers this at scale).
	BitRotTrials  int `json:"bitrot_trials"`
	BitRotRefused int `json:"bitrot_refused"`
}

type qrSymbol struct {
	level     qr.Level
	img       *image.Gray
	container []byte
	clean     *image.Gray // decryption of the undamaged symbol
}

func runQR(ctx context.Context, rng *rand.Rand, cfg QRConfig, imgs []*image.Gray, tick func()) (*QRReport, error) {
	c, err := codec.ByName(cfg.Codec)
	if err != nil {
		return nil, fmt.Errorf("attacks: qr: %w", err)
	}
	// A seeded key and message ids (research only, see seededReader): the
	// QR modules, and so the damage outcomes, repeat from run to run.
	key := seal.Key(randKey(rng))
	sealer, opener := seal.WithRand(seal.NewKeySealer(key), seededReader(rng)), seal.KeyOpener(key)
	rep := &QRReport{Codec: c.Name(), PxPerModule: cfg.PxPerModule, Images: len(imgs), Levels: cfg.Levels}
	ds := damageList(cfg.SaltPepper, cfg.Gaussian, cfg.Blocks, cfg.Positions, cfg.JPEG)
	open := func(b []byte) (*image.Gray, error) {
		_, payload, err := seal.OpenMessage([][]byte{b}, opener)
		if err != nil {
			return nil, err
		}
		img, err := c.Decode(payload)
		if err != nil {
			return nil, err
		}
		return toGray(img), nil
	}
	for _, ls := range cfg.Levels {
		lvl, err := qr.ParseLevel(ls)
		if err != nil {
			return nil, err
		}
		capacity := qr.Capacity(lvl)
		budget := seal.PayloadBudget(capacity, sealer)
		fid := QRFidelity{Level: ls, Budget: budget}
		var syms []qrSymbol
		var ps, ss, pl float64
		fp := sha256.New()
		for i, im := range imgs {
			payload, err := c.Encode(im, budget)
			if err != nil {
				return nil, fmt.Errorf("attacks: qr: image %d at level %s: %w", i, ls, err)
			}
			cs, err := seal.SealMessage(seal.Meta{Codec: c.ID(), Width: im.Rect.Dx(), Height: im.Rect.Dy(), Depth: 8, Level: byte(lvl)}, payload, capacity, sealer)
			if err != nil {
				return nil, fmt.Errorf("attacks: qr: %w", err)
			}
			if len(cs) != 1 {
				return nil, fmt.Errorf("attacks: qr: payload took %d symbols, want 1", len(cs))
			}
			sym, err := qr.Encode(cs[0], lvl, cfg.PxPerModule)
			if err != nil {
				return nil, fmt.Errorf("attacks: qr: %w", err)
			}
			read, err := qr.Decode(sym)
			if err != nil || !bytes.Equal(read, cs[0]) {
				return nil, fmt.Errorf("attacks: qr: undamaged level-%s symbol does not read back (%v)", ls, err)
			}
			clean, err := open(read)
			if err != nil {
				return nil, fmt.Errorf("attacks: qr: undamaged symbol does not open: %w", err)
			}
			syms = append(syms, qrSymbol{level: lvl, img: sym, container: cs[0], clean: clean})
			fp.Write(cs[0])
			ps += capPSNR(eval.PSNR(im, clean))
			ss += eval.SSIM(im, clean)
			pl += float64(len(payload))
		}
		k := float64(len(imgs))
		fid.PSNR, fid.SSIM, fid.Payload = Num(round6(ps/k)), Num(round6(ss/k)), Num(round6(pl/k))
		fid.Symbols = hex.EncodeToString(fp.Sum(nil))
		rep.Fidelity = append(rep.Fidelity, fid)

		for _, d := range ds {
			pt := QRPoint{Level: ls, Damage: d, Strategies: map[string]int{}}
			for _, s := range syms {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				dmg, err := d.Apply(s.img, rng)
				if err != nil {
					return nil, err
				}
				pt.Trials++
				read, strat, err := qr.DecodeStrategy(dmg)
				if err != nil {
					pt.Unreadable++
					continue
				}
				got, err := open(read)
				if err != nil {
					pt.Refused++
					continue
				}
				if !bytes.Equal(got.Pix, s.clean.Pix) {
					pt.Wrong++
					continue
				}
				pt.Opened++
				pt.Strategies[strat]++
			}
			rep.Points = append(rep.Points, pt)
			if tick != nil {
				tick()
			}
		}
		for _, s := range syms {
			for range 50 {
				b := bytes.Clone(s.container)
				for range 1 + rng.IntN(8) {
					i := rng.IntN(len(b) * 8)
					b[i/8] ^= 1 << (i % 8)
				}
				rep.BitRotTrials++
				if _, err := open(b); err != nil && (errors.Is(err, seal.ErrAuth) || isSealRefusal(err)) {
					rep.BitRotRefused++
				}
			}
		}
	}
	return rep, nil
}

// isSealRefusal reports a structural refusal by the container (a damaged
// header is refused before authentication is attempted).
func isSealRefusal(err error) bool {
	var fe *seal.FormatError
	var me *seal.MissingError
	return errors.As(err, &fe) || errors.As(err, &me) || errors.Is(err, seal.ErrVersion) || errors.Is(err, seal.ErrMixed)
}
