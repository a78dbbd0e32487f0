package data

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/medqr/medqr/internal/testimg"
)

// These tests check every DICOM decoded by this package against independent
// decoders: GDCM (gdcmconv --raw, then gdcmraw) for the exact stored pixel
// values, and DCMTK (dcm2pnm) for the windowed 8-bit rendering. Files this
// package refuses must be refused with an *UnsupportedError naming the
// file's transfer syntax UID (read with dcmdump).

var updateGolden = flag.Bool("update", false, "regenerate testdata golden files from GDCM/DCMTK")

// sharedDICOMDir is ../shared/data/dicom_samples next to the repository.
func sharedDICOMDir() string {
	return filepath.Join("..", "..", "shared", "data", "dicom_samples")
}

// needTool skips when a tool is missing, unless CI is set.
func needTool(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		testimg.Tool(t, n, debianPackage[n])
	}
}

// debianPackage names the Debian package of each reference tool.
var debianPackage = map[string]string{
	"gdcmconv": "libgdcm-tools", "gdcmraw": "libgdcm-tools",
	"dcmdump": "dcmtk", "dcm2pnm": "dcmtk", "dcmcjpeg": "dcmtk",
	"ojph_compress": "openjph-tools", "ojph_expand": "openjph-tools",
}

// refPixels is what GDCM/DCMTK report for a file.
type refPixels struct {
	uid                                   string
	rows, cols, alloc, stored, high, sign int
	photometric                           string
	values                                []int32 // stored values, frame 1
}

var dumpLine = regexp.MustCompile(`^\((\w{4}),(\w{4})\) \w\w (.*?)\s+#`)

// dcmdumpAttrs returns selected attributes as text, keyed "gggg,eeee".
func dcmdumpAttrs(t *testing.T, path string) map[string]string {
	out := testimg.Run(t, "dcmdump", "-Un", "+P", "0002,0010", "+P", "0028,0010", "+P", "0028,0011",
		"+P", "0028,0100", "+P", "0028,0101", "+P", "0028,0102", "+P", "0028,0103", "+P", "0028,0004", path)
	attrs := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := dumpLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		key := strings.ToLower(m[1] + "," + m[2])
		if _, seen := attrs[key]; seen {
			continue // keep the top-level value
		}
		v := strings.Trim(m[3], "[]=")
		attrs[key] = v
	}
	return attrs
}

func atoi(t *testing.T, s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		t.Fatalf("bad integer %q from dcmdump", s)
	}
	return n
}

// gdcmReferenceRaw also returns the path of GDCM's native (decompressed)
// copy of the file, which DCMTK's dcm2pnm can render whatever the original
// transfer syntax.
func gdcmReferenceRaw(t *testing.T, path string) (refPixels, string) {
	t.Helper()
	dir := t.TempDir()
	rawDCM := filepath.Join(dir, "raw.dcm")
	testimg.Run(t, "gdcmconv", "--raw", path, rawDCM)
	rawBin := filepath.Join(dir, "pixels.bin")
	testimg.Run(t, "gdcmraw", "-i", rawDCM, "-o", rawBin, "-t", "7fe0,0010")
	a := dcmdumpAttrs(t, rawDCM)
	r := refPixels{
		uid:         dcmdumpAttrs(t, path)["0002,0010"],
		rows:        atoi(t, a["0028,0010"]),
		cols:        atoi(t, a["0028,0011"]),
		alloc:       atoi(t, a["0028,0100"]),
		stored:      atoi(t, a["0028,0101"]),
		high:        atoi(t, a["0028,0102"]),
		sign:        atoi(t, a["0028,0103"]),
		photometric: a["0028,0004"],
	}
	if r.uid == "" {
		r.uid = tsImplicitLE // ACR-NEMA: no file meta
	}
	raw, err := os.ReadFile(rawBin)
	if err != nil {
		t.Fatal(err)
	}
	n := r.rows * r.cols
	bpp := r.alloc / 8
	if len(raw) < n*bpp {
		t.Fatalf("gdcmraw gave %d bytes, want at least %d", len(raw), n*bpp)
	}
	r.values = make([]int32, n)
	for i := range r.values {
		var w uint32
		if bpp == 1 {
			w = uint32(raw[i])
		} else {
			w = uint32(binary.LittleEndian.Uint16(raw[2*i:]))
		}
		v := (w >> uint(r.high-r.stored+1)) & (1<<uint(r.stored) - 1)
		if r.sign == 1 && v&(1<<uint(r.stored-1)) != 0 {
			r.values[i] = int32(v) - 1<<uint(r.stored)
		} else {
			r.values[i] = int32(v)
		}
	}
	return r, rawDCM
}

// dcm2pnmDisplay renders path with DCMTK using the same window choice as
// Display: the first window in the file, or min-max.
func dcm2pnmDisplay(t *testing.T, path string, fileWindow bool) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "d.pgm")
	win := []string{"+Wm"}
	if fileWindow {
		win = []string{"+Wi", "1"}
	}
	testimg.Run(t, "dcm2pnm", append(append([]string{"--quiet"}, win...), "+op", path, out)...)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	// Binary PGM: "P5\n<w> <h>\n255\n" then pixels.
	var w, h, maxv int
	var magic string
	rd := bytes.NewReader(b)
	if _, err := fmt.Fscan(rd, &magic, &w, &h, &maxv); err != nil || magic != "P5" || maxv != 255 {
		t.Fatalf("unexpected dcm2pnm output header (%v)", err)
	}
	pix := b[len(b)-w*h:]
	return pix
}

// checkAgainstReference is the per-file check shared by the shared-data
// test and the shipped-sample test. It returns the outcome line used in the
// golden file.
func checkAgainstReference(t *testing.T, path string) string {
	t.Helper()
	ref, rawDCM := gdcmReferenceRaw(t, path)
	d, err := Load(path)
	if err != nil {
		var ue *UnsupportedError
		if !errors.As(err, &ue) {
			t.Fatalf("Load: %v, want success or *UnsupportedError", err)
		}
		if ue.UID != ref.uid {
			t.Fatalf("refused with transfer syntax %q, file has %q", ue.UID, ref.uid)
		}
		if ue.TransferSyntax == "" || !strings.Contains(err.Error(), ref.uid) {
			t.Fatalf("error %q does not name the transfer syntax", err)
		}
		return fmt.Sprintf("refused %s", ref.uid)
	}
	m := d.Meta
	if m.TransferSyntaxUID != ref.uid {
		t.Errorf("transfer syntax %s, dcmdump says %s", m.TransferSyntaxUID, ref.uid)
	}
	if m.Width != ref.cols || m.Height != ref.rows || m.BitDepth != ref.stored || m.Signed != (ref.sign == 1) || m.Photometric != ref.photometric {
		t.Fatalf("meta %dx%d bits %d signed %v %s; GDCM says %dx%d bits %d sign %d %s",
			m.Width, m.Height, m.BitDepth, m.Signed, m.Photometric, ref.cols, ref.rows, ref.stored, ref.sign, ref.photometric)
	}
	// Exact stored values.
	mism := 0
	for y := 0; y < m.Height; y++ {
		for x := 0; x < m.Width; x++ {
			q := sampleAt(d, x, y)
			if got, want := int32(d.StoredValue(q)), ref.values[y*m.Width+x]; got != want {
				if mism < 5 {
					t.Errorf("pixel (%d,%d): stored value %d, GDCM %d", x, y, got, want)
				}
				mism++
			}
		}
	}
	if mism > 0 {
		t.Fatalf("%d of %d stored values differ from GDCM", mism, len(ref.values))
	}
	// Windowed rendering against DCMTK's dcm2pnm (same window choice):
	// identical, since windowLinear follows DCMTK's arithmetic.
	want := dcm2pnmDisplay(t, rawDCM, m.WindowSource == "file")
	got := d.Display().Pix
	maxDiff, ndiff := 0, 0
	for i := range want {
		df := int(got[i]) - int(want[i])
		if df < 0 {
			df = -df
		}
		if df > 0 {
			ndiff++
		}
		maxDiff = max(maxDiff, df)
	}
	if maxDiff > 0 {
		t.Fatalf("display differs from dcm2pnm by up to %d grey levels (%d pixels differ)", maxDiff, ndiff)
	}
	t.Logf("%s: stored values exact (%d px); display vs dcm2pnm max diff %d on %d px (window %s %v)",
		filepath.Base(path), len(ref.values), maxDiff, ndiff, m.WindowSource, m.Window)
	return fmt.Sprintf("decoded %s %dx%d stored %s display %s", ref.uid, m.Width, m.Height, storedHash(ref.values), bytesHash(want))
}

func bytesHash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])[:32]
}

// ourOutcome is the golden line computed from this package alone.
func ourOutcome(t *testing.T, path string) string {
	d, err := Load(path)
	if err != nil {
		var ue *UnsupportedError
		if !errors.As(err, &ue) {
			t.Fatalf("Load: %v, want success or *UnsupportedError", err)
		}
		return "refused " + ue.UID
	}
	m := d.Meta
	vals := make([]int32, 0, m.Width*m.Height)
	for y := 0; y < m.Height; y++ {
		for x := 0; x < m.Width; x++ {
			vals = append(vals, int32(d.StoredValue(sampleAt(d, x, y))))
		}
	}
	return fmt.Sprintf("decoded %s %dx%d stored %s display %s", m.TransferSyntaxUID, m.Width, m.Height, storedHash(vals), bytesHash(d.Display().Pix))
}

const goldenPath = "testdata/dicom_golden.txt"

// TestDICOMSamplesGolden checks the DICOMs shipped in data/samples/dicom
// against golden outcomes produced by GDCM and DCMTK (go test -run
// TestDICOMSamplesGolden -update regenerates them with those tools), so the
// check runs even without ../shared or the tools; when the tools are
// installed it also compares live.
func TestDICOMSamplesGolden(t *testing.T) {
	files := testimg.Files(filepath.Join("samples", "dicom"), ".dcm")
	if len(files) == 0 {
		t.Fatal("no DICOM files in samples/dicom")
	}
	if *updateGolden {
		needTool(t, "gdcmconv", "gdcmraw", "dcmdump", "dcm2pnm")
		var b strings.Builder
		b.WriteString("# Outcome per shipped DICOM, from GDCM (stored values) and DCMTK dcm2pnm (display).\n")
		b.WriteString("# Regenerate: go test ./data -run TestDICOMSamplesGolden -update\n")
		for _, f := range files {
			fmt.Fprintf(&b, "%s %s\n", filepath.Base(f), checkAgainstReference(t, f))
		}
		if err := os.WriteFile(goldenPath, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	raw, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	golden := map[string]string{}
	for _, line := range strings.Split(string(raw), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, rest, _ := strings.Cut(line, " ")
		golden[name] = rest
	}
	if len(golden) != len(files) {
		t.Errorf("golden file lists %d files, samples/dicom has %d", len(golden), len(files))
	}
	// Live comparison with the tools, unless TestDICOMSharedAgainstGDCM
	// already covers these files (they are a subset of ../shared).
	_, errTools := exec.LookPath("gdcmconv")
	_, errShared := os.Stat(sharedDICOMDir())
	live := errTools == nil && errShared != nil && !testing.Short()
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			want, ok := golden[filepath.Base(f)]
			if !ok {
				t.Fatalf("no golden outcome (run with -update)")
			}
			if uid := strings.TrimPrefix(want, "decoded "); uid != want && frameCodecs[strings.Fields(uid)[0]].library == "" {
				if _, ok := frameCodecs[strings.Fields(uid)[0]]; ok {
					t.Skipf("built without cgo: no %s decoder", TransferSyntaxName(strings.Fields(uid)[0]))
				}
			}
			if got := ourOutcome(t, f); got != want {
				t.Errorf("outcome\n got  %s\n want %s", got, want)
			}
			if live {
				if got := checkAgainstReference(t, f); got != want {
					t.Errorf("live reference outcome differs from golden\n live %s\n want %s", got, want)
				}
			}
		})
	}
}

func sampleAt(d *Decoded, x, y int) int {
	switch g := d.Image.(type) {
	case *image.Gray:
		return int(g.GrayAt(x, y).Y)
	case *image.Gray16:
		return int(g.Gray16At(x, y).Y)
	}
	panic(fmt.Sprintf("unexpected image type %T", d.Image))
}

func storedHash(v []int32) string {
	h := sha256.New()
	var b [4]byte
	for _, x := range v {
		binary.LittleEndian.PutUint32(b[:], uint32(x))
		h.Write(b[:])
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// TestDICOMSharedAgainstGDCM checks all 20 files of ../shared/data.
func TestDICOMSharedAgainstGDCM(t *testing.T) {
	files := testimg.SharedDICOM(t, sharedDICOMDir())
	needTool(t, "gdcmconv", "gdcmraw", "dcmdump", "dcm2pnm")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			if testing.Short() && fileSize(f) > 1<<20 {
				t.Skip("large file skipped in -short mode")
			}
			checkAgainstReference(t, f)
		})
	}
}

func fileSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}
