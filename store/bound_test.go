package store

import (
	"errors"
	"image"
	"image/color"
	"math/rand/v2"
	"testing"

	"github.com/medqr/medqr/codec"
	"github.com/medqr/medqr/data"
	"github.com/medqr/medqr/qr"
)

// TestLosslessRefusedEarly: a lossless image that cannot fit is refused
// from the estimate, before it is coded whole (issue 12 item 7), and an
// image that fits is never refused by the estimate.
func TestLosslessRefusedEarly(t *testing.T) {
	noise := func(w, h int) *image.Gray16 {
		g := image.NewGray16(image.Rect(0, 0, w, h))
		r := rand.New(rand.NewPCG(1, 2))
		for i := range g.Pix {
			g.Pix[i] = byte(r.Uint32())
		}
		return g
	}
	// A smooth 16-bit ramp with a little noise: compresses well.
	smooth := func(w, h int) *image.Gray16 {
		g := image.NewGray16(image.Rect(0, 0, w, h))
		r := rand.New(rand.NewPCG(3, 4))
		for y := range h {
			for x := range w {
				v := uint16(8*x+4*y) + uint16(r.IntN(2))
				g.SetGray16(x, y, color.Gray16{Y: v})
			}
		}
		return g
	}
	for _, tc := range []struct {
		name      string
		img       *image.Gray16
		multi     bool
		estimated bool // refused from the estimate
	}{
		{"noise 4096x4096 multi", noise(4096, 4096), true, true},
		{"noise 2048x1024 one code", noise(2048, 1024), false, true},
		{"noise 256x256 one code (coded whole)", noise(256, 256), false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &data.Decoded{Image: tc.img}
			_, err := prepare(d, Options{Codec: "lossless", Multi: tc.multi, Level: qr.L})
			var fe *FitError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want *FitError", err)
			}
			if fe.Estimated != tc.estimated {
				t.Errorf("estimated = %v, want %v (%v)", fe.Estimated, tc.estimated, err)
			}
			if fe.MultiOff == tc.multi {
				t.Errorf("MultiOff = %v with Multi %v", fe.MultiOff, tc.multi)
			}
		})
	}
	// The estimate is within the margin of the true size on a smooth image
	// and on a real X-ray, so neither could be refused by mistake.
	c, err := codec.ByName("lossless")
	if err != nil {
		t.Fatal(err)
	}
	xray, err := data.Load(sampleXray)
	if err != nil {
		t.Fatal(err)
	}
	big := image.NewGray16(image.Rect(0, 0, 1120, 1120)) // the X-ray at 5x, 16-bit
	xg := xray.Display()
	for y := range 1120 {
		for x := range 1120 {
			big.SetGray16(x, y, color.Gray16{Y: uint16(xg.GrayAt(x/5, y/5).Y) << 8})
		}
	}
	for name, img := range map[string]*image.Gray16{"smooth": smooth(1024, 1024), "x-ray": big} {
		est, ok := losslessEstimate(c, img)
		p, err := c.Encode(img, 0)
		if !ok || err != nil {
			t.Fatalf("%s: estimate %v, encode %v", name, ok, err)
		}
		if est > estimateMargin*len(p) || 2*est < len(p) {
			t.Errorf("%s: estimate %d bytes, true size %d", name, est, len(p))
		}
		t.Logf("%s: estimate %d bytes, true %d", name, est, len(p))
	}
}
