// Package testimg holds the image helpers that medqr's tests and test-vector
// generators share: reading a PNG, a JPEG or a gray test image from a file,
// seeded noise images, the pixel bytes of a gray image, the PSNR of two
// 8-bit images, a pixel-exact comparison of two images, the sample files
// below a folder, fuzz seeds from testdata, and the external programs tests
// compare medqr with. The readers take a testing.TB and fail the test
// (t.Fatal) instead of returning an error.
package testimg

import (
	"fmt"
	"image"
	_ "image/jpeg" // ReadImage reads the shipped JPEG samples
	"image/png"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Noise returns a w x h *image.Gray (depth 8) or *image.Gray16 (any other
// depth) whose pixel bytes are drawn uniformly from rng, in order.
func Noise(rng *rand.Rand, w, h, depth int) image.Image {
	r := image.Rect(0, 0, w, h)
	var pix []uint8
	var img image.Image
	if depth == 8 {
		m := image.NewGray(r)
		pix, img = m.Pix, m
	} else {
		m := image.NewGray16(r)
		pix, img = m.Pix, m
	}
	for i := range pix {
		pix[i] = uint8(rng.UintN(256))
	}
	return img
}

// UniformPixels returns w*h pixel values uniform below 2^depth, drawn from
// a PCG seeded by seed and the size.
func UniformPixels(seed uint64, w, h, depth int) []uint16 {
	r := rand.New(rand.NewPCG(seed, uint64(w*7919+h)))
	px := make([]uint16, w*h)
	for i := range px {
		px[i] = uint16(r.Uint32() & (1<<depth - 1))
	}
	return px
}

// Bytes returns the pixel bytes of an *image.Gray or *image.Gray16 (16-bit
// values big-endian, as in PNG); it panics on another type.
func Bytes(img image.Image) []byte {
	switch m := img.(type) {
	case *image.Gray:
		return m.Pix
	case *image.Gray16:
		return m.Pix
	}
	panic("testimg: not a gray image")
}

// ReadPNG decodes the PNG file at path; a missing or broken file fails the
// test with the path in the message.
func ReadPNG(t testing.TB, path string) image.Image {
	t.Helper()
	return read(t, path, png.Decode)
}

// ReadImage decodes the PNG or JPEG file at path (the format from its
// content), as ReadPNG does.
func ReadImage(t testing.TB, path string) image.Image {
	t.Helper()
	return read(t, path, func(r io.Reader) (image.Image, error) {
		img, _, err := image.Decode(r)
		return img, err
	})
}

func read(t testing.TB, path string, decode func(io.Reader) (image.Image, error)) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// ReadGray is ReadPNG for a file that must hold an 8-bit gray image.
func ReadGray(t testing.TB, path string) *image.Gray {
	t.Helper()
	img := ReadPNG(t, path)
	g, ok := img.(*image.Gray)
	if !ok {
		t.Fatalf("%s is %T, want *image.Gray", path, img)
	}
	return g
}

// PSNR is the peak signal-to-noise ratio in dB of two 8-bit images of the
// same size whose pixels are packed (Stride == width): +Inf when they are
// equal.
func PSNR(a, b *image.Gray) float64 {
	var se float64
	for i := range a.Pix {
		d := float64(a.Pix[i]) - float64(b.Pix[i])
		se += d * d
	}
	return 10 * math.Log10(255*255/(se/float64(len(a.Pix))))
}

// SamePixels reports nil when a and b are images of the same type and size
// with the same pixel values, whatever their origins and strides, and an
// error naming the first difference otherwise.
func SamePixels(a, b image.Image) error {
	ab, bb := a.Bounds(), b.Bounds()
	switch {
	case fmt.Sprintf("%T", a) != fmt.Sprintf("%T", b):
		return fmt.Errorf("image is %T, want %T", b, a)
	case ab.Size() != bb.Size():
		return fmt.Errorf("size %v, want %v", bb.Size(), ab.Size())
	}
	for y := 0; y < ab.Dy(); y++ {
		for x := 0; x < ab.Dx(); x++ {
			if ca, cb := a.At(ab.Min.X+x, ab.Min.Y+y), b.At(bb.Min.X+x, bb.Min.Y+y); ca != cb {
				return fmt.Errorf("pixel (%d,%d) = %v, want %v", x, y, cb, ca)
			}
		}
	}
	return nil
}

// Files lists the regular files below dir whose names end in suffix, in
// lexical order (an unreadable folder is skipped).
func Files(dir, suffix string) []string {
	var files []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, suffix) {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	return files
}

// Tool returns the path of the external program name (Debian package pkg)
// that a test compares medqr with. A missing program skips the test, or
// fails it when CI is set: CI installs them all (scripts/deps.sh test).
func Tool(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		msg := fmt.Sprintf("%s not found (Debian package %s; scripts/deps.sh test installs it)", name, pkg)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

// SharedDICOM lists the 20 DICOM files of the team's shared samples in dir
// (they live beside the repository, not in it): a missing dir skips the
// test, another count of files fails it.
func SharedDICOM(t testing.TB, dir string) []string {
	t.Helper()
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared DICOM samples not found at %s (they live beside the repository on the team machine)", dir)
	}
	files := Files(dir, ".dcm")
	if len(files) != 20 {
		t.Errorf("found %d DICOM files in %s, want 20", len(files), dir)
	}
	return files
}

// AddSeeds adds the files matching each glob as seeds of the fuzz test f,
// skipping files over maxBytes (0: no limit). A glob that matches no file
// fails f, so that a moved testdata folder does not leave a fuzz test
// without its seeds.
func AddSeeds(f *testing.F, maxBytes int, globs ...string) {
	f.Helper()
	for _, g := range globs {
		files, err := filepath.Glob(g)
		if err != nil || len(files) == 0 {
			f.Fatalf("no fuzz seeds match %s", g)
		}
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			if maxBytes == 0 || len(b) <= maxBytes {
				f.Add(b)
			}
		}
	}
}
