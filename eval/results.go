package eval

import (
	"math"
	"strconv"
)

// Num is a float64 that survives JSON: NaN is written as null, infinities
// as the strings "+Inf" and "-Inf", finite values in Go's shortest
// round-trip form (so equal numbers give equal bytes).
type Num float64

// numJSON is Num's JSON spelling.
var numJSON = NumStyle{Inf: "+Inf", NegInf: "-Inf", Digits: -1}

// MarshalJSON implements json.Marshaler.
func (n Num) MarshalJSON() ([]byte, error) { return numJSON.AppendJSON(nil, float64(n)), nil }

// UnmarshalJSON implements json.Unmarshaler.
func (n *Num) UnmarshalJSON(b []byte) error {
	f, err := numJSON.ParseJSON(b)
	*n = Num(f)
	return err
}

// NumStyle spells floats in results files and reports, the one
// implementation behind eval's and package attacks' numbers: how NaN and
// the infinities read, and how many significant digits a finite value
// keeps (-1: Go's shortest round-trip form; n > 0: rounded to n
// significant digits first, so last-bit noise from summation order does
// not reach the file).
type NumStyle struct {
	NaN, Inf, NegInf string
	Digits           int
}

// Round applies s.Digits to f (a non-finite f is returned as it is).
func (s NumStyle) Round(f float64) float64 {
	if s.Digits <= 0 || f == 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return f
	}
	v, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'g', s.Digits, 64), 64)
	return v
}

// special returns the spelling of a non-finite f.
func (s NumStyle) special(f float64) (string, bool) {
	switch {
	case math.IsNaN(f):
		return s.NaN, true
	case math.IsInf(f, 1):
		return s.Inf, true
	case math.IsInf(f, -1):
		return s.NegInf, true
	}
	return "", false
}

// Format is f as text: the non-finite spellings, or the rounded value in
// its shortest form.
func (s NumStyle) Format(f float64) string {
	if t, ok := s.special(f); ok {
		return t
	}
	return strconv.FormatFloat(s.Round(f), 'g', -1, 64)
}

// Fixed is f with prec decimals, or the spelling of a non-finite f.
func (s NumStyle) Fixed(f float64, prec int) string {
	if t, ok := s.special(f); ok {
		return t
	}
	return strconv.FormatFloat(f, 'f', prec, 64)
}

// AppendJSON appends f as JSON: null for NaN, the infinities as quoted
// strings, finite values as Format writes them.
func (s NumStyle) AppendJSON(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "null"...)
	case math.IsInf(f, 0):
		return strconv.AppendQuote(b, s.Format(f))
	}
	return strconv.AppendFloat(b, s.Round(f), 'g', -1, 64)
}

// ParseJSON reads what AppendJSON writes.
func (s NumStyle) ParseJSON(b []byte) (float64, error) {
	switch string(b) {
	case "null":
		return math.NaN(), nil
	case strconv.Quote(s.Inf):
		return math.Inf(1), nil
	case strconv.Quote(s.NegInf):
		return math.Inf(-1), nil
	}
	return strconv.ParseFloat(string(b), 64)
}

// Results is everything one evaluation run measured. It holds no
// timestamps or host details (those go to RunInfo), so two runs of the same
// config and code give identical JSON.
type Results struct {
	Schema    string          `json:"schema"`
	Config    Config          `json:"config"`
	Images    []string        `json:"images"`
	Reference Reference       `json:"reference"`
	Plaintext SubjectResult   `json:"plaintext"`
	Subjects  []SubjectResult `json:"subjects"`

	localNulls map[int]*LocalNull // the run's simulations, kept for the plots
}

// ResultsSchema names the layout of Results.
const ResultsSchema = "medqr-eval/v1"

// Reference holds the critical values for a random image of the
// evaluation's size, and the local-entropy comparison with the published
// interval.
type Reference struct {
	Width       int      `json:"width"`
	Height      int      `json:"height"`
	Pixels      int      `json:"pixels"`
	Alpha       Num      `json:"alpha"`
	EntropyMean Num      `json:"entropy_null_mean"`
	EntropySD   Num      `json:"entropy_null_sd"`
	NPCR        []Crit   `json:"npcr_critical"`
	UACI        []Range  `json:"uaci_interval"`
	CorrBand    []Band   `json:"correlation_band"`
	ChiSquare   []Crit   `json:"chi_square_critical_255"`
	Local       LocalRef `json:"local_entropy"`
	LocalWu     LocalRef `json:"local_entropy_k30"`
}

// Crit is a one-sided critical value at a level.
type Crit struct {
	Alpha Num `json:"alpha"`
	Value Num `json:"value"`
}

// Range is a two-sided acceptance interval at a level.
type Range struct {
	Alpha Num `json:"alpha"`
	Lo    Num `json:"lo"`
	Hi    Num `json:"hi"`
}

// Band is the correlation acceptance band for one direction.
type Band struct {
	Direction string `json:"direction"`
	Pairs     int    `json:"pairs"`
	HalfWidth Num    `json:"half_width"`
}

// LocalRef describes the local-entropy null for k blocks of 44x44.
type LocalRef struct {
	K           int `json:"k"`
	BlockPixels int `json:"block_pixels"`
	Trials      int `json:"trials"`
	// BlockMean and BlockSD are the exact moments of one block's entropy.
	BlockMean Num `json:"block_mean_exact"`
	BlockSD   Num `json:"block_sd_exact"`
	// Lo and Hi are the simulated alpha/2 and 1-alpha/2 quantiles.
	Lo Num `json:"sim_lo"`
	Hi Num `json:"sim_hi"`
	// NormalLo and NormalHi are BlockMean -/+ z sd/sqrt(k).
	NormalLo Num `json:"normal_lo"`
	NormalHi Num `json:"normal_hi"`
	// PublishedLo/Hi is the k = 30, alpha = 0.05 interval of Wu et al.
	// (2013), and PublishedCoverage the fraction of simulated random
	// images inside it (only for k = 30).
	PublishedLo       Num `json:"published_lo,omitempty"`
	PublishedHi       Num `json:"published_hi,omitempty"`
	PublishedCoverage Num `json:"published_coverage,omitempty"`
}

// SubjectInfo is what results record of a subject (Subject's fields of
// the same names).
type SubjectInfo struct {
	Name          string `json:"name"`
	Group         string `json:"group"`
	Note          string `json:"note"`
	ImageShaped   bool   `json:"image_shaped"`
	FreshNonce    bool   `json:"fresh_nonce"`
	Deterministic bool   `json:"deterministic"`
}

// plaintextInfo describes the reference row of every run: the images
// themselves.
var plaintextInfo = SubjectInfo{Name: "plaintext", Group: "reference", Note: "the evaluation images themselves, no encryption", ImageShaped: true, Deterministic: true}

// SubjectResult is one subject's numbers.
type SubjectResult struct {
	SubjectInfo
	Summary   Summary      `json:"summary"`
	PerImage  []ImageStats `json:"per_image"`
	PlainSens []Trial      `json:"plaintext_sensitivity,omitempty"`
	KeySens   []Trial      `json:"key_sensitivity,omitempty"`

	// sample of the first image, kept for the plots
	firstPlain, firstCipher []byte
	firstW, firstH          int
}

// ImageStats are the single-image statistics of one subject's output.
type ImageStats struct {
	Image       string `json:"image"`
	Samples     int    `json:"samples"`
	Entropy     Num    `json:"entropy"`
	EntropyMean Num    `json:"entropy_null_mean"`
	EntropySD   Num    `json:"entropy_null_sd"`
	EntropyP    Num    `json:"entropy_p"`
	EntropyPass bool   `json:"entropy_pass"`
	LocalK      int    `json:"local_k"`
	Local       Num    `json:"local_entropy"`
	LocalP      Num    `json:"local_entropy_p"`
	LocalPass   bool   `json:"local_entropy_pass"`
	Corr        []Corr `json:"correlation"`
	ChiSquare   Num    `json:"chi_square"`
	ChiP        Num    `json:"chi_square_p"`
	ChiPass     bool   `json:"chi_square_pass"`
	// Fidelity of Decrypt(Encrypt(x)) against x; absent without Decrypt.
	Fidelity *Fidelity `json:"fidelity,omitempty"`
}

// Corr is one direction's adjacent-pixel correlation.
type Corr struct {
	Direction string `json:"direction"`
	R         Num    `json:"r"`
	Pairs     int    `json:"pairs"`
	Band      Num    `json:"band"`
	P         Num    `json:"p"`
	Pass      bool   `json:"pass"`
}

// Fidelity compares a decrypted image with its original.
type Fidelity struct {
	Exact  bool `json:"exact"`
	PSNR   Num  `json:"psnr_db"`
	SSIM   Num  `json:"ssim"`
	MSSSIM Num  `json:"ms_ssim"`
}

// Trial is one sensitivity trial: two outputs that differ in one plaintext
// pixel (or one key bit).
type Trial struct {
	Image    string `json:"image"`
	Change   int    `json:"change"` // pixel index or key bit
	Samples  int    `json:"samples"`
	NPCR     Num    `json:"npcr"`
	UACI     Num    `json:"uaci"`
	NPCRCrit Num    `json:"npcr_critical"`
	UACILo   Num    `json:"uaci_lo"`
	UACIHi   Num    `json:"uaci_hi"`
	NPCRPass bool   `json:"npcr_pass"`
	UACIPass bool   `json:"uaci_pass"`
	// LengthsDiffer: the two outputs differ in length; NPCR and UACI cover
	// the common prefix.
	LengthsDiffer bool `json:"lengths_differ,omitempty"`
}

// Dist summarises one number over images or trials.
type Dist struct {
	N    int `json:"n"`
	Mean Num `json:"mean"`
	SD   Num `json:"sd"`
	Min  Num `json:"min"`
	Max  Num `json:"max"`
	// Pass is the fraction of items that passed the test at alpha.
	Pass Num `json:"pass_rate"`
}

// Summary aggregates a subject's numbers.
type Summary struct {
	Entropy   Dist   `json:"entropy"`
	Local     Dist   `json:"local_entropy"`
	LocalK    int    `json:"local_k"`
	Corr      []Dist `json:"correlation"` // horizontal, vertical, diagonal (r, pass rate)
	ChiSquare Dist   `json:"chi_square"`
	PlainNPCR Dist   `json:"plaintext_npcr"`
	PlainUACI Dist   `json:"plaintext_uaci"`
	KeyNPCR   Dist   `json:"key_npcr"`
	KeyUACI   Dist   `json:"key_uaci"`
	// Fidelity over the images: PSNR over the inexact ones only.
	Exact  int  `json:"exact_reconstructions"`
	PSNR   Dist `json:"psnr_db"`
	SSIM   Dist `json:"ssim"`
	MSSSIM Dist `json:"ms_ssim"`
}

// dist summarises vals (NaNs skipped) with pass flags (nil: no pass rate).
func dist(vals []float64, pass []bool) Dist {
	var d Dist
	var sum, sum2 float64
	mn, mx := math.Inf(1), math.Inf(-1)
	for _, v := range vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		d.N++
		sum += v
		sum2 += v * v
		mn = math.Min(mn, v)
		mx = math.Max(mx, v)
	}
	d.Mean, d.SD, d.Min, d.Max, d.Pass = Num(math.NaN()), Num(math.NaN()), Num(math.NaN()), Num(math.NaN()), Num(math.NaN())
	if d.N > 0 {
		m := sum / float64(d.N)
		d.Mean, d.Min, d.Max = Num(m), Num(mn), Num(mx)
		if d.N > 1 {
			d.SD = Num(math.Sqrt(math.Max(0, (sum2-float64(d.N)*m*m)/float64(d.N-1))))
		}
	}
	if len(pass) > 0 {
		k := 0
		for _, p := range pass {
			if p {
				k++
			}
		}
		d.Pass = Num(float64(k) / float64(len(pass)))
	}
	return d
}
