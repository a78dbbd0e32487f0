package codec_test

import (
	"errors"
	"testing"

	"github.com/medqr/medqr/codec"
	"github.com/medqr/medqr/data"
	"github.com/medqr/medqr/eval"
)

// QR version-40 budgets for the payload (capacity minus the sealed
// container's overhead), as used across medqr.
var iwaveBudgets = []struct {
	level  string
	budget int
}{{"L", 2905}, {"M", 2283}, {"Q", 1615}, {"H", 1225}}

func TestIWaveRegistered(t *testing.T) {
	c, err := codec.Lookup(codec.IDIWave)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name() != "iwave" {
		t.Fatalf("id %d is %q", codec.IDIWave, c.Name())
	}
	if _, err := c.Decode([]byte{1, 2}); !errors.As(err, new(*codec.FormatError)) {
		t.Fatalf("short payload: %v, want *FormatError", err)
	}
}

// TestIWaveBeatsJPEG codes held-out test-split X-rays at the four QR
// budgets and requires iwave to beat Go's image/jpeg (fitted to the same
// budget) in PSNR on every image at every budget.
func TestIWaveBeatsJPEG(t *testing.T) {
	imgs, err := data.LoadSplit("../data/samples/kermany_cxr_224", "test", 256)
	if err != nil {
		t.Skipf("shipped samples unavailable: %v", err)
	}
	n := 3
	if testing.Short() {
		n = 1
	}
	iw, _ := codec.ByName("iwave")
	jp, _ := codec.ByName("jpeg")
	for _, g := range imgs[:n] {
		for _, b := range iwaveBudgets {
			p, err := iw.Encode(g, b.budget)
			if err != nil {
				t.Fatal(err)
			}
			if len(p) > b.budget {
				t.Fatalf("%s: %d bytes over the %d budget", b.level, len(p), b.budget)
			}
			d, err := iw.Decode(p)
			if err != nil {
				t.Fatal(err)
			}
			q, err := jp.Encode(g, b.budget)
			if err != nil {
				t.Fatal(err)
			}
			dj, err := jp.Decode(q)
			if err != nil {
				t.Fatal(err)
			}
			pi, pj := eval.PSNR(g, d), eval.PSNR(g, dj)
			si, sj := eval.SSIM(g, d), eval.SSIM(g, dj)
			t.Logf("%s: iwave %.2f dB / %.4f, jpeg %.2f dB / %.4f", b.level, pi, si, pj, sj)
			if pi <= pj {
				t.Errorf("%s (%d B): iwave %.2f dB does not beat Go jpeg %.2f dB", b.level, b.budget, pi, pj)
			}
		}
	}
}
