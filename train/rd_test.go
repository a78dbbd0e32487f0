package train

import (
	"image"
	"math"
	"testing"

	"github.com/medqr/medqr/codec"
)

// TestCompareRDMatchesEvalCodec checks the harness-backed CompareRD gives,
// per image, what EvalCodec measures directly, and summaries that agree
// with Summarize over those images.
func TestCompareRDMatchesEvalCodec(t *testing.T) {
	var imgs []*image.Gray
	for k := range 2 {
		g := image.NewGray(image.Rect(0, 0, 64, 48))
		for i := range g.Pix {
			x, y := i%64, i/64
			g.Pix[i] = uint8(30 + 2*x + y + 17*((x*5+y*3+k)%7))
		}
		imgs = append(imgs, g)
	}
	rows, err := CompareRD([]codec.Codec{codec.JPEG{}}, imgs, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(Levels) {
		t.Fatalf("%d rows, want %d", len(rows), len(Levels))
	}
	for _, row := range rows {
		direct, err := EvalCodec(codec.JPEG{}, row.Budget, imgs, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(row.Images) != len(direct) {
			t.Fatalf("%s: %d images, want %d", row.Level, len(row.Images), len(direct))
		}
		for i, d := range direct {
			g := row.Images[i]
			if g.Bytes != d.Bytes || math.Abs(g.PSNR-d.PSNR) > 1e-9 || math.Abs(g.SSIM-d.SSIM) > 1e-9 || (g.Err == "") != (d.Err == "") {
				t.Errorf("%s image %d: harness %+v, direct %+v", row.Level, i, g, d)
			}
		}
		s := Summarize(direct)
		if s.N != row.N || s.Fails != row.Fails || math.Abs(s.MeanPSNR-row.MeanPSNR) > 1e-9 || math.Abs(s.MedianSSIM-row.MedianSSIM) > 1e-9 {
			t.Errorf("%s: summary %+v, want %+v", row.Level, row.Summary, s)
		}
	}
}
