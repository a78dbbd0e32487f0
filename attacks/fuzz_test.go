package attacks

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadConfig: any file either loads into a config that validates, or
// is refused with an error; never a panic.
func FuzzLoadConfig(f *testing.F) {
	for _, name := range []string{"attacks.json", "attacks-quick.json"} {
		if b, err := os.ReadFile(repoPath("experiments", name)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"seed": 1, "tamper": {"trials": -1}}`))
	f.Add([]byte(`{"noise": {"positions": ["nowhere"]}}`))
	f.Add([]byte(`[]`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "c.json")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := LoadConfig(p, DefaultConfig())
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("LoadConfig accepted an invalid config: %v", err)
		}
		if _, err := json.Marshal(c); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzOverride: key=value overrides never panic and leave a valid config.
func FuzzOverride(f *testing.F) {
	for _, s := range []string{"seed=7", "tamper.trials=1000", "noise.jpeg=[90,50]", "keystream=chaos", "a.b.c=1", "=", "noise=3", "brute.passphrases=[{\"name\":\"x\",\"bits\":3}]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, kv string) {
		c := QuickConfig()
		if err := c.Override(kv); err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("override %q left an invalid config: %v", kv, err)
		}
	})
}
