package weightsfile

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
)

type testCfg struct {
	N int `json:"n"`
}

func (c testCfg) Validate() error {
	if c.N < 1 || c.N > 8 {
		return fmt.Errorf("n %d outside 1..8", c.N)
	}
	return nil
}

func (c testCfg) specs() []Spec {
	return []Spec{{"w", []int{c.N, 2}}, {"b", []int{c.N}}}
}

func testData(n int) map[string][]float32 {
	d := map[string][]float32{"w": make([]float32, 2*n), "b": make([]float32, n)}
	for i := range d["w"] {
		d["w"][i] = float32(i) - 0.5
	}
	return d
}

// formats are the widths the three families use.
var formats = []Format{
	{Magic: "TESTWTS\x00", Version: 1, VersionBytes: 4, CountBytes: 4, NameBytes: 2, Max: 1 << 16},
	{Magic: "TESTWTS", Version: 3, VersionBytes: 1, Kind: true, CountBytes: 2, NameBytes: 1, Max: 1 << 16},
}

func decode(f Format, b []byte, kind string) (testCfg, map[string][]float32, error) {
	var c testCfg
	ts, err := f.Decode(b, kind, &c, func() []Spec { return c.specs() })
	return c, ts, err
}

func TestRoundTrip(t *testing.T) {
	for _, f := range formats {
		for _, n := range []int{1, 3, 8} {
			cfg := testCfg{N: n}
			b, err := f.Encode("kind", cfg, cfg.specs(), testData(n))
			if err != nil {
				t.Fatal(err)
			}
			got, ts, err := decode(f, b, "kind")
			if err != nil || got != cfg {
				t.Fatalf("%q n=%d: %+v, %v", f.Magic, n, got, err)
			}
			for name, v := range testData(n) {
				if !slices.Equal(ts[name], v) {
					t.Errorf("%q n=%d: tensor %s is %v, want %v", f.Magic, n, name, ts[name], v)
				}
			}
			// Every flipped byte is refused, with no tensors.
			for i := range b {
				c := slices.Clone(b)
				c[i] ^= 0x10
				if _, ts, err := decode(f, c, "kind"); err == nil || ts != nil {
					t.Fatalf("%q: byte %d flipped: %v, %v", f.Magic, i, ts, err)
				}
			}
		}
	}
}

// reseal replaces the checksum of b, so a test reaches the later checks.
func reseal(b []byte) []byte {
	body := slices.Clone(b[:len(b)-sha256.Size])
	s := sha256.Sum256(body)
	return append(body, s[:]...)
}

func TestRefused(t *testing.T) {
	f := formats[1]
	cfg := testCfg{N: 2}
	good, err := f.Encode("kind", cfg, cfg.specs(), testData(2))
	if err != nil {
		t.Fatal(err)
	}
	body := good[:len(good)-sha256.Size]
	nan := testData(2)
	nan["b"][1] = float32(math.NaN())
	if _, err := f.Encode("kind", cfg, cfg.specs(), nan); err == nil {
		t.Error("NaN weight encoded")
	}
	if _, err := f.Encode("kind", cfg, cfg.specs(), map[string][]float32{"w": make([]float32, 4)}); err == nil {
		t.Error("missing tensor encoded")
	}
	version := slices.Clone(good)
	version[len(f.Magic)] = 4
	for _, c := range []struct {
		name string
		b    []byte
		kind string
	}{
		{"empty", nil, "kind"},
		{"magic", append([]byte("XESTWTS"), good[len(f.Magic):]...), "kind"},
		{"too large", make([]byte, f.Max+1), "kind"},
		{"too short", []byte(f.Magic + "\x03"), "kind"},
		{"version", reseal(version), "kind"},
		{"other kind", good, "other"},
		{"truncated", reseal(body[:len(body)-3]), "kind"},
		{"trailing", reseal(append(slices.Clone(body), 0, 0)), "kind"},
		{"checksum", good[:len(good)-1], "kind"},
	} {
		if _, ts, err := decode(f, c.b, c.kind); err == nil || ts != nil {
			t.Errorf("%s: accepted (%v)", c.name, ts)
		} else if c.name == "magic" && !errors.Is(err, ErrMagic) {
			t.Errorf("%s: %v does not wrap ErrMagic", c.name, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, ff := range formats {
		cfg := testCfg{N: 3}
		b, err := ff.Encode("kind", cfg, cfg.specs(), testData(3))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, ff := range formats {
			c, ts, err := decode(ff, b, "kind")
			if err != nil {
				if ts != nil {
					t.Fatalf("error %v with tensors", err)
				}
				continue
			}
			again, err := ff.Encode("kind", c, c.specs(), ts)
			if err != nil {
				t.Fatalf("a decoded file does not encode: %v", err)
			}
			c2, ts2, err := decode(ff, again, "kind")
			if err != nil || c2 != c || !slices.Equal(ts2["w"], ts["w"]) || !slices.Equal(ts2["b"], ts["b"]) {
				t.Fatalf("a decoded file does not survive a round trip: %v", err)
			}
		}
	})
}
