package jpegx

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/medqr/medqr/internal/testimg"
)

// djpegGray decodes path with libjpeg(-turbo)'s djpeg using the islow IDCT
// and returns the luma plane.
func djpegGray(t *testing.T, path string) (int, int, []byte) {
	t.Helper()
	out, err := exec.Command("djpeg", "-dct", "int", "-grayscale", "-pnm", path).Output()
	if err != nil {
		t.Fatalf("djpeg %s: %v", path, err)
	}
	var magic string
	var w, h, maxv int
	if _, err := fmt.Fscan(bytes.NewReader(out), &magic, &w, &h, &maxv); err != nil || magic != "P5" || maxv != 255 {
		t.Fatalf("djpeg output header: %v", err)
	}
	return w, h, out[len(out)-w*h:]
}

func lumaOf(t *testing.T, img image.Image) *image.Gray {
	switch m := img.(type) {
	case *image.Gray:
		return m
	case *image.YCbCr:
		b := m.Bounds()
		g := image.NewGray(b)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			copy(g.Pix[(y-b.Min.Y)*g.Stride:], m.Y[m.YOffset(b.Min.X, y):m.YOffset(b.Min.X, y)+b.Dx()])
		}
		return g
	}
	t.Fatalf("unexpected image type %T", img)
	return nil
}

// TestMatchesLibjpeg decodes every JPEG shipped in data/samples and
// requires the luma to equal djpeg's islow output exactly, and shows that
// image/jpeg does not (the reason this package exists).
func TestMatchesLibjpeg(t *testing.T) {
	testimg.Tool(t, "djpeg", "libjpeg-turbo-progs")
	files, _ := filepath.Glob("../../data/samples/kermany_cxr_224/*/*.jpeg")
	if len(files) == 0 {
		t.Fatal("no sample JPEGs found")
	}
	if testing.Short() && len(files) > 50 {
		files = files[:50]
	}
	stdDiffers := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		img, err := Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		got := lumaOf(t, img)
		w, h, want := djpegGray(t, f)
		if got.Rect.Dx() != w || got.Rect.Dy() != h {
			t.Fatalf("%s: size %v, djpeg %dx%d", f, got.Rect, w, h)
		}
		for i := range want {
			if got.Pix[i] != want[i] {
				t.Fatalf("%s: pixel %d = %d, djpeg %d", f, i, got.Pix[i], want[i])
			}
		}
		std, err := jpeg.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(lumaOf(t, std).Pix, want) {
			stdDiffers++
		}
	}
	t.Logf("%d JPEGs identical to djpeg -dct int; image/jpeg differs on %d of them", len(files), stdDiffers)
}

func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("../../data/samples/kermany_cxr_224/NORMAL/*.jpeg")
	for _, p := range files[:min(3, len(files))] {
		b, err := os.ReadFile(p)
		if err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := DecodeConfig(bytes.NewReader(b))
		if err != nil || cfg.Width*cfg.Height > 1<<22 {
			return
		}
		img, err := Decode(bytes.NewReader(b))
		if err != nil {
			if img != nil {
				t.Fatal("image returned with an error")
			}
			return
		}
		if img.Bounds().Dx() != cfg.Width || img.Bounds().Dy() != cfg.Height {
			t.Fatalf("Decode %v, DecodeConfig %dx%d", img.Bounds(), cfg.Width, cfg.Height)
		}
	})
}
