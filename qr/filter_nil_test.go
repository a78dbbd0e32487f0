package qr

import (
	"image"
	"testing"
)

// TestFiltersDeclineLargeImages guards the chained pre-filters: double
// declines images it would make too large, and a filter fed by it must pass
// the refusal on instead of dereferencing nil (a crash seen when decoding a
// sheet of lossless symbols).
func TestFiltersDeclineLargeImages(t *testing.T) {
	big := image.NewGray(image.Rect(0, 0, 2100, 10))
	if double(big) != nil {
		t.Fatal("double accepted a 2100-pixel-wide image")
	}
	for _, s := range strategies {
		if s.name == "double+otsu" {
			if got := s.filter(big); got != nil {
				t.Fatalf("double+otsu on a large image = %v, want nil", got.Rect)
			}
		}
	}
	if otsu(nil) != nil {
		t.Fatal("otsu(nil) != nil")
	}
}
