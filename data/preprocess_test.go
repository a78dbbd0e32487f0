package data

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestPreprocessGeometry(t *testing.T) {
	// 6x4 image: columns 0 and 5 are cropped away (floor((6-4)/2) = 1 on
	// the left), leaving the 4x4 centre.
	g := image.NewGray(image.Rect(0, 0, 6, 4))
	for y := 0; y < 4; y++ {
		for x := 0; x < 6; x++ {
			g.Pix[y*6+x] = uint8(10*x + y)
		}
	}
	out := Preprocess(g, 4)
	for y := 0; y < 4; y++ {
		for x := 0; x < 4; x++ {
			if got, want := out.Pix[y*4+x], uint8(10*(x+1)+y); got != want {
				t.Errorf("(%d,%d) = %d, want %d", x, y, got, want)
			}
		}
	}
	// Tall image: rows cropped symmetrically (floor on top).
	tall := image.NewGray(image.Rect(0, 0, 2, 5))
	for i := range tall.Pix {
		tall.Pix[i] = uint8(i / 2 * 50)
	}
	out = Preprocess(tall, 2)
	if out.Pix[0] != 50 || out.Pix[2] != 100 {
		t.Errorf("tall crop = %v, want rows 1 and 2 (50, 100)", out.Pix)
	}
	// Sub-image with a non-zero origin.
	sub := g.SubImage(image.Rect(1, 0, 5, 4)).(*image.Gray)
	if !bytes.Equal(Preprocess(sub, 4).Pix, Preprocess(g, 4).Pix) {
		t.Error("sub-image origin not handled")
	}
}

func TestPreprocessFlatAndRange(t *testing.T) {
	for _, size := range []int{1, 7, 64, 256, 300} {
		for _, v := range []uint8{0, 1, 128, 254, 255} {
			g := image.NewGray(image.Rect(0, 0, 97, 61))
			for i := range g.Pix {
				g.Pix[i] = v
			}
			out := Preprocess(g, size)
			if out.Rect != image.Rect(0, 0, size, size) {
				t.Fatalf("size %d: rect %v", size, out.Rect)
			}
			for i, p := range out.Pix {
				if p != v {
					t.Fatalf("size %d value %d: pixel %d became %d", size, v, i, p)
				}
			}
		}
	}
	// A hard edge overshoots (Lanczos ringing) but stays clamped to 0..255
	// and is symmetric.
	g := image.NewGray(image.Rect(0, 0, 50, 50))
	for y := 0; y < 50; y++ {
		for x := 25; x < 50; x++ {
			g.Pix[y*50+x] = 255
		}
	}
	out := Preprocess(g, 80)
	for x := 0; x < 40; x++ {
		if int(out.Pix[x])+int(out.Pix[79-x]) < 254 || int(out.Pix[x])+int(out.Pix[79-x]) > 256 {
			t.Errorf("edge not symmetric at x=%d: %d + %d", x, out.Pix[x], out.Pix[79-x])
		}
	}
}

// TestPreprocessDeterministic pins the output on a real image so that any
// change in the algorithm (which would invalidate caches) is noticed: bump
// PreprocessVersion and update the hash together.
func TestPreprocessDeterministic(t *testing.T) {
	d, err := Load(filepath.Join("samples", "dicom", "siim_acr_cxr_mono2_8bit_jpegbaseline.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	a := Preprocess(d.Display(), DefaultSize)
	b := Preprocess(d.Display(), DefaultSize)
	if !bytes.Equal(a.Pix, b.Pix) {
		t.Fatal("two runs differ")
	}
	sum := sha256.Sum256(a.Pix)
	const want = "ddf46b6de87f55a165e96eeb44253dbdbb50657922b81d691cad6f228c730cdc"
	if got := hex.EncodeToString(sum[:]); got != want {
		t.Fatalf("Preprocess v%d output hash %s, want %s", PreprocessVersion, got, want)
	}
}

// TestPreprocessAgainstPillow compares with an independent Lanczos
// implementation (Pillow's Image.resize(LANCZOS), which uses the same
// kernel, support scaling and pixel-centre convention but 22-bit weights
// and an 8-bit intermediate), on the centre-cropped square.
func TestPreprocessAgainstPillow(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import PIL").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("python3 with PIL is required in CI: %v", err)
		}
		t.Skip("python3-pil not available")
	}
	dir := t.TempDir()
	cases := []struct {
		src  string
		size int
	}{
		{filepath.Join("samples", "dicom", "siim_acr_cxr_mono2_8bit_jpegbaseline.dcm"), 256},          // 4x down
		{filepath.Join("samples", "kermany_cxr_224", "PNEUMONIA", "person1004_virus_1686.jpeg"), 256}, // up
		{filepath.Join("samples", "dicom", "nema_CR-MONO1-10-chest_nometa.dcm"), 100},                 // 4.4x down
	}
	for _, tc := range cases {
		d, err := Load(tc.src)
		if err != nil {
			t.Fatal(err)
		}
		disp := d.Display()
		side := min(disp.Rect.Dx(), disp.Rect.Dy())
		x0, y0 := (disp.Rect.Dx()-side)/2, (disp.Rect.Dy()-side)/2
		crop := disp.SubImage(image.Rect(x0, y0, x0+side, y0+side))
		in := filepath.Join(dir, "in.png")
		out := filepath.Join(dir, "out.raw")
		if err := os.WriteFile(in, encodePNG(t, crop), 0o644); err != nil {
			t.Fatal(err)
		}
		script := fmt.Sprintf("from PIL import Image\nim=Image.open(%q).convert('L').resize((%d,%d), Image.LANCZOS)\nopen(%q,'wb').write(im.tobytes())", in, tc.size, tc.size, out)
		if msg, err := exec.Command(py, "-c", script).CombinedOutput(); err != nil {
			t.Fatalf("pillow: %v\n%s", err, msg)
		}
		want, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		got := Preprocess(disp, tc.size).Pix
		maxd, sum := 0, 0
		for i := range want {
			df := int(got[i]) - int(want[i])
			if df < 0 {
				df = -df
			}
			maxd = max(maxd, df)
			sum += df
		}
		mean := float64(sum) / float64(len(want))
		t.Logf("%s -> %d: max |diff| %d, mean %.4f grey levels vs Pillow", filepath.Base(tc.src), tc.size, maxd, mean)
		if maxd > 2 || mean > 0.25 {
			t.Errorf("%s: differs from Pillow LANCZOS by up to %d (mean %.3f)", tc.src, maxd, mean)
		}
	}
}
