package attacks

import (
	"image"
	"testing"
)

func TestDamage(t *testing.T) {
	src := testImage(64, 32, 1)
	count := func(a, b *image.Gray) int {
		n := 0
		for i := range a.Pix {
			if a.Pix[i] != b.Pix[i] {
				n++
			}
		}
		return n
	}
	for _, tc := range []struct {
		d            Damage
		minChanged   int
		maxChanged   int
		zeroedRegion image.Rectangle
	}{
		{d: Damage{Kind: "salt-pepper", Strength: 0.1}, minChanged: 150, maxChanged: 205}, // 205 pixels hit, some already 0/255-equal
		{d: Damage{Kind: "salt-pepper", Strength: 0}, minChanged: 0, maxChanged: 0},
		{d: Damage{Kind: "gaussian", Strength: 10}, minChanged: 1500, maxChanged: 2048},
		{d: Damage{Kind: "block", Strength: 0.25, Position: "top-left"}, zeroedRegion: image.Rect(0, 0, 32, 16), minChanged: 500, maxChanged: 512},
		{d: Damage{Kind: "block", Strength: 0.25, Position: "center"}, zeroedRegion: image.Rect(16, 8, 48, 24), minChanged: 500, maxChanged: 512},
		{d: Damage{Kind: "block", Strength: 1.0 / 64, Position: "bottom-right"}, zeroedRegion: image.Rect(56, 28, 64, 32), minChanged: 30, maxChanged: 32},
		{d: Damage{Kind: "jpeg", Strength: 50}, minChanged: 300, maxChanged: 2048},
		{d: Damage{Kind: "jpeg", Strength: 100}, minChanged: 0, maxChanged: 1024},
	} {
		t.Run(tc.d.String(), func(t *testing.T) {
			a, err := tc.d.Apply(src, newRNG(5, "d"))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := tc.d.Apply(src, newRNG(5, "d"))
			if count(a, b) != 0 {
				t.Fatal("same seed gave different damage")
			}
			n := count(src, a)
			if n < tc.minChanged || n > tc.maxChanged {
				t.Fatalf("%d pixels changed, want %d..%d", n, tc.minChanged, tc.maxChanged)
			}
			if !tc.zeroedRegion.Empty() {
				for y := 0; y < 32; y++ {
					for x := 0; x < 64; x++ {
						in := image.Pt(x, y).In(tc.zeroedRegion)
						if v := a.GrayAt(x, y).Y; in && v != 0 || !in && v != src.GrayAt(x, y).Y {
							t.Fatalf("pixel (%d,%d) = %d, in block %v", x, y, v, in)
						}
					}
				}
			}
		})
	}
	if _, err := (Damage{Kind: "fire"}).Apply(src, newRNG(1, "")); err == nil {
		t.Error("unknown damage accepted")
	}
	if _, err := (Damage{Kind: "block", Strength: 0.5, Position: "left"}).Apply(src, newRNG(1, "")); err == nil {
		t.Error("unknown position accepted")
	}
}
