package iwave

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medqr/medqr/model/iwave"
)

// gray returns a w x h image whose pixel (x, y) is f(x, y).
func gray(w, h int, f func(x, y int) uint8) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			g.Pix[y*g.Stride+x] = f(x, y)
		}
	}
	return g
}

// noise is a fixed pseudo-random pixel pattern (xorshift of the position).
func noise(x, y int) uint8 {
	v := uint32(x*7919+y*104729) | 1
	v ^= v << 13
	v ^= v >> 17
	v ^= v << 5
	return uint8(v)
}

func TestAreaResize(t *testing.T) {
	ramp := func(x, y int) uint8 { return uint8(x + 3*y) }
	for _, tc := range []struct {
		name    string
		src     *image.Gray
		size    int
		want    func(x, y int) int // nil: checked by mean and range only
		meanTol float64
	}{
		{"flat 224 to 160", gray(224, 224, func(int, int) uint8 { return 77 }), 160, func(int, int) int { return 77 }, 0},
		{"same size copies", gray(9, 9, noise), 9, func(x, y int) int { return int(noise(x, y)) }, 0},
		{"halving is the 2x2 mean", gray(64, 64, noise), 32, func(x, y int) int {
			s := int(noise(2*x, 2*y)) + int(noise(2*x+1, 2*y)) + int(noise(2*x, 2*y+1)) + int(noise(2*x+1, 2*y+1))
			return (s + 2) / 4
		}, 0},
		{"a third is the 3x3 mean", gray(48, 48, ramp), 16, func(x, y int) int { return int(ramp(3*x+1, 3*y+1)) }, 0},
		{"wide image centre-cropped", gray(70, 64, func(x, y int) uint8 {
			if x < 3 || x >= 67 {
				return 255
			}
			return noise(x-3, y)
		}), 32, func(x, y int) int {
			s := int(noise(2*x, 2*y)) + int(noise(2*x+1, 2*y)) + int(noise(2*x, 2*y+1)) + int(noise(2*x+1, 2*y+1))
			return (s + 2) / 4
		}, 0},
		{"224 to 160 keeps the mean", gray(224, 224, noise), 160, nil, 0.5},
		{"224 to 112, odd target", gray(224, 224, ramp), 97, nil, 0.5},
		{"enlarging 3 to 7", gray(3, 3, noise), 7, nil, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := AreaResize(tc.src, tc.size)
			if g.Rect.Dx() != tc.size || g.Rect.Dy() != tc.size {
				t.Fatalf("size %v, want %d", g.Rect, tc.size)
			}
			if tc.want != nil {
				for y := 0; y < tc.size; y++ {
					for x := 0; x < tc.size; x++ {
						if got := int(g.Pix[y*g.Stride+x]); got != tc.want(x, y) {
							t.Fatalf("(%d,%d) = %d, want %d", x, y, got, tc.want(x, y))
						}
					}
				}
				return
			}
			lo, hi, sum := 255, 0, 0.0
			side := min(tc.src.Rect.Dx(), tc.src.Rect.Dy())
			for _, v := range tc.src.Pix {
				lo, hi, sum = min(lo, int(v)), max(hi, int(v)), sum+float64(v)
			}
			var out float64
			for _, v := range g.Pix {
				if int(v) < lo || int(v) > hi {
					t.Fatalf("pixel %d outside the source range [%d, %d]", v, lo, hi)
				}
				out += float64(v)
			}
			m0, m1 := sum/float64(side*side), out/float64(len(g.Pix))
			if d := m1 - m0; d > tc.meanTol || d < -tc.meanTol {
				t.Fatalf("mean %.3f -> %.3f", m0, m1)
			}
		})
	}
}

func TestAreaWeights(t *testing.T) {
	for _, tc := range []struct{ src, dst int }{{224, 160}, {224, 112}, {224, 97}, {256, 128}, {3, 7}, {1, 1}, {5, 1}} {
		ws := areaWeights(tc.src, tc.dst)
		covered := make([]int64, tc.src)
		for i, w := range ws.w {
			var s int64
			for k, v := range w {
				if v <= 0 {
					t.Fatalf("%d->%d: output %d has a tap of %d", tc.src, tc.dst, i, v)
				}
				s += v
				covered[ws.start[i]+k] += v
			}
			if s != int64(tc.src) {
				t.Fatalf("%d->%d: output %d taps sum to %d, want %d", tc.src, tc.dst, i, s, tc.src)
			}
		}
		for j, c := range covered {
			if c != int64(tc.dst) {
				t.Fatalf("%d->%d: source %d covered %d, want %d", tc.src, tc.dst, j, c, tc.dst)
			}
		}
	}
}

func TestScaledBudget(t *testing.T) {
	for _, tc := range []struct{ b, size, want int }{
		{2905, 256, 2905}, {2905, 128, 726}, {1225, 128, 306}, {2283, 224, 1748}, {1615, 160, 631}, {2905, 512, 11620},
	} {
		if got := ScaledBudget(tc.b, tc.size); got != tc.want {
			t.Errorf("ScaledBudget(%d, %d) = %d, want %d", tc.b, tc.size, got, tc.want)
		}
	}
}

func TestPairSourceValidate(t *testing.T) {
	budgets := []int{2905, 1225}
	for _, tc := range []struct {
		s    PairSource
		want string // "" = valid
	}{
		{PairSource{Load: 224, Size: 224}, ""},
		{PairSource{Load: 224, Size: 160, Resample: "area"}, ""},
		{PairSource{Load: 224, Size: 112, Resample: "lanczos"}, ""},
		{PairSource{Load: 224, Size: 160}, "resample"},
		{PairSource{Load: 224, Size: 160, Resample: "bicubic"}, "resample"},
		{PairSource{Load: 224, Size: 256, Resample: "area"}, "size <= load"},
		{PairSource{Load: 0, Size: 0}, "size <= load"},
		{PairSource{Load: 224, Size: 16, Resample: "area"}, "header"},
	} {
		err := tc.s.validate(budgets)
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: err %v, want %q", tc.s, err, tc.want)
		}
	}
}

// TestSourcePairs: each image is reduced as the source says and coded at
// every scaled budget within it.
func TestSourcePairs(t *testing.T) {
	imgs := []*image.Gray{
		gray(96, 96, func(x, y int) uint8 { return uint8(128 + 60*((x/8+y/8)%2) + int(noise(x, y))%9) }),
		gray(96, 96, func(x, y int) uint8 { return uint8(x + y + int(noise(x, y))%5) }),
	}
	budgets := []int{2905, 1225}
	c := iwave.New(nil)
	for _, s := range []PairSource{
		{Load: 96, Size: 96},
		{Load: 96, Size: 48, Resample: ResampleArea},
		{Load: 96, Size: 64, Resample: ResampleLanczos},
	} {
		t.Run(s.String(), func(t *testing.T) {
			ps, err := SourcePairs(c, s, imgs, budgets)
			if err != nil {
				t.Fatal(err)
			}
			if len(ps) != len(imgs)*len(budgets) {
				t.Fatalf("%d pairs, want %d", len(ps), len(imgs)*len(budgets))
			}
			for i, p := range ps {
				want := s.Reduce(imgs[i/len(budgets)])
				if p.W != s.Size || p.H != s.Size || !bytes.Equal(p.Orig, want.Pix) {
					t.Fatalf("pair %d: %dx%d, original not the reduced image", i, p.W, p.H)
				}
				b := ScaledBudget(budgets[i%len(budgets)], s.Size)
				if p.Budget != b {
					t.Fatalf("pair %d at budget %d, want %d", i, p.Budget, b)
				}
				if size := len(c.EncodeStep(mustAnalyze(t, want), p.Step)); size > b {
					t.Fatalf("pair %d: step %d codes %d bytes over the budget %d", i, p.Step, size, b)
				}
			}
		})
	}
}

func mustAnalyze(t *testing.T, g *image.Gray) *iwave.Analysis {
	t.Helper()
	a, err := iwave.New(nil).Analyze(g)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestConfigSources(t *testing.T) {
	c, err := LoadConfig("", []string{`sources=[{"load":224,"size":160,"resample":"area"},{"load":224,"size":224}]`, "lift.load=x.iwl", "lift.export="})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Sources) != 2 || c.Sources[0] != (PairSource{224, 160, "area"}) || c.Lift.Load != "x.iwl" {
		t.Fatalf("overrides not applied: %+v %+v", c.Sources, c.Lift)
	}
	for _, tc := range []struct {
		sets []string
		want string
	}{
		{[]string{`sources=[{"load":224,"size":160}]`}, "resample"},
		{[]string{`sources=[{"load":224,"size":24,"resample":"area"}]`, "crop=32"}, "crops"},
		{[]string{`sources=[{"load":224,"size":160,"resample":"area","x":1}]`}, "unknown field"},
		{[]string{"lift.load=x.iwl", "lift.export=y.iwl"}, "both set"},
		{[]string{"source_share=0.5"}, "with sources"},
		{[]string{"pairs_version=3"}, "pairs_version"},
		{[]string{fmt.Sprintf("pairs_version=%d", iwave.Version+1)}, "pairs_version"},
		{[]string{`sources=[{"load":224,"size":224}]`, "source_share=1"}, "source_share"},
		{[]string{`sources=[{"load":224,"size":224}]`, "source_share=-0.1"}, "source_share"},
	} {
		_, err := LoadConfig("", tc.sets)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("-set %v: err %v, want %q", tc.sets, err, tc.want)
		}
	}
}

// TestDrawPair: share 0 draws as the loop drew before sources existed
// (one IntN over all pairs); a positive share draws source pairs at that
// rate and every pair of each set.
func TestDrawPair(t *testing.T) {
	const nBase, nSrc, draws = 6, 3, 20000
	pairs := make([]Pair, nBase+nSrc)
	for i := range pairs {
		pairs[i].Step = i
	}
	for _, share := range []float64{0, 0.25, 0.5, 0.9} {
		rng := rand.New(rand.NewPCG(1, 2))
		ref := rand.New(rand.NewPCG(1, 2))
		seen := make([]int, len(pairs))
		for k := 0; k < draws; k++ {
			p := drawPair(rng, pairs, nBase, share)
			if share == 0 {
				if want := ref.IntN(len(pairs)); p.Step != want {
					t.Fatalf("share 0, draw %d: pair %d, want %d", k, p.Step, want)
				}
			}
			seen[p.Step]++
		}
		src := 0
		for i, n := range seen {
			if n == 0 {
				t.Fatalf("share %v: pair %d never drawn", share, i)
			}
			if i >= nBase {
				src += n
			}
		}
		want := share
		if share == 0 {
			want = float64(nSrc) / float64(len(pairs))
		}
		if got := float64(src) / draws; math.Abs(got-want) > 0.015 {
			t.Errorf("share %v: %.3f of the draws from the sources, want %.3f", share, got, want)
		}
	}
}

// shippedRun is what experiments/iwave.json holds for the shipped
// weights, by model id: the payload version of the examples and the
// post-filter's steps. 378c's examples were coded as version 4 (before
// version 5, sources and lift.load existed), 8,000 steps; round 6's 12x5
// post-filter (docs/training.md, "larger filters"), ce0e, was trained on
// version-5 pairs for 24,000 steps (its 8,000-step twin c03f was not
// shipped).
var shippedRun = map[string]struct{ pairsVersion, steps int }{
	"378c": {4, 8000},
	"ce0e": {5, 24000},
}

// TestShippedConfigUnchanged: make train codes and trains what made the
// shipped weights: experiments/iwave.json trains its own lifting steps,
// makes no extra pairs, codes its examples as the shipped model's were
// for as many steps (shippedRun) and trains the shipped post-filter's
// architecture; its run.json holds neither source_pairs nor lift_sha256.
func TestShippedConfigUnchanged(t *testing.T) {
	c, err := LoadConfig("../../experiments/iwave.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Sources) != 0 || c.SourceShare != 0 || c.Lift.Load != "" || c.Lift.Export == "" {
		t.Fatalf("sources %v, lift.load %q, lift.export %q", c.Sources, c.Lift.Load, c.Lift.Export)
	}
	def, err := iwave.DefaultE()
	if err != nil {
		t.Fatal(err)
	}
	id := def.ID()
	model := fmt.Sprintf("%02x%02x", id[0], id[1])
	want, ok := shippedRun[model]
	if !ok {
		t.Fatalf("shipped model %s is not in shippedRun: add the pairs_version and steps its run used", model)
	}
	if c.PairsVersion != want.pairsVersion {
		t.Errorf("pairs_version %d, shipped model %s was trained on version-%d pairs", c.PairsVersion, model, want.pairsVersion)
	}
	if c.Steps != want.steps {
		t.Errorf("steps %d, shipped model %s was trained %d steps", c.Steps, model, want.steps)
	}
	if got := def.PostFilter().Config; c.Filter != got {
		t.Errorf("filter %+v, the shipped post-filter is %+v", c.Filter, got)
	}
	b, err := json.Marshal(RunInfo{Config: c})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"source_pairs"`, `"lift_sha256"`} {
		if bytes.Contains(b, []byte(k)) {
			t.Errorf("run info of experiments/iwave.json holds %s: %s", k, b)
		}
	}
}

// TestRunSourcesAndLoadedLift: a short run on the shipped lifting weights
// with a native-size source trains on both sets of pairs and records the
// loaded file's hash.
func TestRunSourcesAndLoadedLift(t *testing.T) {
	if testing.Short() {
		t.Skip("codes training pairs")
	}
	src := filepath.Join("..", "..", "data", "samples", "kermany_cxr_224")
	liftFile := filepath.Join("..", "..", "model", "iwave", "weights", "lift.iwl")
	if _, err := os.Stat(src); err != nil {
		t.Skipf("shipped samples missing: %v", err)
	}
	lb, err := os.ReadFile(liftFile)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("MEDQR_CACHE_DIR", t.TempDir())
	out := t.TempDir()
	cfg := DefaultConfig()
	cfg.Out, cfg.Data, cfg.Name = out, src, "s"
	cfg.TrainImages, cfg.ValImages, cfg.Budgets = 2, 1, []int{1225}
	cfg.Crop, cfg.Batch, cfg.Steps, cfg.Warmup, cfg.ValEvery, cfg.CkptEvery = 16, 1, 2, 1, 2, 2
	cfg.Lift = LiftTrain{Load: liftFile}
	cfg.Sources = []PairSource{{Load: 224, Size: 224}, {Load: 224, Size: 112, Resample: ResampleArea}}
	dir, err := Run(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var info RunInfo
	readJSON(t, filepath.Join(dir, "run.json"), &info)
	if want := fmt.Sprintf("%x", sha256.Sum256(lb)); info.LiftSHA256 != want {
		t.Errorf("lift_sha256 %q, want %q", info.LiftSHA256, want)
	}
	if info.SourcePairs != 4 || info.TrainPairs != 6 || info.ValPairs != 1 {
		t.Errorf("pairs: train %d (sources %d), val %d; want 6 (4), 1", info.TrainPairs, info.SourcePairs, info.ValPairs)
	}
}

// TestPairsCodec: the run's encodes write the payload version the config
// names (4 by default, as the shipped weights' pairs were coded, so that
// make train reproduces them), with and without learned steps.
func TestPairsCodec(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 64, 64))
	for i := range g.Pix {
		g.Pix[i] = uint8(i*7 + i/64*13)
	}
	lb, err := os.ReadFile("../../model/iwave/weights/lift.iwl")
	if err != nil {
		t.Fatal(err)
	}
	lift, err := iwave.DecodeLift(lb)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		set  []string
		lift *iwave.Lift
		want byte
	}{
		{nil, nil, 4},
		{nil, lift, 4},
		{[]string{"pairs_version=5"}, nil, 5},
		{[]string{"pairs_version=5"}, lift, 5},
	} {
		c, err := LoadConfig("", tc.set)
		if err != nil {
			t.Fatal(err)
		}
		p, err := c.PairsCodec(tc.lift).Encode(g, 400)
		if err != nil {
			t.Fatalf("%v: %v", tc.set, err)
		}
		if p[0] != tc.want {
			t.Errorf("%v, lifted %v: payload version %d, want %d", tc.set, tc.lift != nil, p[0], tc.want)
		}
	}
}
