package eval

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"image"
	"slices"
	"strings"
	"testing"

	"github.com/medqr/medqr/codec"
	"github.com/medqr/medqr/model/iwave"
	"github.com/medqr/medqr/qr"
	"github.com/medqr/medqr/seal"
	"github.com/medqr/medqr/store"
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
	if cs.Name != "jpeg-code" || ss.Name != "product-sealed" || !ss.Deterministic {
		t.Fatalf("subjects %s %s", cs.Name, ss.Name)
	}
	// Seeded: a second run gives the same numbers (issue 12 item 9).
	res2, err := Run(context.Background(), cfg, testImages(t, 2), []Subject{code, sealed}, nil)
	if err != nil {
		t.Fatal(err)
	}
	j1, err1 := json.Marshal(ss)
	j2, err2 := json.Marshal(res2.Subjects[1])
	if err1 != nil || err2 != nil || !bytes.Equal(j1, j2) {
		t.Errorf("product-sealed differs between two runs of one seed (%v, %v)", err1, err2)
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

// TestProductSubjectsDefaultCodec checks that the product subjects follow
// `medqr encrypt`: "product-sealed" seals the default codec's payload (the
// clear header names its codec id), decrypts to what that codec decodes,
// and "iwave-code" is that codec's payload before sealing, under the same
// budget rule as "learned-code".
func TestProductSubjectsDefaultCodec(t *testing.T) {
	if got := store.DefaultCodec(); got != "iwave" {
		t.Fatalf("store.DefaultCodec() = %q, want iwave (update the eval subjects and docs/eval.md)", got)
	}
	def, err := codec.ByName(store.DefaultCodec())
	if err != nil {
		t.Fatal(err)
	}
	pc, err := ProductCodec()
	if err != nil {
		t.Fatal(err)
	}
	if pc.ID() != def.ID() || pc.ID() != codec.IDIWave {
		t.Fatalf("product codec id %d, default %d, iwave %d", pc.ID(), def.ID(), codec.IDIWave)
	}
	names := SubjectNames()
	pos := map[string]int{}
	for i, n := range names {
		pos[n] = i
	}
	for _, n := range []string{"learned-code", "iwave-code", "product-sealed"} {
		if _, ok := pos[n]; !ok {
			t.Fatalf("subject %s not registered (have %v)", n, names)
		}
	}
	if !(pos["learned-code"] < pos["iwave-code"] && pos["iwave-code"] < pos["product-sealed"]) {
		t.Errorf("report order %v", names)
	}

	env := SubjectEnv{QRLevel: "L"}
	code, err := NewSubject("iwave-code", env)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := NewSubject("product-sealed", env)
	if err != nil {
		t.Fatal(err)
	}
	if code.Group != "codec" || !code.Deterministic || sealed.Group != "product" || !sealed.Deterministic || !sealed.FreshNonce {
		t.Errorf("flags: code %+v sealed %+v", code, sealed)
	}
	if !strings.Contains(sealed.Note, "iwave codec (codec id 4)") {
		t.Errorf("product-sealed note does not name its codec: %q", sealed.Note)
	}
	capacity := qr.Capacity(qr.L)
	budget := seal.PayloadBudget(capacity, seal.NewKeySealer(seal.Key{}))
	img := testImages(t, 1)[0].Gray
	var key Key
	key[0] = 1

	co, err := code.Encrypt(img, key, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := co.Samples
	if len(p) == 0 || len(p) > budget {
		t.Errorf("iwave-code payload %d bytes, budget %d", len(p), budget)
	}
	want, err := def.Encode(img, budget)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(p, want) {
		t.Error("iwave-code payload differs from the default codec's Encode at the budget")
	}
	h, err := iwave.ParseHeader(p)
	if err != nil {
		t.Fatalf("iwave-code payload: %v", err)
	}
	ri := NewRunInfo("test", "", nil, Config{Subjects: []string{"aes-ecb", "product-sealed"}})
	if ri.ProductCodec != "iwave" || ri.Models["iwave"] != hex.EncodeToString(h.FilterID[:]) {
		t.Errorf("run info: product codec %q, models %v, payload model id %x", ri.ProductCodec, ri.Models, h.FilterID)
	}
	if ri := NewRunInfo("test", "", nil, Config{Subjects: []string{"aes-ecb"}}); ri.Models != nil || ri.ProductCodec != "" {
		t.Errorf("run info without codec subjects: %+v", ri)
	}

	so, err := sealed.Encrypt(img, key, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(so.Samples) != capacity {
		t.Errorf("sealed container %d bytes, want %d", len(so.Samples), capacity)
	}
	hdr, err := seal.ParseHeader(so.Samples)
	if err != nil {
		t.Fatal(err)
	}
	if hdr.Meta.Codec != codec.IDIWave || hdr.Meta.Level != 'L' || hdr.Meta.Width != img.Rect.Dx() {
		t.Errorf("sealed header %+v, want codec %d (iwave), level L", hdr.Meta, codec.IDIWave)
	}
	got, err := sealed.Decrypt(so, key)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.(*image.Gray).Pix, decodedPix(t, def, want)) {
		t.Error("product-sealed decrypts to a different image than the default codec decodes")
	}
	key[0] ^= 1
	if _, err := sealed.Decrypt(so, key); !errors.Is(err, seal.ErrAuth) {
		t.Errorf("wrong key: %v, want seal.ErrAuth", err)
	}
}

// decodedPix decodes payload with c and returns the gray image's pixels.
func decodedPix(t *testing.T, c codec.Codec, payload []byte) []byte {
	t.Helper()
	img, err := c.Decode(payload)
	if err != nil {
		t.Fatal(err)
	}
	return img.(*image.Gray).Pix
}

// TestCodeMemoKeysOnCodec codes one image with two codecs through one memo:
// each gets its own payload and decoded image back.
func TestCodeMemoKeysOnCodec(t *testing.T) {
	img := testImages(t, 1)[0].Gray
	cm := newCodeMemo()
	const budget = 2000
	for round := range 2 {
		for _, name := range []string{"jpeg", "iwave"} {
			c, err := codec.ByName(name)
			if err != nil {
				t.Fatal(err)
			}
			want, err := c.Encode(img, budget)
			if err != nil {
				t.Fatal(err)
			}
			got, err := cm.encode(c, img, budget)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("round %d, %s: memo returned another codec's payload", round, name)
			}
			dec, err := cm.decode(c, got)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(dec.(*image.Gray).Pix, decodedPix(t, c, want)) {
				t.Errorf("round %d, %s: memo returned another codec's image", round, name)
			}
		}
	}
	if cm.enc.len() != 2 || cm.dec.len() != 2 {
		t.Errorf("memo holds %d payloads and %d images, want 2 and 2", cm.enc.len(), cm.dec.len())
	}
}

// TestEvalConfigSubjects: the full run (experiments/eval.json) evaluates
// every registered subject, the quick one every product subject.
func TestEvalConfigSubjects(t *testing.T) {
	for _, f := range []string{"../experiments/eval.json", "../experiments/eval_quick.json"} {
		cfg, err := LoadConfig(f, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(cfg.Subjects, SubjectNames()) {
			t.Errorf("%s: subjects %v, want every registered one %v", f, cfg.Subjects, SubjectNames())
		}
	}
}
