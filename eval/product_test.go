package eval

import (
	"context"
	"testing"

	"github.com/medqr/medqr/codec"
)

// TestProductPlumbing runs the product subjects with the jpeg codec in place
// of the learned one: sealing, opening and decoding work, the sealed bytes
// fill one level-L symbol, and the codec's bytes ignore the key.
func TestProductPlumbing(t *testing.T) {
	c, err := codec.ByName("jpeg")
	if err != nil {
		t.Fatal(err)
	}
	code, err := productSubjectWith(c, SubjectEnv{QRLevel: "L"}, false)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := productSubjectWith(c, SubjectEnv{QRLevel: "L"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := productSubjectWith(c, SubjectEnv{QRLevel: "Z"}, true); err == nil {
		t.Error("level Z: no error")
	}
	cfg := quickConfig()
	cfg.PlaintextTrials, cfg.KeyTrials = 4, 2
	res, err := Run(context.Background(), cfg, testImages(t, 2), []Subject{code, sealed}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs, ss := res.Subjects[0], res.Subjects[1]
	if cs.Name != "jpeg-code" || ss.Name != "product-sealed" || ss.Deterministic {
		t.Fatalf("subjects %s %s", cs.Name, ss.Name)
	}
	for _, st := range ss.PerImage {
		if st.Samples != 2953 {
			t.Errorf("sealed container %d bytes, want 2953", st.Samples)
		}
		if st.Fidelity == nil || float64(st.Fidelity.PSNR) < 20 || st.Fidelity.Exact {
			t.Errorf("sealed fidelity %+v", st.Fidelity)
		}
		if len(st.Corr) != 1 || st.LocalK != 1 {
			t.Errorf("byte subject: %d correlations, local k %d", len(st.Corr), st.LocalK)
		}
	}
	if n := float64(cs.Summary.KeyNPCR.Mean); n != 0 {
		t.Errorf("codec bytes changed with the key: NPCR %v", n)
	}
	// the sealed container under a flipped key bit is a fresh message
	if n := float64(ss.Summary.KeyNPCR.Mean); n < 90 {
		t.Errorf("sealed key NPCR %v", n)
	}
	for i, a := range cs.PerImage {
		if a.Fidelity.PSNR != ss.PerImage[i].Fidelity.PSNR {
			t.Errorf("sealing changed the decoded image: %v vs %v", a.Fidelity.PSNR, ss.PerImage[i].Fidelity.PSNR)
		}
	}
}
