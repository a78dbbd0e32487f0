package attacks

import (
	"fmt"

	"github.com/medqr/medqr/eval"
	"github.com/medqr/medqr/internal/jsonconfig"
)

// Config is one attack run. Every field has a documented default
// (DefaultConfig); a JSON file in experiments/ overrides any subset of them,
// and unknown keys are errors. The effective config is saved in the report.
type Config struct {
	// Seed drives every random choice (images, damage, keys, nonces, trials).
	Seed uint64 `json:"seed"`
	// Images is the folder of source images (class subfolders are fine).
	Images string `json:"images"`
	// Size is the working size (Size x Size, 8-bit gray) of the research scheme.
	Size int `json:"size"`
	// Keystream names the research scheme's keystream: "chacha20" or "chaos".
	Keystream string `json:"keystream"`

	Noise        NoiseConfig        `json:"noise"`
	QR           QRConfig           `json:"qr"`
	Differential DifferentialConfig `json:"differential"`
	Chosen       ChosenConfig       `json:"chosen"`
	Learned      LearnedConfig      `json:"learned"`
	Brute        BruteConfig        `json:"brute"`
	Tamper       TamperConfig       `json:"tamper"`
}

// NoiseConfig is attack 1: damage on the research cipher image.
type NoiseConfig struct {
	Images     int       `json:"images"`      // test images per setting
	SaltPepper []float64 `json:"salt_pepper"` // fraction of pixels set to 0 or 255
	Gaussian   []float64 `json:"gaussian"`    // noise standard deviation in 8-bit levels
	Blocks     []float64 `json:"blocks"`      // zeroed block area as a fraction of the image
	Positions  []string  `json:"positions"`   // top-left, center, bottom-right
	JPEG       []int     `json:"jpeg"`        // recompression quality of the cipher image
}

// QRConfig is attack 2: damage on the product path's QR images.
type QRConfig struct {
	Images      int       `json:"images"`        // source images (one QR symbol each)
	Levels      []string  `json:"levels"`        // QR error-correction levels
	PxPerModule int       `json:"px_per_module"` // rendering scale of the QR symbol
	Codec       string    `json:"codec"`         // codec name for the payload (codec.ByName)
	SaltPepper  []float64 `json:"salt_pepper"`
	Gaussian    []float64 `json:"gaussian"`
	Blocks      []float64 `json:"blocks"`
	Positions   []string  `json:"positions"`
	JPEG        []int     `json:"jpeg"`
}

// DifferentialConfig is attack 3: NPCR/UACI and key sensitivity.
type DifferentialConfig struct {
	Trials int     `json:"trials"` // trials per distribution
	Alpha  float64 `json:"alpha"`  // significance level of the Wu 2011 critical values
}

// ChosenConfig is attack 4a: classical chosen/known-plaintext recovery.
type ChosenConfig struct {
	Size    int `json:"size"`    // image side used for the attack (Size x Size)
	Targets int `json:"targets"` // unseen cipher images the recovered tables decrypt
}

// LearnedConfig is attack 4b: a network trained on (plain, cipher) pairs.
type LearnedConfig struct {
	Size   int     `json:"size"`   // image side (Size x Size); images are downscaled crops
	Train  int     `json:"train"`  // known (plain, cipher) training pairs
	Test   int     `json:"test"`   // unseen cipher images
	Epochs int     `json:"epochs"` // passes over the training pairs
	Batch  int     `json:"batch"`  // minibatch size
	LR     float64 `json:"lr"`     // Adam learning rate
}

// BruteConfig is attack 5: key space and the cost of one key trial.
type BruteConfig struct {
	// Passphrases lists the assumed passphrase entropies, stated in the report.
	Passphrases []PassphraseAssumption `json:"passphrases"`
	KeyTrials   int                    `json:"key_trials"`        // repetitions timing a raw-key trial
	PassTrials  int                    `json:"passphrase_trials"` // repetitions timing an Argon2id trial
	RecipTrials int                    `json:"recipient_trials"`  // repetitions timing a recipient trial
	Parallel    float64                `json:"parallel"`          // assumed attacker cores for the search time
	WrongKeys   int                    `json:"wrong_keys"`        // random wrong keys tried on a product message
}

// PassphraseAssumption names a passphrase policy and its assumed entropy.
type PassphraseAssumption struct {
	Name string  `json:"name"`
	Bits float64 `json:"bits"`
}

// TamperConfig is attack 6: mutations of sealed payloads.
type TamperConfig struct {
	Trials           int `json:"trials"`            // key-mode trials (at least 100,000 in the full run)
	PassphraseTrials int `json:"passphrase_trials"` // trials on passphrase-sealed messages (Argon2id each)
	RecipientTrials  int `json:"recipient_trials"`  // trials on recipient-sealed messages
	Messages         int `json:"messages"`          // distinct sealed messages mutated
}

// DefaultConfig is the full run behind "make attacks".
func DefaultConfig() Config {
	return Config{
		Seed:      20261125,
		Images:    "data/samples/kermany_cxr_224",
		Size:      256,
		Keystream: "chacha20",
		Noise: NoiseConfig{
			Images:     4,
			SaltPepper: []float64{0.001, 0.003, 0.01, 0.03, 0.1},
			Gaussian:   []float64{1, 2, 5, 10, 20},
			Blocks:     []float64{1.0 / 64, 1.0 / 16, 1.0 / 8, 1.0 / 4, 1.0 / 2},
			Positions:  []string{"top-left", "center", "bottom-right"},
			JPEG:       []int{100, 95, 90, 75, 50},
		},
		QR: QRConfig{
			Images:      3,
			Levels:      []string{"L", "M", "Q", "H"},
			PxPerModule: 4,
			Codec:       "jpeg",
			SaltPepper:  []float64{0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5},
			Gaussian:    []float64{30, 60, 100},
			Blocks:      []float64{1.0 / 64, 1.0 / 16, 1.0 / 8, 1.0 / 4},
			Positions:   []string{"top-left", "center"},
			JPEG:        []int{50, 20, 10},
		},
		Differential: DifferentialConfig{Trials: 100, Alpha: 0.05},
		Chosen:       ChosenConfig{Size: 256, Targets: 4},
		Learned:      LearnedConfig{Size: 16, Train: 10000, Test: 200, Epochs: 5, Batch: 50, LR: 3e-4},
		Brute: BruteConfig{
			Passphrases: []PassphraseAssumption{
				{Name: "4 Diceware words", Bits: 51.7},
				{Name: "6 Diceware words", Bits: 77.5},
			},
			KeyTrials: 20000, PassTrials: 3, RecipTrials: 2000, Parallel: 1e6, WrongKeys: 1000,
		},
		Tamper: TamperConfig{Trials: 100000, PassphraseTrials: 30, RecipientTrials: 2000, Messages: 8},
	}
}

// QuickConfig is the small run that "make test" executes (tens of seconds).
func QuickConfig() Config {
	c := DefaultConfig()
	c.Size = 64
	c.Noise.Images = 1
	c.Noise.SaltPepper = []float64{0.001, 0.01, 0.1}
	c.Noise.Gaussian = []float64{2, 10}
	c.Noise.Blocks = []float64{1.0 / 64, 1.0 / 4}
	c.Noise.Positions = []string{"top-left", "center"}
	c.Noise.JPEG = []int{95, 75}
	c.QR.Images = 1
	c.QR.Levels = []string{"L", "H"}
	c.QR.SaltPepper = []float64{0.05, 0.5}
	c.QR.Gaussian = nil
	c.QR.Blocks = []float64{1.0 / 4}
	c.QR.Positions = []string{"center"}
	c.QR.JPEG = []int{30}
	c.Differential.Trials = 10
	c.Chosen = ChosenConfig{Size: 32, Targets: 2}
	c.Learned = LearnedConfig{Size: 12, Train: 1200, Test: 40, Epochs: 3, Batch: 50, LR: 5e-4}
	c.Brute.KeyTrials = 500
	c.Brute.PassTrials = 1
	c.Brute.RecipTrials = 50
	c.Brute.WrongKeys = 50
	c.Tamper = TamperConfig{Trials: 3000, PassphraseTrials: 2, RecipientTrials: 50, Messages: 4}
	return c
}

// LoadConfig reads a JSON file over base; unknown keys are errors.
func LoadConfig(path string, base Config) (Config, error) {
	c := base
	if err := jsonconfig.ReadFile(path, &c); err != nil {
		return base, fmt.Errorf("attacks: %w", err)
	}
	if err := c.Validate(); err != nil {
		return base, fmt.Errorf("attacks: config %s: %w", path, err)
	}
	return c, nil
}

// Override applies one "key=value" setting with a dotted JSON name
// ("seed=7", "tamper.trials=1000", "noise.jpeg=[90,50]"; eval.Override's
// rule: values are JSON, a string field takes the value as written). The
// result must validate; c is unchanged on any error.
func (c *Config) Override(kv string) error {
	if err := eval.Override(c, kv); err != nil {
		return fmt.Errorf("attacks: %w", err)
	}
	return nil
}

// Validate reports the first setting that cannot run.
func (c Config) Validate() error {
	pos := func(name string, v int) error {
		if v <= 0 {
			return fmt.Errorf("%s must be positive, got %d", name, v)
		}
		return nil
	}
	for _, e := range []error{
		pos("size", c.Size),
		pos("noise.images", c.Noise.Images),
		pos("qr.images", c.QR.Images),
		pos("qr.px_per_module", c.QR.PxPerModule),
		pos("differential.trials", c.Differential.Trials),
		pos("chosen.size", c.Chosen.Size),
		pos("chosen.targets", c.Chosen.Targets),
		pos("learned.size", c.Learned.Size),
		pos("learned.train", c.Learned.Train),
		pos("learned.test", c.Learned.Test),
		pos("learned.epochs", c.Learned.Epochs),
		pos("learned.batch", c.Learned.Batch),
		pos("brute.key_trials", c.Brute.KeyTrials),
		pos("brute.passphrase_trials", c.Brute.PassTrials),
		pos("brute.recipient_trials", c.Brute.RecipTrials),
		pos("brute.wrong_keys", c.Brute.WrongKeys),
		pos("tamper.trials", c.Tamper.Trials),
		pos("tamper.messages", c.Tamper.Messages),
	} {
		if e != nil {
			return e
		}
	}
	if c.Images == "" {
		return fmt.Errorf("images must name a folder of images")
	}
	if c.Keystream != "chacha20" && c.Keystream != "chaos" {
		return fmt.Errorf("keystream must be chacha20 or chaos, got %q", c.Keystream)
	}
	if c.Differential.Alpha <= 0 || c.Differential.Alpha >= 1 {
		return fmt.Errorf("differential.alpha must be in (0, 1), got %v", c.Differential.Alpha)
	}
	if c.Learned.LR <= 0 {
		return fmt.Errorf("learned.lr must be positive, got %v", c.Learned.LR)
	}
	if c.Brute.Parallel < 1 {
		return fmt.Errorf("brute.parallel must be at least 1, got %v", c.Brute.Parallel)
	}
	for _, f := range append(append([]float64{}, c.Noise.SaltPepper...), c.QR.SaltPepper...) {
		if f < 0 || f > 1 {
			return fmt.Errorf("salt_pepper fractions must be in [0, 1], got %v", f)
		}
	}
	for _, f := range append(append([]float64{}, c.Noise.Blocks...), c.QR.Blocks...) {
		if f <= 0 || f > 1 {
			return fmt.Errorf("blocks fractions must be in (0, 1], got %v", f)
		}
	}
	for _, q := range append(append([]int{}, c.Noise.JPEG...), c.QR.JPEG...) {
		if q < 1 || q > 100 {
			return fmt.Errorf("jpeg qualities must be in [1, 100], got %d", q)
		}
	}
	for _, p := range append(append([]string{}, c.Noise.Positions...), c.QR.Positions...) {
		if _, err := parsePosition(p); err != nil {
			return err
		}
	}
	for _, l := range c.QR.Levels {
		switch l {
		case "L", "M", "Q", "H":
		default:
			return fmt.Errorf("qr.levels: unknown level %q (use L, M, Q or H)", l)
		}
	}
	return nil
}
