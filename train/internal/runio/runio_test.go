package runio

import (
	"crypto/sha256"
	"errors"
	"flag"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	logtest "github.com/sirupsen/logrus/hooks/test"
)

type testConfig struct {
	Name  string `json:"name"`
	Steps int    `json:"steps"`
	Inner struct {
		Rate float64 `json:"rate"`
	} `json:"inner"`
}

func (c testConfig) validate() error {
	if c.Steps < 1 {
		return errors.New("steps must be positive")
	}
	return CheckName("test", c.Name)
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	file := func(body string) string {
		p := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+".json")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	def := testConfig{Name: "run", Steps: 10}
	for _, tc := range []struct {
		name, body string
		sets       []string
		want       testConfig
		err        string
	}{
		{name: "defaults", want: def},
		{name: "file", body: `{"steps": 5, "inner": {"rate": 0.5}}`, want: testConfig{Name: "run", Steps: 5, Inner: struct {
			Rate float64 `json:"rate"`
		}{0.5}}},
		{name: "sets after file", body: `{"steps": 5}`, sets: []string{"steps=7", "name=other"}, want: testConfig{Name: "other", Steps: 7}},
		{name: "unknown field in file", body: `{"stepz": 5}`, err: "test: config"},
		{name: "unknown key in set", sets: []string{"nope=1"}, err: "test: -set"},
		{name: "set without value", sets: []string{"steps"}, err: "test: -set"},
		{name: "validation", sets: []string{"steps=0"}, err: "steps must be positive"},
		{name: "bad name", sets: []string{"name=a/b"}, err: "plain folder name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := ""
			if tc.body != "" {
				path = file(tc.body)
			}
			got, err := LoadConfig("test", path, tc.sets, def, testConfig.validate)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestCheckName(t *testing.T) {
	for name, ok := range map[string]bool{"default": true, "a-b_c.1": true, "": false, "a/b": false, `a\b`: false} {
		if err := CheckName("p", name); (err == nil) != ok {
			t.Errorf("CheckName(%q) = %v", name, err)
		}
	}
}

type gobState struct {
	Step   int
	Params map[string][]float32
}

func TestGob(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "checkpoint.gob")
	want := gobState{Step: 3, Params: map[string][]float32{"w": {1, -2.5}}}
	if err := WriteGob(path, &want); err != nil {
		t.Fatal(err)
	}
	var got gobState
	if err := ReadGob(path, &got); err != nil {
		t.Fatal(err)
	}
	if got.Step != 3 || len(got.Params["w"]) != 2 || got.Params["w"][1] != -2.5 {
		t.Fatalf("round trip gave %+v", got)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	flipped := append([]byte(nil), b...)
	flipped[len(flipped)/3] ^= 1
	for name, damaged := range map[string][]byte{"truncated": b[:20], "flipped bit": flipped, "checksum cut": b[:len(b)-1]} {
		if err := DecodeGob(damaged, &got); !errors.Is(err, ErrCheckpoint) {
			t.Errorf("%s: %v, want ErrCheckpoint", name, err)
		}
	}
	if err := ReadGob(filepath.Join(t.TempDir(), "missing.gob"), &got); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

var update = flag.Bool("update", false, "rewrite testdata/checkpoint.gob")

// seedState is the fuzz seed's checkpoint (no maps: gob writes them in
// random order, and the seed file must be reproducible).
type seedState struct {
	Step int
	W    []float32
	Best float64
}

// TestGobSeed checks that testdata/checkpoint.gob, the fuzz seed written
// by WriteGob (go test -run TestGobSeed -update rewrites it), still decodes
// to the seed state. (Its bytes are not compared: gob numbers types in the
// order a process first meets them.)
func TestGobSeed(t *testing.T) {
	want := seedState{Step: 7, W: []float32{0.5, -1, 3}, Best: 29.5}
	seed := filepath.Join("testdata", "checkpoint.gob")
	if *update {
		if err := WriteGob(seed, &want); err != nil {
			t.Fatal(err)
		}
	}
	var got seedState
	if err := ReadGob(seed, &got); err != nil {
		t.Fatal(err)
	}
	if got.Step != want.Step || got.Best != want.Best || !slices.Equal(got.W, want.W) {
		t.Fatalf("seed decodes to %+v, want %+v", got, want)
	}
}

// FuzzDecodeGob: damaged or foreign checkpoints give errors, never panics.
func FuzzDecodeGob(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "checkpoint.gob"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var s seedState
		if err := DecodeGob(b, &s); err == nil && len(b) < sha256.Size {
			t.Fatal("accepted a file shorter than its checksum")
		}
	})
}

func TestPlotSave(t *testing.T) {
	dir := t.TempDir()
	s := []Series{{Label: "a", X: []float64{1, 2, 3}, Y: []float64{3, 1, 2}}, {Label: "b", X: []float64{1, 3}, Y: []float64{0, 4}, Color: 5, Points: true}}
	for _, tc := range []struct {
		width float64
		px    int
	}{{0, 7 * 96}, {6, 6 * 96}} {
		path := filepath.Join(dir, "p.png")
		if err := (Plot{Title: "t", Series: s, Width: tc.width, LegendTop: true}).Save(path); err != nil {
			t.Fatal(err)
		}
		fh, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(fh)
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != tc.px || b.Dy() != 4*96 {
			t.Errorf("width %v: image %v, want %d x %d", tc.width, b, tc.px, 4*96)
		}
	}
}

func TestCheck(t *testing.T) {
	a, b := errors.New("a"), errors.New("b")
	for _, tc := range []struct {
		errs []error
		want error
	}{{nil, nil}, {[]error{nil, nil}, nil}, {[]error{nil, a, b}, a}, {[]error{b, a}, b}} {
		err := Check("p", tc.errs...)
		if (err == nil) != (tc.want == nil) || (err != nil && (!errors.Is(err, tc.want) || !strings.HasPrefix(err.Error(), "p: "))) {
			t.Errorf("Check(%v) = %v, want %v", tc.errs, err, tc.want)
		}
	}
}

// TestWriteCurves: the four curve files hold the points as JSON and the
// rows as CSV.
func TestWriteCurves(t *testing.T) {
	dir := t.TempDir()
	type point struct {
		Step int     `json:"step"`
		Loss float64 `json:"loss"`
	}
	losses := []point{{1, 0.5}, {2, 0.25}}
	vals := []point{{2, 30}}
	rows := [][]string{{"step", "loss"}, {"1", "0.5"}, {"2", "0.25"}}
	vrows := [][]string{{"step", "psnr"}, {"2", "30"}}
	if err := WriteCurves(dir, losses, vals, rows, vrows); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ file, want string }{
		{"losses.json", "[\n  {\n    \"step\": 1,\n    \"loss\": 0.5\n  },\n  {\n    \"step\": 2,\n    \"loss\": 0.25\n  }\n]\n"},
		{"validation.json", "[\n  {\n    \"step\": 2,\n    \"loss\": 30\n  }\n]\n"},
		{"losses.csv", "step,loss\n1,0.5\n2,0.25\n"},
		{"validation.csv", "step,psnr\n2,30\n"},
	} {
		b, err := os.ReadFile(filepath.Join(dir, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tc.want {
			t.Errorf("%s = %q, want %q", tc.file, b, tc.want)
		}
	}
}

// TestWriteRunInfo: the file holds WriteJSON's bytes and one log line
// carries the same config as compact JSON.
func TestWriteRunInfo(t *testing.T) {
	log, hook := logtest.NewNullLogger()
	info := testConfig{Name: "run", Steps: 3}
	path := filepath.Join(t.TempDir(), "sub", "run.json")
	if err := WriteRunInfo(path, info, log, "train/x"); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "{\n  \"name\": \"run\",\n  \"steps\": 3,\n  \"inner\": {\n    \"rate\": 0\n  }\n}\n"; string(got) != want {
		t.Errorf("file %q, want %q", got, want)
	}
	e := hook.LastEntry()
	if len(hook.AllEntries()) != 1 || e.Message != "train/x: effective config" || e.Data["config"] != `{"name":"run","steps":3,"inner":{"rate":0}}` {
		t.Errorf("log entries %d, last %q %v", len(hook.AllEntries()), e.Message, e.Data)
	}
}
