package testimg

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestPSNR(t *testing.T) {
	a := image.NewGray(image.Rect(0, 0, 2, 2))
	b := image.NewGray(image.Rect(0, 0, 2, 2))
	for _, c := range []struct {
		name string
		set  func()
		want float64
	}{
		{"equal", func() {}, math.Inf(1)},
		// one pixel off by 255 of four: MSE 255^2/4, PSNR 10 log10 4.
		{"one pixel", func() { b.Pix[0] = 255 }, 10 * math.Log10(4)},
		{"all pixels", func() { copy(b.Pix, []uint8{255, 255, 255, 255}) }, 0},
	} {
		c.set()
		if got := PSNR(a, b); math.Abs(got-c.want) > 1e-12 && got != c.want {
			t.Errorf("%s: PSNR %v, want %v", c.name, got, c.want)
		}
	}
}

func TestSamePixels(t *testing.T) {
	g := Noise(rand.New(rand.NewPCG(1, 2)), 5, 3, 8).(*image.Gray)
	// shifted: the same pixels at another origin, inside a wider buffer.
	wide := image.NewGray(image.Rect(10, 20, 17, 23))
	shifted := wide.SubImage(image.Rect(11, 20, 16, 23)).(*image.Gray)
	for y := 0; y < 3; y++ {
		copy(shifted.Pix[y*shifted.Stride:], g.Pix[y*g.Stride:y*g.Stride+5])
	}
	changed := image.NewGray(g.Rect)
	copy(changed.Pix, g.Pix)
	changed.Pix[7] ^= 1
	g16 := Noise(rand.New(rand.NewPCG(1, 2)), 5, 3, 16)
	for _, c := range []struct {
		name string
		b    image.Image
		want string // "" for equal, else a part of the error
	}{
		{"itself", g, ""},
		{"shifted", shifted, ""},
		{"one pixel", changed, "pixel (2,1)"},
		{"smaller", image.NewGray(image.Rect(0, 0, 5, 2)), "size"},
		{"16-bit", g16, "*image.Gray16"},
	} {
		err := SamePixels(g, c.b)
		if (err == nil) != (c.want == "") || err != nil && !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

func TestReadGray(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		img  image.Image
	}{
		{"gray.png", image.NewGray(image.Rect(0, 0, 3, 2))},
		{"gray16.png", image.NewGray16(image.Rect(0, 0, 3, 2))},
	} {
		f, err := os.Create(filepath.Join(dir, c.name))
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, c.img); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if g := ReadGray(t, filepath.Join(dir, "gray.png")); g.Rect.Dx() != 3 || g.Rect.Dy() != 2 {
		t.Errorf("gray.png read as %v", g.Rect)
	}
	if img := ReadPNG(t, filepath.Join(dir, "gray16.png")); img.ColorModel() != image.NewGray16(image.Rect(0, 0, 1, 1)).ColorModel() {
		t.Errorf("gray16.png read as %T", img)
	}
	jpg := filepath.Join("..", "..", "data", "samples", "kermany_cxr_224", "NORMAL", "IM-0115-0001.jpeg")
	if img := ReadImage(t, jpg); img.Bounds() != image.Rect(0, 0, 224, 224) {
		t.Errorf("shipped JPEG sample read as %v", img.Bounds())
	}
}

func TestNoise(t *testing.T) {
	for _, depth := range []int{8, 16} {
		a := Noise(rand.New(rand.NewPCG(1, 2)), 5, 3, depth)
		b := Noise(rand.New(rand.NewPCG(1, 2)), 5, 3, depth)
		c := Noise(rand.New(rand.NewPCG(1, 3)), 5, 3, depth)
		if a.Bounds() != image.Rect(0, 0, 5, 3) || len(Bytes(a)) != 15*depth/8 {
			t.Fatalf("depth %d: %v with %d bytes", depth, a.Bounds(), len(Bytes(a)))
		}
		if !bytes.Equal(Bytes(a), Bytes(b)) || bytes.Equal(Bytes(a), Bytes(c)) {
			t.Errorf("depth %d: noise does not follow its seed", depth)
		}
	}
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"b.dcm", "a.dcm", "c.txt", "sub/d.dcm"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := Files(dir, ".dcm")
	want := []string{filepath.Join(dir, "a.dcm"), filepath.Join(dir, "b.dcm"), filepath.Join(dir, "sub", "d.dcm")}
	if !slices.Equal(got, want) {
		t.Errorf("Files gave %v, want %v", got, want)
	}
}

func TestTool(t *testing.T) {
	if p := Tool(t, "go", "golang-go"); filepath.Base(p) != "go" {
		t.Errorf("Tool(go) = %q", p)
	}
	t.Run("missing", func(t *testing.T) {
		t.Setenv("CI", "")
		Tool(t, "medqr-no-such-program", "none")
		t.Error("a missing program did not skip the test")
	})
}

func TestSharedDICOMMissing(t *testing.T) {
	t.Run("missing", func(t *testing.T) {
		SharedDICOM(t, filepath.Join(t.TempDir(), "absent"))
		t.Error("a missing folder did not skip the test")
	})
}

func TestUniformPixels(t *testing.T) {
	for _, depth := range []int{1, 8, 16} {
		px := UniformPixels(7, 40, 30, depth)
		if len(px) != 1200 {
			t.Fatalf("%d pixels", len(px))
		}
		top, limit := 0, 1<<depth
		for _, v := range px {
			if int(v) >= limit {
				t.Fatalf("depth %d: value %d", depth, v)
			}
			top = max(top, int(v))
		}
		if top < limit-1-limit/8 {
			t.Errorf("depth %d: largest value %d of 1200", depth, top)
		}
		if !slices.Equal(px, UniformPixels(7, 40, 30, depth)) || slices.Equal(px, UniformPixels(8, 40, 30, depth)) {
			t.Errorf("depth %d: pixels do not follow the seed", depth)
		}
	}
}
