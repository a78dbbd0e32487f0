package qr

import (
	"image"
	"math/rand/v2"
	"slices"
	"testing"
)

// medianRef is the direct definition: sort each clamped window.
func medianRef(g *image.Gray, r int) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	out := image.NewGray(g.Rect)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var win []uint8
			for dy := -r; dy <= r; dy++ {
				for dx := -r; dx <= r; dx++ {
					win = append(win, g.Pix[clampInt(y+dy, 0, h-1)*w+clampInt(x+dx, 0, w-1)])
				}
			}
			slices.Sort(win)
			out.Pix[y*w+x] = win[len(win)/2]
		}
	}
	return out
}

func TestMedianMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	for _, size := range [][2]int{{1, 1}, {2, 3}, {7, 5}, {40, 33}} {
		g := image.NewGray(image.Rect(0, 0, size[0], size[1]))
		for i := range g.Pix {
			g.Pix[i] = byte(rng.IntN(4) * 85) // many ties
			if rng.IntN(3) == 0 {
				g.Pix[i] = byte(rng.Uint32())
			}
		}
		for _, r := range []int{1, 2} {
			got, want := median(g, r), medianRef(g, r)
			if !slices.Equal(got.Pix, want.Pix) {
				t.Errorf("%v r=%d: sliding median differs from the sorted-window median", size, r)
			}
		}
	}
}

func TestOtsuThreshold(t *testing.T) {
	// Two clusters at 20 and 200: any threshold in [20, 200) separates
	// them; Otsu picks the first maximiser, 20.
	hist := make([]int, 256)
	hist[20], hist[200] = 500, 300
	if got := otsuThreshold(hist, 800); got < 20 || got >= 200 {
		t.Errorf("threshold %d, want in [20, 200)", got)
	}
	g := image.NewGray(image.Rect(0, 0, 4, 1))
	copy(g.Pix, []uint8{10, 30, 180, 250})
	if got := otsu(g).Pix; !slices.Equal(got, []uint8{0, 0, 255, 255}) {
		t.Errorf("otsu = %v", got)
	}
}

func TestRescale(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 50, 44))
	for i := range g.Pix {
		g.Pix[i] = byte(i)
	}
	if h := halve(g); h.Rect.Dx() != 25 || h.Rect.Dy() != 22 || h.Pix[0] != uint8((0+1+50+51+2)/4) {
		t.Errorf("halve: %v, first pixel %d", h.Rect, h.Pix[0])
	}
	if d := double(g); d.Rect.Dx() != 100 || d.Rect.Dy() != 88 || d.Pix[0] != g.Pix[0] {
		t.Errorf("double: %v, first pixel %d", d.Rect, d.Pix[0])
	}
	if halve(image.NewGray(image.Rect(0, 0, 30, 30))) != nil {
		t.Error("halve of a 30x30 image should refuse")
	}
}
