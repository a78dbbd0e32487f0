package distort

import (
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

func checker(w, h, cell int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if (x/cell+y/cell)%2 == 0 {
				g.Pix[y*w+x] = 0xff
			}
		}
	}
	return g
}

func mean(g *image.Gray) float64 {
	var s float64
	for _, v := range g.Pix {
		s += float64(v)
	}
	return s / float64(len(g.Pix))
}

func TestIdentities(t *testing.T) {
	src := checker(40, 30, 4)
	tests := []struct {
		name string
		got  *image.Gray
	}{
		{"rotate 0", Rotate(src, 0)},
		{"scale 1", Scale(src, 1, 0, 0)},
		{"tilt 0", Tilt(src, 0, 1)},
		{"blur 0", Blur(src, 0)},
		{"salt-pepper 0", SaltPepper(src, 0, rand.New(rand.NewPCG(1, 1)))},
	}
	for _, tt := range tests {
		if tt.got.Rect != src.Rect {
			t.Errorf("%s: size %v, want %v", tt.name, tt.got.Rect, src.Rect)
			continue
		}
		for i := range src.Pix {
			if src.Pix[i] != tt.got.Pix[i] {
				t.Errorf("%s: pixel %d = %d, want %d", tt.name, i, tt.got.Pix[i], src.Pix[i])
				break
			}
		}
	}
}

func TestScaleHalfAverages(t *testing.T) {
	// A 1-pixel checkerboard halved is uniform mid-gray (area average).
	g := Scale(checker(64, 64, 1), 0.5, 0, 0)
	if g.Rect.Dx() != 32 || g.Rect.Dy() != 32 {
		t.Fatalf("size %v", g.Rect)
	}
	for i, v := range g.Pix {
		if v < 126 || v > 129 {
			t.Fatalf("pixel %d = %d, want 127.5 +/- 1.5", i, v)
		}
	}
	// 2-pixel cells halve to a 1-pixel checkerboard exactly.
	g = Scale(checker(64, 64, 2), 0.5, 0, 0)
	want := checker(32, 32, 1)
	for i := range g.Pix {
		if g.Pix[i] != want.Pix[i] {
			t.Fatalf("pixel %d = %d, want %d", i, g.Pix[i], want.Pix[i])
		}
	}
}

func TestRotate90(t *testing.T) {
	src := image.NewGray(image.Rect(0, 0, 20, 10))
	for i := range src.Pix {
		src.Pix[i] = 0xff
	}
	src.Pix[0] = 0 // top-left pixel dark
	g := Rotate(src, 90)
	if g.Rect.Dx() != 10 || g.Rect.Dy() != 20 {
		t.Fatalf("size %v, want 10x20", g.Rect)
	}
	// Counter-clockwise: the top-left corner goes to the bottom-left.
	if v := g.GrayAt(0, 19).Y; v > 64 {
		t.Errorf("bottom-left = %d, want dark", v)
	}
	if v := g.GrayAt(0, 0).Y; v < 192 {
		t.Errorf("top-left = %d, want white", v)
	}
}

func TestSolveHomography(t *testing.T) {
	from := [4][2]float64{{0, 0}, {10, 0}, {10, 10}, {0, 10}}
	to := [4][2]float64{{1, 2}, {9, 0}, {12, 11}, {-1, 9}}
	hm, err := solveHomography(from, to)
	if err != nil {
		t.Fatal(err)
	}
	for i := range from {
		x, y := hm.apply(from[i][0], from[i][1])
		if math.Abs(x-to[i][0]) > 1e-9 || math.Abs(y-to[i][1]) > 1e-9 {
			t.Errorf("H(%v) = (%g, %g), want %v", from[i], x, y, to[i])
		}
	}
	if _, err := solveHomography(from, [4][2]float64{}); err == nil {
		t.Error("degenerate target: no error")
	}
}

func TestTiltShrinksEdge(t *testing.T) {
	src := image.NewGray(image.Rect(0, 0, 100, 100)) // all black
	g := Tilt(src, 0.2, 0)
	// The top row now spans x in [10, 90): white outside it.
	if v := g.GrayAt(5, 0).Y; v != 0xff {
		t.Errorf("top-left corner = %d, want white", v)
	}
	if v := g.GrayAt(50, 0).Y; v != 0 {
		t.Errorf("top centre = %d, want black", v)
	}
	if v := g.GrayAt(1, 99).Y; v != 0 {
		t.Errorf("bottom-left = %d, want black (bottom edge kept)", v)
	}
}

func TestBlurKeepsMean(t *testing.T) {
	src := checker(64, 64, 8)
	g := Blur(src, 2)
	if d := math.Abs(mean(g) - mean(src)); d > 1 {
		t.Errorf("mean moved by %g", d)
	}
	if g.Pix[8*64+8] == 0 || g.Pix[8*64+8] == 0xff {
		t.Errorf("edge pixel not blurred: %d", g.Pix[8*64+8])
	}
}

func TestSaltPepperRate(t *testing.T) {
	src := image.NewGray(image.Rect(0, 0, 200, 200))
	for i := range src.Pix {
		src.Pix[i] = 128
	}
	g := SaltPepper(src, 0.02, rand.New(rand.NewPCG(3, 3)))
	var black, white int
	for _, v := range g.Pix {
		switch v {
		case 0:
			black++
		case 0xff:
			white++
		}
	}
	// 40000 pixels, p = 0.02: 800 +/- 28 (1 sigma); allow 4 sigma.
	if n := black + white; n < 688 || n > 912 {
		t.Errorf("%d noisy pixels, want 800 +/- 112", n)
	}
	if black < 300 || white < 300 {
		t.Errorf("black %d white %d: not even odds", black, white)
	}
}

func TestOcclude(t *testing.T) {
	src := checker(200, 200, 5)
	region := image.Rect(20, 20, 180, 180)
	keep := []image.Rectangle{image.Rect(20, 20, 60, 60), image.Rect(140, 20, 180, 60), image.Rect(20, 140, 60, 180)}
	r := rand.New(rand.NewPCG(4, 4))
	for _, frac := range []float64{0.1, 0.2, 0.3} {
		g, rect, err := Occlude(src, region, frac, keep, r)
		if err != nil {
			t.Fatalf("%v: %v", frac, err)
		}
		got := float64(rect.Dx()*rect.Dy()) / float64(region.Dx()*region.Dy())
		if math.Abs(got-frac) > 0.01 {
			t.Errorf("occluded %.3f, want %.2f", got, frac)
		}
		if !rect.In(region) {
			t.Errorf("%v outside %v", rect, region)
		}
		for _, k := range keep {
			if rect.Overlaps(k) {
				t.Errorf("%v overlaps kept %v", rect, k)
			}
		}
		v := g.GrayAt(rect.Min.X, rect.Min.Y).Y
		for y := rect.Min.Y; y < rect.Max.Y; y++ {
			for x := rect.Min.X; x < rect.Max.X; x++ {
				if g.GrayAt(x, y).Y != v {
					t.Fatalf("occlusion not solid at (%d,%d)", x, y)
				}
			}
		}
	}
	if _, _, err := Occlude(src, region, 0.9, keep, r); err == nil {
		t.Error("impossible occlusion: no error")
	}
}

func TestJPEG(t *testing.T) {
	src := checker(64, 48, 5)
	g, err := JPEG(src, 50)
	if err != nil {
		t.Fatal(err)
	}
	if g.Rect != src.Rect {
		t.Fatalf("size %v", g.Rect)
	}
	var diff float64
	for i := range g.Pix {
		diff += math.Abs(float64(g.Pix[i]) - float64(src.Pix[i]))
	}
	if d := diff / float64(len(g.Pix)); d == 0 || d > 20 {
		t.Errorf("mean absolute JPEG error %g, want in (0, 20]", d)
	}
}
