package data

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/medqr/medqr/internal/pngchunk"
)

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDecodePNGVariants(t *testing.T) {
	g8 := image.NewGray(image.Rect(0, 0, 5, 3))
	g16 := image.NewGray16(image.Rect(0, 0, 5, 3))
	rgb := image.NewNRGBA(image.Rect(0, 0, 5, 3))
	pal := image.NewPaletted(image.Rect(0, 0, 5, 3), color.Palette{color.Black, color.White, color.RGBA{200, 100, 50, 255}})
	for i := 0; i < 15; i++ {
		x, y := i%5, i/5
		g8.SetGray(x, y, color.Gray{uint8(i * 17)})
		g16.SetGray16(x, y, color.Gray16{uint16(i * 4369)})
		rgb.SetNRGBA(x, y, color.NRGBA{uint8(i * 10), uint8(255 - i*10), uint8(i * 3), 255})
		pal.SetColorIndex(x, y, uint8(i%3))
	}
	tests := []struct {
		name  string
		img   image.Image
		depth int
		color string
		want  func(x, y int) int // expected Image sample
		disp  func(x, y int) uint8
	}{
		{"gray8", g8, 8, "gray", func(x, y int) int { return int(g8.GrayAt(x, y).Y) }, func(x, y int) uint8 { return g8.GrayAt(x, y).Y }},
		{"gray16", g16, 16, "gray", func(x, y int) int { return int(g16.Gray16At(x, y).Y) }, func(x, y int) uint8 { return uint8(g16.Gray16At(x, y).Y >> 8) }},
		{"rgb", rgb, 8, "rgb", func(x, y int) int { return int(color.GrayModel.Convert(rgb.At(x, y)).(color.Gray).Y) }, nil},
		{"palette", pal, 8, "palette", func(x, y int) int { return int(color.GrayModel.Convert(pal.At(x, y)).(color.Gray).Y) }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Decode(bytes.NewReader(encodePNG(t, tc.img)))
			if err != nil {
				t.Fatal(err)
			}
			if d.Meta.Format != "png" || d.Meta.BitDepth != tc.depth || d.Meta.Color != tc.color || d.Meta.Width != 5 || d.Meta.Height != 3 {
				t.Fatalf("meta %+v", d.Meta)
			}
			disp := d.Display()
			for y := 0; y < 3; y++ {
				for x := 0; x < 5; x++ {
					if got := sampleAt(d, x, y); got != tc.want(x, y) {
						t.Errorf("(%d,%d) = %d, want %d", x, y, got, tc.want(x, y))
					}
					wantDisp := uint8(tc.want(x, y))
					if tc.disp != nil {
						wantDisp = tc.disp(x, y)
					}
					if disp.GrayAt(x, y).Y != wantDisp {
						t.Errorf("display (%d,%d) = %d, want %d", x, y, disp.GrayAt(x, y).Y, wantDisp)
					}
				}
			}
		})
	}
}

// The rgb expectation above uses image/color's luma; check one value by
// hand: (19595*R + 38470*G + 7471*B + 1<<15) >> 24 on 16-bit channels.
func TestRGBLumaByHand(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	img.SetNRGBA(0, 0, color.NRGBA{200, 100, 50, 255})
	d, err := Decode(bytes.NewReader(encodePNG(t, img)))
	if err != nil {
		t.Fatal(err)
	}
	// R=200*257, G=100*257, B=50*257:
	// (19595*51400 + 38470*25700 + 7471*12850 + 32768) >> 24 = 2091897118 >> 24 = 124
	if got := sampleAt(d, 0, 0); got != 124 {
		t.Fatalf("luma %d, want 124", got)
	}
}

func TestDecodeJPEGSample(t *testing.T) {
	d, err := Load(filepath.Join("samples", "kermany_cxr_224", "NORMAL", "IM-0115-0001.jpeg"))
	if err != nil {
		t.Fatal(err)
	}
	if d.Meta.Format != "jpeg" || d.Meta.Width != 224 || d.Meta.Height != 224 || d.Meta.BitDepth != 8 {
		t.Fatalf("meta %+v", d.Meta)
	}
	if _, ok := d.Image.(*image.Gray); !ok {
		t.Fatalf("image type %T", d.Image)
	}
	if !bytes.Equal(d.Display().Pix, d.Image.(*image.Gray).Pix) {
		t.Fatal("Display of an 8-bit JPEG is not the identity")
	}
}

// TestWindowLinear checks the VOI function against values computed by hand
// from PS3.3 C.11.2.1.2 (truncated as DCMTK does).
func TestWindowLinear(t *testing.T) {
	ct := Window{Center: 40, Width: 400} // left -160, right 239
	tests := []struct {
		x    float64
		win  Window
		inv  bool
		want uint8
	}{
		{-1000, ct, false, 0},
		{-160, ct, false, 0},  // at the left border: low
		{-159, ct, false, 0},  // ((-159-39.5)/399+0.5)*255 = 0.639
		{40, ct, false, 127},  // ((0.5)/399+0.5)*255 = 127.82
		{238, ct, false, 254}, // ((198.5)/399+0.5)*255 = 254.36
		{239, ct, false, 255}, // at the right border: (199.5/399+0.5)*255 = 255
		{240, ct, false, 255}, // past the right border: high
		{40, ct, true, 127},   // 255 - 127.82 = 127.18
		{-160, ct, true, 255}, // MONOCHROME1: low end is white
		{240, ct, true, 0},    //
		{4.5, Window{5, 1}, false, 0},
		{5, Window{5, 1}, false, 255}, // width 1: threshold at c-0.5
		{100, Window{128, 256}, false, 100},
	}
	for _, tc := range tests {
		if got := windowLinear(tc.x, tc.win, tc.inv); got != tc.want {
			t.Errorf("windowLinear(%v, %+v, inv=%v) = %d, want %d", tc.x, tc.win, tc.inv, got, tc.want)
		}
	}
}

func TestStoredValueMapping(t *testing.T) {
	tests := []struct {
		meta Meta
		q    int
		want int
	}{
		{Meta{BitDepth: 10}, 700, 700},
		{Meta{BitDepth: 10, Inverted: true}, 1023, 0},
		{Meta{BitDepth: 16, Signed: true}, 0, -32768},
		{Meta{BitDepth: 16, Signed: true}, 32768 + 5, 5},
		{Meta{BitDepth: 12, Signed: true, Inverted: true}, 4095, -2048},
	}
	for _, tc := range tests {
		d := &Decoded{Meta: tc.meta}
		if got := d.StoredValue(tc.q); got != tc.want {
			t.Errorf("%+v StoredValue(%d) = %d, want %d", tc.meta, tc.q, got, tc.want)
		}
	}
	d := &Decoded{Meta: Meta{BitDepth: 16, Signed: true, RescaleSlope: 1, RescaleIntercept: -1024}}
	if got := d.ModalityValue(32768 + 1024); got != 0 {
		t.Errorf("ModalityValue = %v, want 0 HU", got)
	}
}

// pngIHDR builds a PNG whose header claims w x h gray 8-bit, with valid
// CRCs but no image data.
func pngIHDR(w, h uint32) []byte {
	return pngchunk.Append([]byte(pngchunk.Signature), "IHDR", pngchunk.IHDR(w, h, 8, 0))
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	jpegPath := filepath.Join("samples", "kermany_cxr_224", "NORMAL", "IM-0115-0001.jpeg")
	jpegBytes, err := os.ReadFile(jpegPath)
	if err != nil {
		t.Fatal(err)
	}
	dcmBytes, err := os.ReadFile(filepath.Join("samples", "dicom", "pydicom_CT_small.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	pngBytes := encodePNG(t, image.NewGray(image.Rect(0, 0, 64, 64)))
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// A DICOM whose Rows claims 65535 and Columns 65535: 4 Gi pixels.
	huge := bytes.Clone(dcmBytes)
	setUS := func(b []byte, group, elem uint16, v uint16) {
		// explicit VR LE: tag(4) "US" len(2) value(2)
		pat := []byte{byte(group), byte(group >> 8), byte(elem), byte(elem >> 8), 'U', 'S', 2, 0}
		i := bytes.Index(b, pat)
		if i < 0 {
			t.Fatalf("tag (%04x,%04x) not found", group, elem)
		}
		b[i+8], b[i+9] = byte(v), byte(v>>8)
	}
	setUS(huge, 0x0028, 0x0010, 65535)
	setUS(huge, 0x0028, 0x0011, 65535)
	badBits := bytes.Clone(dcmBytes)
	setUS(badBits, 0x0028, 0x0101, 17) // Bits Stored > Bits Allocated

	tests := []struct {
		name  string
		path  string
		check func(error) bool
		text  string
	}{
		{"missing", filepath.Join(dir, "nope.png"), func(err error) bool { return errors.Is(err, os.ErrNotExist) }, "no such file"},
		{"directory", dir, func(err error) bool { return err != nil }, "is a directory"},
		{"empty", write("empty.png", nil), isFormatErr, "empty file"},
		{"text", write("notes.txt", []byte("hello, this is not an image\n")), func(err error) bool { return errors.Is(err, ErrUnknownFormat) }, "not a PNG, JPEG or DICOM"},
		{"truncated-png", write("t.png", pngBytes[:len(pngBytes)/2]), isFormatErr, "invalid png"},
		{"truncated-jpeg", write("t.jpeg", jpegBytes[:len(jpegBytes)/2]), isFormatErr, "invalid jpeg"},
		{"truncated-dicom", write("t.dcm", dcmBytes[:len(dcmBytes)-5000]), isFormatErr, "invalid dicom"},
		{"dicom-header-only", write("h.dcm", dcmBytes[:200]), isFormatErr, "invalid dicom"},
		{"huge-png", write("huge.png", pngIHDR(1<<20, 1<<20)), func(err error) bool { return errors.Is(err, ErrTooLarge) }, "exceeds the limit"},
		{"huge-dicom", write("huge.dcm", huge), func(err error) bool { return errors.Is(err, ErrTooLarge) }, "exceeds the limit"},
		{"bad-bits-dicom", write("bits.dcm", badBits), isFormatErr, "Bits Stored 17"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Load(tc.path)
			if err == nil {
				t.Fatalf("Load succeeded: %+v", d.Meta)
			}
			if d != nil {
				t.Fatal("partial result returned with an error")
			}
			if !tc.check(err) {
				t.Errorf("error %v (%T) has the wrong type", err, err)
			}
			if !strings.Contains(err.Error(), tc.path) {
				t.Errorf("error %q does not name the file", err)
			}
			if !strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %q does not say %q", err, tc.text)
			}
		})
	}
}

func isFormatErr(err error) bool {
	var fe *FormatError
	return errors.As(err, &fe)
}

func TestMaxPixelsOption(t *testing.T) {
	p := filepath.Join("samples", "kermany_cxr_224", "NORMAL", "IM-0115-0001.jpeg")
	if _, err := LoadWith(p, LoadOptions{MaxPixels: 224*224 - 1}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if _, err := LoadWith(p, LoadOptions{MaxPixels: 224 * 224}); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	if _, err := LoadWith(p, LoadOptions{MaxBytes: 100}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("MaxBytes: err = %v, want ErrTooLarge", err)
	}
}

func TestPatientFieldsOnlyWhenAsked(t *testing.T) {
	p := filepath.Join("samples", "dicom", "siim_acr_cxr_mono2_8bit_jpegbaseline.dcm")
	d, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if d.Meta.Patient != nil {
		t.Fatalf("patient fields present by default: %v", d.Meta.Patient)
	}
	d, err = LoadWith(p, LoadOptions{IncludePatient: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Meta.Patient["PatientID"]; got != "16d7f894-55d7-4d95-8957-d18987f0e981" {
		t.Fatalf("PatientID = %q (all: %v)", got, d.Meta.Patient)
	}
	if d.Meta.Patient["PatientSex"] != "M" || d.Meta.Patient["PatientAge"] != "62" {
		t.Fatalf("patient fields %v", d.Meta.Patient)
	}
}

func TestDecodeConfig(t *testing.T) {
	for _, tc := range []struct {
		path        string
		format      string
		w, h, depth int
		ts          string
	}{
		{filepath.Join("samples", "kermany_cxr_224", "NORMAL", "IM-0115-0001.jpeg"), "jpeg", 224, 224, 8, ""},
		{filepath.Join("samples", "dicom", "pydicom_CT_small.dcm"), "dicom", 128, 128, 16, "1.2.840.10008.1.2.1"},
		{filepath.Join("samples", "dicom", "pydicom_JPEG2000.dcm"), "dicom", 256, 1024, 16, "1.2.840.10008.1.2.4.91"},
		{filepath.Join("samples", "dicom", "nema_CR-MONO1-10-chest_nometa.dcm"), "dicom", 440, 440, 10, "1.2.840.10008.1.2"},
	} {
		f, err := os.Open(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		m, err := DecodeConfig(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		if m.Format != tc.format || m.Width != tc.w || m.Height != tc.h || m.BitDepth != tc.depth || m.TransferSyntaxUID != tc.ts {
			t.Errorf("%s: %+v", tc.path, m)
		}
	}
}

func TestUnpackBits(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		n    int
		want []byte
		ok   bool
	}{
		{"literal", []byte{2, 'a', 'b', 'c'}, 3, []byte("abc"), true},
		{"replicate", []byte{0xfe, 'x'}, 3, []byte("xxx"), true}, // -2: 3 copies
		{"noop", []byte{0x80, 0, 'z'}, 1, []byte("z"), true},
		{"mixed+pad", []byte{0, 'a', 0xff, 'b', 0}, 3, []byte("abb"), true},
		{"max-replicate", []byte{0x81, 7}, 128, bytes.Repeat([]byte{7}, 128), true},
		{"short", []byte{5, 'a'}, 6, nil, false},
		{"overrun", []byte{0xfd, 'x'}, 2, nil, false},
		{"empty", nil, 1, nil, false},
	}
	for _, tc := range tests {
		got, err := unpackBits(tc.in, tc.n)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v", tc.name, err)
			continue
		}
		if tc.ok && !bytes.Equal(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestImageDecodeRegistered(t *testing.T) {
	p := filepath.Join("samples", "dicom", "pydicom_MR_small.dcm")
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, name, err := image.Decode(f)
	if err != nil || name != "dicom" {
		t.Fatalf("image.Decode: %v, %q", err, name)
	}
	d, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(img.(*image.Gray).Pix, d.Display().Pix) {
		t.Fatal("image.Decode differs from Display")
	}
}

// TestDICOMLyingLengthNoBigAllocation: an element declaring 1.4 GB in an
// 8 KiB file (found by FuzzDecode; the dicom library allocated the declared
// length before reading) is refused by the pre-scan with little memory.
func TestDICOMLyingLengthNoBigAllocation(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("samples", "dicom", "pydicom_MR_small.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.Clone(b[:8192])
	// Replace the first data set element after the meta group with an OB
	// element of length 0x55000000.
	i := bytes.Index(b, []byte{0x08, 0x00, 0x05, 0x00}) // (0008,0005)
	if i < 0 {
		i = bytes.Index(b, []byte{0x08, 0x00, 0x08, 0x00}) // (0008,0008)
	}
	if i < 0 {
		t.Fatal("no group 0008 element found")
	}
	copy(b[i:], []byte{0x44, 0x49, 0x43, 0x02, 'O', 'B', 0, 0, 0, 0, 0, 0x55})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err = Decode(bytes.NewReader(b))
	runtime.ReadMemStats(&after)
	if !isFormatErr(err) || !strings.Contains(err.Error(), "declares 1426063360 bytes") {
		t.Fatalf("err = %v", err)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 64<<20 {
		t.Fatalf("allocated %d MB for an 8 KiB input", d>>20)
	}
}
