package iwave

import (
	"bytes"
	"os"
	"testing"
)

// TestShippedWeightsReencode: both shipped weights files decode and encode
// back to the same bytes, so the container code (package
// internal/weightsfile) writes exactly the files that shipped.
func TestShippedWeightsReencode(t *testing.T) {
	for _, c := range []struct {
		path    string
		magic   string
		version uint32
		cfg     archConfig
	}{
		{"weights/postfilter.iwq", weightsMagic, WeightsVersion, &FilterConfig{}},
		{"weights/lift.iwl", liftMagic, LiftWeightsVersion, &LiftConfig{}},
	} {
		b, err := os.ReadFile(c.path)
		if err != nil {
			t.Fatal(err)
		}
		ts, err := decodeWeightsFile(b, c.magic, c.version, "", c.cfg)
		if err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		again, err := encodeWeightsFile(c.magic, c.version, c.cfg, c.cfg.specs(), ts)
		if err != nil || !bytes.Equal(again, b) {
			t.Errorf("%s does not encode back to its bytes (%v)", c.path, err)
		}
	}
}
