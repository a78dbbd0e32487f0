package attacks

import "github.com/medqr/medqr/eval"

// Num is a float64 that survives JSON: +Inf (an identical pair's PSNR) is
// written as the string "inf", NaN (a metric that does not apply) as null,
// finite values rounded to six significant digits so that the JSON does
// not carry last-bit noise from summation order (eval.NumStyle).
type Num float64

var (
	numJSON = eval.NumStyle{Inf: "inf", NegInf: "-inf", Digits: 6}
	numText = eval.NumStyle{NaN: "n/a", Inf: "inf", NegInf: "-Inf"}
)

// MarshalJSON implements json.Marshaler.
func (n Num) MarshalJSON() ([]byte, error) { return numJSON.AppendJSON(nil, float64(n)), nil }

// UnmarshalJSON implements json.Unmarshaler.
func (n *Num) UnmarshalJSON(b []byte) error {
	f, err := numJSON.ParseJSON(b)
	if err != nil {
		return err
	}
	*n = Num(f)
	return nil
}

// String formats n for the Markdown report.
func (n Num) String() string { return numText.Fixed(float64(n), 2) }

// round6 keeps six significant digits, as the JSON does.
func round6(f float64) float64 { return numJSON.Round(f) }
