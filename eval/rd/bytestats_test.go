package rd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/medqr/medqr/eval"
)

func seq(n int, at func(i int) byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = at(i)
	}
	return b
}

// TestByteStatsHandValues checks the pooled statistics against values
// worked out by hand.
func TestByteStatsHandValues(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name     string
		payloads [][]byte
		n, pairs int
		entropy  float64
		chi      float64
		lag1     float64
	}{
		// Every value once: a flat histogram, and x -> x+1 is a line.
		{"0..255 once", [][]byte{seq(256, func(i int) byte { return byte(i) })}, 256, 255, 8, 0, 1},
		// n equal bytes: (n - n/256)^2/(n/256) + 255 n/256 = 255 n.
		{"constant", [][]byte{bytes.Repeat([]byte{7}, 100)}, 100, 99, 0, 25500, nan},
		// Two values n/2 times each: chi-square n (256/2 - 1) = 127 n.
		{"alternating", [][]byte{seq(8, func(i int) byte { return byte(255 * (i % 2)) })}, 8, 7, 1, 1016, -1},
		// Chi-square against uniform is (256/n) sum c^2 - n. Counts 2, 1, 1:
		// p = 1/2, 1/4, 1/4 gives 1.5 bits and 64*6 - 4 = 380. Pairs (0,0)
		// (0,1) (1,2): x 0 0 1, y 0 1 2, sums of squares about the means
		// 2/3 and 2, cross 1: r = 1/sqrt(4/3).
		{"small", [][]byte{{0, 0, 1, 2}}, 4, 3, 1.5, 380, 1 / math.Sqrt(4.0/3)},
		// Pairs (0,1) and (1,0) only: r = -1. Had the pair (1,1) across
		// the two payloads been counted, r would be -1/2.
		// Counts 2, 2: 64*8 - 4 = 508.
		{"pairs stay within a payload", [][]byte{{0, 1}, {1, 0}}, 4, 2, 1, 508, -1},
		{"empty", nil, 0, 0, 0, nan, nan},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s ByteStats
			for _, p := range tc.payloads {
				s.Add(p)
			}
			if s.N() != tc.n || s.Pairs != tc.pairs {
				t.Fatalf("%d bytes %d pairs, want %d and %d", s.N(), s.Pairs, tc.n, tc.pairs)
			}
			for _, c := range []struct {
				what      string
				got, want float64
			}{{"entropy", s.Entropy(), tc.entropy}, {"chi-square", s.ChiSquare(), tc.chi}, {"lag-1 r", s.Lag1(), tc.lag1}} {
				if math.IsNaN(c.want) != math.IsNaN(c.got) || math.Abs(c.got-c.want) > 1e-9 {
					t.Errorf("%s %v, want %v", c.what, c.got, c.want)
				}
			}
		})
	}
}

// TestByteStatsMatchesEval pools equal-length random payloads and compares
// with package eval on the same bytes laid out as the rows of an image, so
// that eval.Correlation's horizontal pairs are exactly the pooled pairs.
func TestByteStatsMatchesEval(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const rows, w = 9, 301
	var all []byte
	var s ByteStats
	for range rows {
		// A skewed, correlated source so every statistic is far from its
		// uniform value.
		p := make([]byte, w)
		prev := 0
		for i := range p {
			prev = (prev*3 + rng.IntN(90)) / 4
			p[i] = byte(prev)
		}
		s.Add(p)
		all = append(all, p...)
	}
	r, n := eval.Correlation(all, w, rows, eval.Horizontal)
	if n != s.Pairs || math.Abs(s.Lag1()-r) > 1e-12 {
		t.Errorf("lag-1 %v over %d pairs, eval.Correlation %v over %d", s.Lag1(), s.Pairs, r, n)
	}
	if r < 0.3 {
		t.Errorf("lag-1 %v: the test source should be clearly correlated", r)
	}
	if got, want := s.Entropy(), eval.EntropyBytes(all); got != want {
		t.Errorf("entropy %v, eval.EntropyBytes %v", got, want)
	}
	h := eval.Histogram256(all)
	if got, want := s.ChiSquare(), eval.ChiSquare(h[:]); got != want {
		t.Errorf("chi-square %v, eval.ChiSquare %v", got, want)
	}
}

// TestByteStatsMergeOrder: pooling is integer arithmetic, so any merge
// order gives the same statistics bit for bit.
func TestByteStatsMergeOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	parts := make([]ByteStats, 7)
	for i := range parts {
		p := make([]byte, 50+rng.IntN(400))
		for j := range p {
			p[j] = byte(rng.IntN(256))
		}
		parts[i].Add(p)
	}
	var a, b ByteStats
	for i := range parts {
		a.Merge(&parts[i])
		b.Merge(&parts[len(parts)-1-i])
	}
	if a != b {
		t.Fatal("merging in reverse order changed the pooled sums")
	}
	if a.Lag1() != b.Lag1() || a.Entropy() != b.Entropy() || a.ChiSquare() != b.ChiSquare() {
		t.Fatal("statistics differ")
	}
}

// TestUniformBytesLookUniform: seeded uniform bytes land inside the null
// distributions the report quotes them against.
func TestUniformBytesLookUniform(t *testing.T) {
	s := randomPayloads(5, 40, 2000)
	var r Row
	fillByteStats(&r, s)
	if math.Abs(r.ByteEntropy-r.EntropyUniform) > 4*r.EntropyUniformSD {
		t.Errorf("entropy %.5f, uniform %.5f +/- %.5f", r.ByteEntropy, r.EntropyUniform, r.EntropyUniformSD)
	}
	if math.Abs(r.Lag1) > 2*r.Lag1Band {
		t.Errorf("lag-1 %.5f outside twice the 95 %% band %.5f", r.Lag1, r.Lag1Band)
	}
	if r.ChiSquare > eval.ChiSquareCritical(ChiSquareDOF, 0.001) || r.ChiSquareP < 0.001 {
		t.Errorf("chi-square %.1f (p %.3g) for uniform bytes", r.ChiSquare, r.ChiSquareP)
	}
	if r.StatBytes != 80000 || r.Lag1Pairs != 40*1999 {
		t.Errorf("%d bytes %d pairs", r.StatBytes, r.Lag1Pairs)
	}
}

// TestRunFillsByteStats: the summary rows carry the statistics of exactly
// the bytes the methods returned, and the files show them.
func TestRunFillsByteStats(t *testing.T) {
	imgs := tiny()
	opaque := Method{Name: "opaque", Kind: "external", Code: func(g *image.Gray, budget int) (Coding, error) {
		return Coding{Rec: g, Bytes: budget / 2}, nil
	}}
	methods := append(jpegMethods(t), opaque)
	rep, err := Run(context.Background(), Config{Levels: tinyLevels, Methods: methods}, imgs)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Summary {
		fits := r.Images - r.Fails
		switch {
		case r.Codec == "opaque":
			if r.StatSource != SourceNone || r.StatBytes != 0 || !math.IsNaN(r.ByteEntropy) || !math.IsNaN(r.Lag1) || !math.IsNaN(r.ChiSquare) {
				t.Errorf("opaque at %s: %+v", r.Level, r)
			}
			continue
		case fits == 0:
			if r.StatSource != SourceNoFit || r.StatBytes != 0 {
				t.Errorf("%s at %s: nothing fit but %q %d bytes", r.Codec, r.Level, r.StatSource, r.StatBytes)
			}
			continue
		case r.Codec == GoJPEGName && r.StatSource != SourceFile, r.Codec == "jpeg" && r.StatSource != SourcePayload:
			t.Errorf("%s at %s: measured on %q", r.Codec, r.Level, r.StatSource)
		}
		if want := int(math.Round(r.MeanBytes * float64(fits))); r.StatBytes != want || r.Lag1Pairs != want-fits {
			t.Errorf("%s at %s: %d bytes %d pairs, the cells sum to %d bytes over %d fits", r.Codec, r.Level, r.StatBytes, r.Lag1Pairs, want, fits)
		}
		if !(r.ByteEntropy > 0 && r.ByteEntropy <= 8) || !(r.Lag1 >= -1 && r.Lag1 <= 1) || !(r.ChiSquare >= 0) ||
			!(r.ChiSquareP >= 0 && r.ChiSquareP <= 1) || !(r.EntropyUniform > r.ByteEntropy) || !(r.Lag1Band > 0) {
			t.Errorf("%s at %s: statistics out of range: %+v", r.Codec, r.Level, r)
		}
	}
	// Recompute gojpeg at level A by hand from fresh encodings.
	var s ByteStats
	for _, im := range imgs {
		_, file, err := GoJPEG(im.Img, tinyLevels[0].Budget)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(file, []byte{0xff, 0xd8}) {
			t.Fatal("gojpeg file lacks the JPEG SOI marker")
		}
		s.Add(file)
	}
	for _, r := range rep.Summary {
		if r.Codec == GoJPEGName && r.Level == "A" {
			if r.StatBytes != s.N() || r.ByteEntropy != s.Entropy() || r.Lag1 != s.Lag1() || r.ChiSquare != s.ChiSquare() {
				t.Errorf("gojpeg A: row %d bytes H %v r %v chi %v, recomputed %d %v %v %v",
					r.StatBytes, r.ByteEntropy, r.Lag1, r.ChiSquare, s.N(), s.Entropy(), s.Lag1(), s.ChiSquare())
			}
		}
	}

	js, err := JSON(rep)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Summary []map[string]any `json:"summary"`
	}
	if err := json.Unmarshal(js, &doc); err != nil {
		t.Fatal(err)
	}
	for _, row := range doc.Summary {
		for _, k := range []string{"stat_source", "stat_bytes", "byte_entropy", "byte_entropy_uniform", "byte_entropy_uniform_sd", "lag1_r", "lag1_pairs", "lag1_band95", "chi_square", "chi_square_p"} {
			if _, ok := row[k]; !ok {
				t.Errorf("rd.json summary row lacks %q", k)
			}
		}
		if row["codec"] == "opaque" && row["byte_entropy"] != nil {
			t.Errorf("opaque row: byte_entropy %v, want null", row["byte_entropy"])
		}
	}
	csvHead, _, _ := strings.Cut(string(SummaryCSV(rep)), "\n")
	if !strings.HasSuffix(csvHead, ",stat_source,stat_bytes,byte_entropy,byte_entropy_uniform,byte_entropy_uniform_sd,lag1_r,lag1_pairs,lag1_band95,chi_square,chi_square_p") {
		t.Errorf("rd_summary.csv header: %s", csvHead)
	}
	md := Markdown(rep)
	for _, want := range []string{"## Code bytes: entropy, lag-1 correlation, chi-square", "critical value 293.25",
		"| codec | level | measured on | bytes | entropy (bits/byte) |", "| opaque | A | not exposed | | |", "| gojpeg | A | whole file (headers included) | ",
		" jpeg: the codec payload", " gojpeg: the whole file", " opaque: not measured"} {
		if !strings.Contains(md, want) {
			t.Errorf("rd.md lacks %q", want)
		}
	}
}

func TestPayloadMismatchRefused(t *testing.T) {
	imgs := tiny()
	for _, m := range []Method{
		{Name: "liar", Code: func(g *image.Gray, budget int) (Coding, error) {
			return Coding{Rec: g, Bytes: 10, Payload: make([]byte, 11)}, nil
		}},
		{Name: "norec", Code: func(g *image.Gray, budget int) (Coding, error) {
			return Coding{Bytes: 10, Payload: make([]byte, 10)}, nil
		}},
	} {
		_, err := Run(context.Background(), Config{Levels: tinyLevels, Methods: []Method{m}}, imgs)
		if err == nil || !strings.Contains(err.Error(), m.Name) || errors.Is(err, ErrOverBudget) {
			t.Errorf("%s: got %v", m.Name, err)
		}
	}
}

// BenchmarkSummaryByteStats times the per-row statistics at the size of a
// full run's level-L row (104 images of about 2,900 bytes).
func BenchmarkSummaryByteStats(b *testing.B) {
	s := randomPayloads(7, 104, 2900)
	for b.Loop() {
		var r Row
		fillByteStats(&r, s)
	}
}

// randomPayloads pools n payloads of size seeded uniform bytes.
func randomPayloads(seed uint64, n, size int) *ByteStats {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	s := new(ByteStats)
	for range n {
		p := make([]byte, size)
		for j := range p {
			p[j] = byte(rng.Uint32())
		}
		s.Add(p)
	}
	return s
}
