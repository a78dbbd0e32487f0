package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medqr/medqr/internal/testimg"
)

// lossyUIDs are the transfer syntaxes whose decoders may round
// differently from GDCM's (PS3.5 A.4: lossy JPEG, JPEG-LS near-lossless,
// JPEG 2000 irreversible, HTJ2K).
var lossyUIDs = map[string]bool{
	"1.2.840.10008.1.2.4.50": true, "1.2.840.10008.1.2.4.51": true, "1.2.840.10008.1.2.4.81": true,
	"1.2.840.10008.1.2.4.91": true, "1.2.840.10008.1.2.4.203": true,
}

// TestConvertRawAgainstGDCM runs "medqr convert --raw" on every DICOM in
// ../shared/data/dicom_samples and compares the output with the Pixel Data
// that "gdcmconv --raw" writes (extracted with gdcmraw): byte-identical for
// lossless transfer syntaxes; for lossy ones every sample within 1 and at
// least 99 % of samples identical.
func TestConvertRawAgainstGDCM(t *testing.T) {
	files := testimg.SharedDICOM(t, filepath.Join(repoRoot(), "..", "shared", "data", "dicom_samples"))
	testimg.Tool(t, "gdcmconv", "libgdcm-tools")
	testimg.Tool(t, "gdcmraw", "libgdcm-tools")
	testimg.Tool(t, "dcmdump", "dcmtk")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			tmp := t.TempDir()
			ours := filepath.Join(tmp, "ours.raw")
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), []string{"convert", "--raw", "-o", ours, f}, &stdout, &stderr); code != 0 {
				if strings.Contains(stderr.String(), "built without cgo") {
					t.Skipf("this build has no cgo decoder for the file: %s", stderr.String())
				}
				t.Fatalf("medqr convert --raw: exit %d\n%s", code, stderr.String())
			}
			got, err := os.ReadFile(ours)
			if err != nil {
				t.Fatal(err)
			}
			rawDCM, rawBin := filepath.Join(tmp, "gdcm.dcm"), filepath.Join(tmp, "gdcm.bin")
			testimg.Run(t, "gdcmconv", "--raw", f, rawDCM)
			testimg.Run(t, "gdcmraw", "-i", rawDCM, "-o", rawBin, "-t", "7fe0,0010")
			want, err := os.ReadFile(rawBin)
			if err != nil {
				t.Fatal(err)
			}
			// GDCM writes every frame (and pads to an even length): compare
			// the first frame, which is what convert wrote.
			if len(want) < len(got) {
				t.Fatalf("medqr wrote %d bytes, GDCM's Pixel Data has %d", len(got), len(want))
			}
			want = want[:len(got)]
			uid := transferSyntaxOf(t, f)
			if bytes.Equal(got, want) {
				t.Logf("%s: identical to gdcmconv --raw (%d bytes)", uid, len(got))
				return
			}
			if !lossyUIDs[uid] {
				t.Fatalf("lossless transfer syntax %s: output differs from gdcmconv --raw", uid)
			}
			alloc := bitsAllocated(t, rawDCM)
			same, n, maxDiff := compareWords(got, want, alloc)
			if maxDiff > 1 || same*100 < n*99 {
				t.Fatalf("lossy %s: %d of %d samples identical to GDCM, max difference %d (want <= 1 and >= 99 %%)", uid, same, n, maxDiff)
			}
			t.Logf("lossy %s: %d of %d samples identical to GDCM, max difference %d", uid, same, n, maxDiff)
		})
	}
}

// transferSyntaxOf reads (0002,0010) with dcmdump; a file without File
// Meta is implicit VR little endian.
func transferSyntaxOf(t *testing.T, path string) string {
	out := testimg.Run(t, "dcmdump", "-Un", "+P", "0002,0010", path)
	s := string(out)
	if i := strings.Index(s, "["); i >= 0 {
		if j := strings.Index(s[i:], "]"); j > 0 {
			return s[i+1 : i+j]
		}
	}
	return "1.2.840.10008.1.2"
}

func bitsAllocated(t *testing.T, path string) int {
	out := string(testimg.Run(t, "dcmdump", "-Un", "+P", "0028,0100", path))
	if strings.Contains(out, "US 8") {
		return 8
	}
	return 16
}

// compareWords counts identical little-endian words and the largest
// difference.
func compareWords(a, b []byte, bits int) (same, n, maxDiff int) {
	bps := bits / 8
	for i := 0; i+bps <= len(a); i += bps {
		var x, y int
		if bps == 1 {
			x, y = int(a[i]), int(b[i])
		} else {
			x, y = int(binary.LittleEndian.Uint16(a[i:])), int(binary.LittleEndian.Uint16(b[i:]))
		}
		d := max(x-y, y-x)
		if d == 0 {
			same++
		}
		maxDiff = max(maxDiff, d)
		n++
	}
	return same, n, maxDiff
}
