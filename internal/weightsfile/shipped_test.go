package weightsfile_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/medqr/medqr/cipherimg/deepkeygen"
	"github.com/medqr/medqr/cipherimg/lstm"
	"github.com/medqr/medqr/cipherimg/sae"
	"github.com/medqr/medqr/internal/detnn"
	"github.com/medqr/medqr/model"
)

// TestShippedFilesReencode: every shipped weights file of model and of the
// learned baseline ciphers decodes and encodes back to the same bytes, so
// the container code writes exactly the files that shipped.
// (model/iwave's files: TestShippedWeightsReencode there.)
func TestShippedFilesReencode(t *testing.T) {
	read := func(path string) []byte {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	b := read("../../model/weights/default.mqw")
	cfg, ts, err := model.DecodeWeights(b)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := model.EncodeWeights(cfg, ts); err != nil || !bytes.Equal(again, b) {
		t.Errorf("model/weights/default.mqw does not encode back to its bytes (%v)", err)
	}
	for _, c := range []struct {
		kind string
		cfg  detnn.Arch
	}{
		{lstm.Name, &lstm.Config{}},
		{sae.Name, &sae.Config{}},
		{deepkeygen.Name, &deepkeygen.Config{}},
	} {
		path := "../../cipherimg/" + c.kind + "/weights/" + c.kind + ".mlw"
		b := read(path)
		ts, err := detnn.DecodeWeights(b, c.kind, "test", c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		f32 := map[string][]float32{}
		for name, v := range ts {
			for _, x := range v {
				f32[name] = append(f32[name], float32(x))
			}
		}
		if again, err := detnn.EncodeWeights(c.kind, c.cfg, f32); err != nil || !bytes.Equal(again, b) {
			t.Errorf("%s does not encode back to its bytes (%v)", path, err)
		}
	}
}
