package damage

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medqr/medqr/internal/testimg"
	"github.com/medqr/medqr/qr"
)

func zbarPath(t *testing.T) string {
	return testimg.Tool(t, "zbarimg", "zbar-tools")
}

func cond(t *testing.T, name string) Condition {
	for _, c := range Conditions {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no condition %q", name)
	return Condition{}
}

func TestWilson(t *testing.T) {
	// Hand-computed 95 % Wilson intervals (z = 1.96).
	tests := []struct {
		k, n   int
		lo, hi float64
	}{
		{5, 10, 0.2366, 0.7634},
		{10, 10, 0.7225, 1},
		{0, 20, 0, 0.1611},
		{40, 50, 0.6696, 0.8876},
	}
	for _, tt := range tests {
		lo, hi := wilson(tt.k, tt.n)
		if math.Abs(lo-tt.lo) > 1e-4 || math.Abs(hi-tt.hi) > 1e-4 {
			t.Errorf("wilson(%d, %d) = [%.4f, %.4f], want [%.4f, %.4f]", tt.k, tt.n, lo, hi, tt.lo, tt.hi)
		}
	}
}

// TestQuickStudy is a few trials of the study: clean symbols always decode
// with both readers, nothing returns wrong bytes, our decoder is at least as
// robust as zbar under 2 % salt-and-pepper noise, and the report files are
// well formed. The full study is `make qr-damage`.
func TestQuickStudy(t *testing.T) {
	zb := zbarPath(t)
	trials := 2
	levels := qr.Levels
	if testing.Short() {
		trials, levels = 1, []qr.Level{qr.M}
	}
	cfg := Config{Trials: trials, Seed: 7, Levels: levels, Zbar: zb, Workers: 2,
		Conditions: []Condition{cond(t, "clean"), cond(t, "saltpepper2"), cond(t, "occlude10")}}
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Cells) != len(levels)*3 {
		t.Fatalf("%d cells, want %d", len(rep.Cells), len(levels)*3)
	}
	for _, c := range rep.Cells {
		if c.Wrong != 0 || c.ZbarWrong != 0 {
			t.Errorf("%s/%s: wrong payloads: ours %d, zbar %d", c.Level, c.Condition, c.Wrong, c.ZbarWrong)
		}
		switch c.Condition {
		case "clean":
			if c.OK != c.Trials || c.ZbarOK != c.Trials {
				t.Errorf("%s clean: ours %d, zbar %d of %d", c.Level, c.OK, c.ZbarOK, c.Trials)
			}
		case "saltpepper2":
			if c.OK < c.ZbarOK {
				t.Errorf("%s salt and pepper: ours %d < zbar %d of %d", c.Level, c.OK, c.ZbarOK, c.Trials)
			}
		}
	}

	// Same seed, same counts (timings aside), whatever the worker count.
	cfg.Workers = 1
	cfg.Zbar = ""
	cfg.Levels = levels[:1]
	again, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range again.Cells {
		if c.OK != rep.Cells[i].OK {
			t.Errorf("%s/%s: %d then %d successes with the same seed", c.Level, c.Condition, rep.Cells[i].OK, c.OK)
		}
	}

	dir := t.TempDir()
	if err := rep.Write(dir); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "damage.md"))
	for _, want := range []string{"| damage |", "| 2 % salt-and-pepper noise |", "Wrong payloads returned: ours 0, zbar 0"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("damage.md lacks %q", want)
		}
	}
	f, _ := os.ReadFile(filepath.Join(dir, "damage.csv"))
	rows, err := csv.NewReader(bytes.NewReader(f)).ReadAll()
	if err != nil || len(rows) != 1+len(rep.Cells) {
		t.Errorf("damage.csv: %d rows, %v", len(rows), err)
	}
	var js struct {
		Cells []Cell `json:"cells"`
	}
	b, _ := os.ReadFile(filepath.Join(dir, "damage.json"))
	if err := json.Unmarshal(b, &js); err != nil || len(js.Cells) != len(rep.Cells) {
		t.Errorf("damage.json: %d cells, %v", len(js.Cells), err)
	}
	p, _ := os.ReadFile(filepath.Join(dir, "damage.png"))
	if img, err := png.Decode(bytes.NewReader(p)); err != nil || img.Bounds().Dx() < 500 {
		t.Errorf("damage.png: %v", err)
	}
}

// TestConditionsApply runs every condition once on a small symbol: each
// returns an image and is deterministic for a seed.
func TestConditionsApply(t *testing.T) {
	sym, err := qr.EncodeSymbol(make([]byte, 300), qr.M)
	if err != nil {
		t.Fatal(err)
	}
	s := Sample{Img: sym.Image(4), Px: 4, Version: sym.Version}
	for _, c := range Conditions {
		a, err := c.Apply(s, trialRand(1, qr.M, c.Name, 0))
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		b, _ := c.Apply(s, trialRand(1, qr.M, c.Name, 0))
		if !bytes.Equal(a.Pix, b.Pix) || a.Rect != b.Rect {
			t.Errorf("%s: not deterministic", c.Name)
		}
		if c.Name != "clean" && bytes.Equal(a.Pix, s.Img.Pix) {
			t.Errorf("%s: image unchanged", c.Name)
		}
	}
}

func TestReadJSON(t *testing.T) {
	rep := &Report{Trials: 3, Seed: 2, Px: 4, Workers: 2, Runtime: 5e9,
		Cells: []Cell{{Level: "M", Condition: "clean", Title: "clean", Trials: 3, OK: 2, ZbarRun: true, ZbarOK: 3}}}
	b, err := rep.JSON()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	if back.Markdown() != rep.Markdown() {
		t.Errorf("re-rendered markdown differs:\n%s\nwant\n%s", back.Markdown(), rep.Markdown())
	}
	if _, err := ReadJSON([]byte(`{"trials":0}`)); err == nil {
		t.Error("empty report: no error")
	}
}

func TestMerge(t *testing.T) {
	a := &Report{Trials: 2, Seed: 1, Px: 4, Workers: 1, Runtime: 3e9, Cells: []Cell{{Level: "M", Condition: "clean"}}}
	b := &Report{Trials: 2, Seed: 1, Px: 4, Workers: 1, Runtime: 5e9, Cells: []Cell{{Level: "L", Condition: "clean"}, {Level: "L", Condition: "blur"}}}
	m, err := Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Cells) != 3 || m.Cells[0].Level != "L" || m.Cells[1].Condition != "blur" || m.Cells[2].Level != "M" {
		t.Errorf("merged cells %+v", m.Cells)
	}
	if m.Workers != 2 || m.Runtime != 5e9 {
		t.Errorf("workers %d runtime %v", m.Workers, m.Runtime)
	}
	if _, err := Merge(a, a); err == nil {
		t.Error("duplicate cells: no error")
	}
	c := *a
	c.Seed = 9
	c.Cells = []Cell{{Level: "Q", Condition: "clean"}}
	if _, err := Merge(a, &c); err == nil {
		t.Error("different seeds: no error")
	}
}
