package jpegx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mrSmallPixels returns the 64x64 16-bit stored values of the shipped
// pydicom_MR_small.dcm (Explicit VR Little Endian: its Pixel Data element
// is (7FE0,0010) OW of 8192 bytes).
func mrSmallPixels(t testing.TB) []uint16 {
	b, err := os.ReadFile(filepath.Join("..", "..", "data", "samples", "dicom", "pydicom_MR_small.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	hdr := []byte{0xE0, 0x7F, 0x10, 0x00, 'O', 'W', 0, 0, 0x00, 0x20, 0, 0}
	i := bytes.Index(b, hdr)
	if i < 0 || len(b) < i+12+8192 {
		t.Fatal("no 8192-byte Pixel Data in pydicom_MR_small.dcm")
	}
	raw := b[i+12 : i+12+8192]
	px := make([]uint16, 4096)
	for i := range px {
		px[i] = binary.LittleEndian.Uint16(raw[2*i:])
	}
	return px
}

// TestDecodeSamplesLossless decodes the lossless JPEGs that
// testdata/gen_seeds.sh makes with DCMTK from pydicom_MR_small.dcm and
// compares them with the original samples: exact, or exact in the bits
// the point transform keeps.
func TestDecodeSamplesLossless(t *testing.T) {
	want := mrSmallPixels(t)
	files, _ := filepath.Glob("testdata/lossless-*.jpg")
	if len(files) != 4 {
		t.Fatalf("found %d lossless vectors, want 4 (run testdata/gen_seeds.sh)", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			fi, err := Probe(b)
			if err != nil || fi.Process != "lossless" || fi.Width != 64 || fi.Height != 64 {
				t.Fatalf("Probe: %+v, %v", fi, err)
			}
			s, err := DecodeSamples(b, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			mask := uint16(0xFFFF)
			if strings.Contains(f, "pt2") {
				mask = 0xFFFC
			}
			for i, v := range s.Pix {
				if v != want[i]&mask {
					t.Fatalf("sample %d: %d, want %d", i, v, want[i]&mask)
				}
			}
			// Every truncation fails with a typed error, never a panic or
			// a partial result.
			for _, n := range []int{0, 1, 2, len(b) / 2, len(b) - 3} {
				s, err := DecodeSamples(b[:n], 1<<20)
				if err == nil || s != nil {
					t.Fatalf("truncated to %d bytes: no error", n)
				}
				var fe FormatError
				var ue UnsupportedError
				if !errors.As(err, &fe) && !errors.As(err, &ue) {
					t.Fatalf("truncated to %d bytes: untyped error %T %v", n, err, err)
				}
			}
			if _, err := DecodeSamples(b, 64*64-1); err == nil {
				t.Fatal("pixel limit not applied")
			}
		})
	}
}

// jpegSeeds returns the JPEG streams in the shipped DICOMs and the
// generated lossless vectors.
func jpegSeeds(t testing.TB) [][]byte {
	var out [][]byte
	files, _ := filepath.Glob(filepath.Join("..", "..", "data", "samples", "dicom", "*.dcm"))
	more, _ := filepath.Glob("testdata/lossless-*.jpg")
	for _, f := range append(files, more...) {
		b, err := os.ReadFile(f)
		if err != nil || len(b) > 1<<18 {
			continue
		}
		s := bytes.Index(b, []byte{0xFF, 0xD8, 0xFF})
		e := bytes.LastIndex(b, []byte{0xFF, 0xD9})
		if s >= 0 && e > s {
			out = append(out, b[s:e+2])
		}
	}
	return out
}

// FuzzDecodeSamples: lossless and 12-bit JPEG either decode to a frame of
// the size Probe reports or fail with a typed error.
func FuzzDecodeSamples(f *testing.F) {
	for _, s := range jpegSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeSamples(b, 1<<18)
		if err != nil {
			if s != nil {
				t.Fatal("result with an error")
			}
			var fe FormatError
			var ue UnsupportedError
			if !errors.As(err, &fe) && !errors.As(err, &ue) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		fi, err := Probe(b)
		if err != nil {
			t.Fatalf("decoded but Probe fails: %v", err)
		}
		if s.Width != fi.Width || s.Height != fi.Height || len(s.Pix) != s.Width*s.Height*s.Components {
			t.Fatalf("frame %dx%dx%d with %d samples; Probe %+v", s.Width, s.Height, s.Components, len(s.Pix), fi)
		}
	})
}
