package iwave

import (
	"bytes"
	"errors"
	"testing"
)

// TestEarlierWeights: the default codec decodes the payloads of every
// earlier shipped weights pair (weights/earlier/<model id>/) exactly as a
// codec of those weights does, and a codec without them refuses such
// payloads.
func TestEarlierWeights(t *testing.T) {
	earlier, err := earlierCodecs()
	if err != nil {
		t.Fatal(err)
	}
	if len(earlier) == 0 {
		t.Fatal("no earlier weights embedded (weights/earlier/5efe holds the pair of payload versions 1 and 2)")
	}
	g := loadGray(t, "cxr256.png")
	def := Default()
	bare := *def
	bare.earlier = nil
	for _, e := range earlier {
		p, want := roundTrip(t, e, g, 1225)
		got, err := def.Decode(p)
		if err != nil {
			t.Fatalf("model %x: %v", e.ID(), err)
		}
		if !bytes.Equal(got.Pix, want.Pix) {
			t.Errorf("model %x: the default codec decodes other pixels than the model's own codec", e.ID())
		}
		if e.ID() == def.ID() {
			continue
		}
		if _, err := bare.Decode(p); !errors.Is(err, ErrFormat) {
			t.Errorf("model %x: a codec without earlier weights decoded its payload (err %v)", e.ID(), err)
		}
	}
}
