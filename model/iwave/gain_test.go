package iwave

import (
	"bytes"
	"encoding/binary"
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

// sqErr is the sum of squared pixel differences of two same-size images.
func sqErr(a, b *image.Gray) int64 {
	var s int64
	for i := range a.Pix {
		d := int64(a.Pix[i]) - int64(b.Pix[i])
		s += d * d
	}
	return s
}

// withGain returns a copy of a version-4 payload naming gain index g.
func withGain(p []byte, g int) []byte {
	q := bytes.Clone(p)
	f := binary.BigEndian.Uint16(q[5:])
	binary.BigEndian.PutUint16(q[5:], f%StepCount|uint16(g)<<12)
	return q
}

// TestChooseGain: a version-4 payload names the post-filter gain whose
// decoded image is closest to the source (no gain is closer; a smaller
// gain is farther), EncodeDecoded returns exactly what Decode gives, gain
// GainUnit decodes as the whole residual (PostFilter.Apply, what versions
// 1-3 add) and gain 0 as no filter.
func TestChooseGain(t *testing.T) {
	full := loadGray(t, "cxr256.png")
	crop := full.SubImage(image.Rect(40, 60, 140, 124)).(*image.Gray)
	for _, tc := range []struct {
		name   string
		c      *Codec
		g      *image.Gray
		budget int
	}{
		{"L", Default(), full, 2905},
		{"crop", Default(), crop, 500},
		{"unlimited crop", Default(), crop, 0},
		{"plain codec", New(nil), full, 2905},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, dec, err := tc.c.EncodeDecoded(tc.g, tc.budget)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tc.c.Decode(p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Pix, dec.Pix) || got.Rect != dec.Rect {
				t.Fatal("EncodeDecoded's image differs from Decode's")
			}
			plain, err := tc.c.Encode(tc.g, tc.budget)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(plain, p) {
				t.Fatal("Encode and EncodeDecoded wrote other payloads")
			}
			h, err := ParseHeader(p)
			if err != nil {
				t.Fatal(err)
			}
			if h.Version != Version || h.Gain < 0 || h.Gain >= GainCount {
				t.Fatalf("header %+v", h)
			}
			src := ToGray(grayFloats(tc.g), tc.g.Rect.Dx(), tc.g.Rect.Dy())
			if tc.c.pf == nil {
				if h.Gain != GainUnit {
					t.Errorf("codec without post-filter wrote gain %d, want %d", h.Gain, GainUnit)
				}
				return
			}
			chosen := sqErr(got, src)
			raw, _, err := tc.c.DecodeRaw(p)
			if err != nil {
				t.Fatal(err)
			}
			for g := range GainCount {
				d, err := tc.c.Decode(withGain(p, g))
				if err != nil {
					t.Fatal(err)
				}
				e := sqErr(d, src)
				switch {
				case e < chosen:
					t.Errorf("gain %d: squared error %d, below the chosen gain %d's %d", g, e, h.Gain, chosen)
				case g < h.Gain && e == chosen:
					t.Errorf("gain %d ties the chosen gain %d: the smaller should win", g, h.Gain)
				}
				var want *image.Gray
				switch g {
				case 0:
					want = ToGray(raw, h.Width, h.Height)
				case GainUnit:
					want = ToGray(tc.c.pf.Apply(raw, h.Width, h.Height, h.Step), h.Width, h.Height)
				default:
					continue
				}
				if !bytes.Equal(d.Pix, want.Pix) {
					t.Errorf("gain %d decodes other pixels than %s", g, map[int]string{0: "no filter", GainUnit: "PostFilter.Apply"}[g])
				}
			}
			t.Logf("%dx%d at %d bytes: gain %d/%d", h.Width, h.Height, tc.budget, h.Gain, GainUnit)
		})
	}
}

// grayFloats returns g's pixels as floats, row-major from its origin.
func grayFloats(g *image.Gray) []float64 {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	x := make([]float64, 0, w*h)
	for y := range h {
		for _, v := range g.Pix[g.PixOffset(g.Rect.Min.X, g.Rect.Min.Y+y):][:w] {
			x = append(x, float64(v))
		}
	}
	return x
}

// TestToPixel: toPixel gives the clamped math.Round of every value: at and
// one or two ulps around every half-integer and integer from -3 to 259,
// zeros, infinities, huge values and 100,000 random ones.
func TestToPixel(t *testing.T) {
	ref := func(v float64) uint8 { return uint8(max(0, min(255, math.Round(v)))) }
	vals := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.MaxFloat64, -math.MaxFloat64, 1e300, -1e300, math.SmallestNonzeroFloat64, 0.49999999999999994}
	for k := -6; k <= 518; k++ {
		v := float64(k) / 2
		for _, u := range []float64{v, math.Nextafter(v, 1000), math.Nextafter(v, -1000)} {
			vals = append(vals, u, math.Nextafter(u, 1000), math.Nextafter(u, -1000))
		}
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for range 100000 {
		vals = append(vals, rng.Float64()*280-12)
	}
	for _, v := range vals {
		if got, want := toPixel(v), ref(v); got != want {
			t.Fatalf("toPixel(%v) = %d, want %d", v, got, want)
		}
	}
}
