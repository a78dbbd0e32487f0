package attacks

import (
	"context"
	"path/filepath"
	"testing"
)

func sampleSet(t *testing.T) *imageSet {
	t.Helper()
	s, err := openImageSet(filepath.Join("..", "data", "samples", "kermany_cxr_224"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestQRDamage: undamaged symbols open; heavy damage is unreadable or
// refused, never a wrong image; light damage opens.
func TestQRDamage(t *testing.T) {
	imgs, err := sampleSet(t).pick(newRNG(1, "qr"), 1, 256, 0)
	if err != nil {
		t.Fatal(err)
	}
	cfg := QRConfig{Levels: []string{"H"}, PxPerModule: 4, Codec: "jpeg",
		SaltPepper: []float64{0.001, 0.6}, Blocks: []float64{0.5}, Positions: []string{"center"}}
	rep, err := runQR(context.Background(), newRNG(2, "qr"), cfg, imgs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Fidelity) != 1 || float64(rep.Fidelity[0].PSNR) < 20 {
		t.Fatalf("fidelity %+v", rep.Fidelity)
	}
	for _, p := range rep.Points {
		t.Logf("%s %s: %+v", p.Level, p.Damage, p)
		if p.Wrong != 0 {
			t.Errorf("%s: %d wrong images", p.Damage, p.Wrong)
		}
		switch p.Damage.Strength {
		case 0.001:
			if p.Opened != p.Trials {
				t.Errorf("%s: light damage did not open", p.Damage)
			}
		default:
			if p.Opened != 0 {
				t.Errorf("%s: heavy damage opened", p.Damage)
			}
		}
	}
	if rep.BitRotRefused != rep.BitRotTrials || rep.BitRotTrials == 0 {
		t.Errorf("bit rot: %d of %d refused", rep.BitRotRefused, rep.BitRotTrials)
	}
}
