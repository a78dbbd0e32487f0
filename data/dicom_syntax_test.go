package data

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medqr/medqr/internal/testimg"
)

// TestDICOMSyntaxMatrix checks the decoders on files they were not tuned
// on: it writes native DICOMs from a shipped chest X-ray (8-, 12- and
// 16-bit, signed, MONOCHROME1, RGB, PALETTE COLOR, odd sizes, several
// frames), compresses each with GDCM (gdcmconv: RLE, JPEG 2000 reversible
// and irreversible, JPEG-LS lossless and near-lossless) and DCMTK
// (dcmcjpeg: JPEG lossless SV1 and selection values 1-7 with a point
// transform, 12-bit extended, baseline colour; fragments split with and
// without a Basic Offset Table), and compares every frame of LoadRaw with
// what gdcmconv --raw makes of the compressed file: identical for lossless
// syntaxes (and equal to the original samples), within 1 with at least
// 99 % identical samples for lossy ones. Every frame must also Load.
func TestDICOMSyntaxMatrix(t *testing.T) {
	needTool(t, "gdcmconv", "gdcmraw", "dcmcjpeg")
	src, err := Load(filepath.Join("samples", "dicom", "nema_CR-MONO1-10-chest_nometa.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	base := src.Image.(*image.Gray16)
	type conv struct {
		tool  string
		args  []string
		lossy bool
	}
	gdcm := func(lossy bool, args ...string) conv { return conv{"gdcmconv", args, lossy} }
	jpeg := func(lossy bool, args ...string) conv { return conv{"dcmcjpeg", args, lossy} }
	common := []conv{
		gdcm(false, "--rle"), gdcm(false, "--j2k"), gdcm(true, "--j2k", "--irreversible", "-q", "40"),
		gdcm(false, "--jpegls"), gdcm(true, "--jpegls", "--lossy", "-e", "2"),
	}
	lossless := []conv{jpeg(false, "+e1"), jpeg(false, "+e1", "+fs", "1", "-ot"), jpeg(false, "+e1", "+fs", "1"),
		jpeg(false, "+el", "+sv", "1"), jpeg(false, "+el", "+sv", "2"), jpeg(false, "+el", "+sv", "3"),
		jpeg(false, "+el", "+sv", "4"), jpeg(false, "+el", "+sv", "5"), jpeg(false, "+el", "+sv", "6"),
		jpeg(false, "+el", "+sv", "7"), jpeg(true, "+el", "+sv", "7", "+pt", "2")}
	cases := []struct {
		g     genDICOM
		convs []conv
	}{
		{genDICOM{name: "gray12x3", cols: 97, rows: 83, frames: 3, alloc: 16, stored: 12, pm: "MONOCHROME2"},
			append(append(common, lossless...), jpeg(true, "+ee"))},
		{genDICOM{name: "gray16signed", cols: 64, rows: 50, frames: 2, alloc: 16, stored: 16, signed: true, pm: "MONOCHROME2"},
			append(common, jpeg(false, "+e1"))},
		{genDICOM{name: "gray8mono1", cols: 72, rows: 61, frames: 1, alloc: 8, stored: 8, pm: "MONOCHROME1"},
			append(append(common, lossless[:4]...), jpeg(true, "+eb"), jpeg(true, "+ee"))},
		{genDICOM{name: "rgb8x2", cols: 66, rows: 40, frames: 2, alloc: 8, stored: 8, spp: 3, pm: "RGB"},
			append(common, jpeg(true, "+eb"), jpeg(false, "+e1"))},
		{genDICOM{name: "palette8", cols: 48, rows: 40, frames: 1, alloc: 8, stored: 8, pm: "PALETTE COLOR"},
			[]conv{gdcm(false, "--rle"), gdcm(false, "--j2k"), gdcm(false, "--jpegls")}},
	}
	dir := t.TempDir()
	if d := os.Getenv("MEDQR_KEEP"); d != "" {
		dir = d
	}
	for _, c := range cases {
		native := filepath.Join(dir, c.g.name+".dcm")
		orig := c.g.write(t, native, base)
		for i, cv := range c.convs {
			name := fmt.Sprintf("%s/%s%s", c.g.name, cv.tool, strings.Join(cv.args, ""))
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				out := filepath.Join(dir, fmt.Sprintf("%s-%d.dcm", c.g.name, i))
				testimg.Run(t, cv.tool, append(append([]string{}, cv.args...), native, out)...)
				ref, _ := gdcmReferenceRaw(t, out) // attributes of GDCM's copy
				rawDCM := filepath.Join(t.TempDir(), "raw.dcm")
				testimg.Run(t, "gdcmconv", "--raw", out, rawDCM)
				rawBin := filepath.Join(t.TempDir(), "raw.bin")
				testimg.Run(t, "gdcmraw", "-i", rawDCM, "-o", rawBin, "-t", "7fe0,0010")
				want, err := os.ReadFile(rawBin)
				if err != nil {
					t.Fatal(err)
				}
				if fc, ok := frameCodecs[ref.uid]; ok && fc.library == "" {
					t.Skipf("built without cgo: no %s decoder", TransferSyntaxName(ref.uid))
				}
				for f := 1; f <= c.g.frames; f++ {
					r, err := LoadRaw(out, LoadOptions{Frame: f})
					if err != nil {
						t.Fatalf("frame %d: %v", f, err)
					}
					if r.Meta.TransferSyntaxUID != ref.uid {
						t.Fatalf("transfer syntax %s, dcmdump says %s", r.Meta.TransferSyntaxUID, ref.uid)
					}
					size := len(r.Data)
					if len(want) < f*size {
						t.Fatalf("frame %d: GDCM gave %d bytes for %d frames of %d", f, len(want), c.g.frames, size)
					}
					w := want[(f-1)*size : f*size]
					if !bytes.Equal(r.Data, w) {
						if !cv.lossy {
							t.Fatalf("frame %d differs from gdcmconv --raw (lossless %s)", f, ref.uid)
						}
						same, n, maxDiff := diffWords(r.Data, w, c.g.alloc)
						if maxDiff > 1 || same*100 < n*99 {
							t.Fatalf("frame %d (lossy %s): %d of %d samples equal GDCM's, max difference %d", f, ref.uid, same, n, maxDiff)
						}
					}
					if !cv.lossy && !bytes.Equal(r.Data, orig[f-1]) {
						t.Fatalf("frame %d: lossless %s does not give back the original samples", f, ref.uid)
					}
					d, err := LoadWith(out, LoadOptions{Frame: f})
					if err != nil {
						t.Fatalf("Load frame %d: %v", f, err)
					}
					if d.Meta.Frame != f || d.Meta.Frames != c.g.frames {
						t.Fatalf("Meta says frame %d of %d", d.Meta.Frame, d.Meta.Frames)
					}
					if (c.g.spp == 3 || c.g.pm == "PALETTE COLOR") != (d.Meta.Notice != "") {
						t.Fatalf("notice %q for %s", d.Meta.Notice, c.g.pm)
					}
					if g, ok := d.Image.(*image.Gray); ok && d.Meta.Notice != "" && !bytes.Equal(d.Display().Pix, g.Pix) {
						t.Fatal("8-bit colour luminance is not displayed unchanged")
					}
				}
				if _, err := LoadRaw(out, LoadOptions{Frame: c.g.frames + 1}); err == nil {
					t.Fatalf("frame %d of %d decoded", c.g.frames+1, c.g.frames)
				}
			})
		}
	}
}

func diffWords(a, b []byte, bits int) (same, n, maxDiff int) {
	bps := bits / 8
	for i := 0; i+bps <= len(a); i += bps {
		x, y := int(a[i]), int(b[i])
		if bps == 2 {
			x, y = int(binary.LittleEndian.Uint16(a[i:])), int(binary.LittleEndian.Uint16(b[i:]))
		}
		if x == y {
			same++
		}
		maxDiff = max(maxDiff, x-y, y-x)
		n++
	}
	return same, n, maxDiff
}

// genDICOM describes a native Explicit VR Little Endian test file.
type genDICOM struct {
	name                    string
	cols, rows, frames, spp int
	alloc, stored           int
	signed                  bool
	pm                      string
	modLUT, voiLUT          *LUT   // written as one-item sequences
	ts                      string // "" native Explicit VR LE; else file's pixel data is one compressed fragment
}

// write creates the file from crops of base (a 10-bit X-ray), one crop per
// frame, and returns each frame's pixel data.
func (g genDICOM) write(t *testing.T, path string, base *image.Gray16) [][]byte {
	t.Helper()
	spp := max(g.spp, 1)
	var frames [][]byte
	var pix []byte
	for f := 0; f < g.frames; f++ {
		var fr []byte
		for y := 0; y < g.rows; y++ {
			for x := 0; x < g.cols; x++ {
				v := int(base.Gray16At(100+x+17*f, 120+y+11*f).Y) // 10-bit
				for c := 0; c < spp; c++ {
					s := v
					switch {
					case g.stored == 8 && c == 0:
						s = v >> 2
					case g.stored == 8:
						s = (v>>2 + 60*c + x) & 0xFF
					case g.stored == 12:
						s = v<<2 | (x+y)&3
					case g.signed:
						s = (v<<6 | (x*y)&63) - 32768
					}
					if g.alloc == 8 {
						fr = append(fr, byte(s))
					} else {
						fr = binary.LittleEndian.AppendUint16(fr, uint16(s))
					}
				}
			}
		}
		frames = append(frames, fr)
		pix = append(pix, fr...)
	}
	if err := os.WriteFile(path, g.file(pix), 0o644); err != nil {
		t.Fatal(err)
	}
	return frames
}

// file returns a Part-10 file holding pix as its native Pixel Data.
func (g genDICOM) file(pix []byte) []byte {
	spp := max(g.spp, 1)
	var ds dcmWriter
	uid := "1.2.826.0.1.3680043.10.1." + fmt.Sprint(len(g.name)*7919+g.cols)
	class := "1.2.840.10008.5.1.4.1.1.7" // Secondary Capture
	switch {
	case g.frames > 1 && spp == 3:
		class += ".4" // Multi-frame True Color SC
	case g.frames > 1 && g.alloc == 8:
		class += ".2" // Multi-frame Grayscale Byte SC
	case g.frames > 1:
		class += ".3" // Multi-frame Grayscale Word SC
	}
	ds.str(0x0008, 0x0016, "UI", class)
	ds.str(0x0008, 0x0018, "UI", uid)
	ds.str(0x0008, 0x0060, "CS", "OT")
	ds.str(0x0010, 0x0010, "PN", "Generated^Test")
	ds.us(0x0028, 0x0002, spp)
	ds.str(0x0028, 0x0004, "CS", g.pm)
	if spp == 3 {
		ds.us(0x0028, 0x0006, 0)
	}
	ds.str(0x0028, 0x0008, "IS", fmt.Sprint(g.frames))
	ds.us(0x0028, 0x0010, g.rows)
	ds.us(0x0028, 0x0011, g.cols)
	ds.us(0x0028, 0x0100, g.alloc)
	ds.us(0x0028, 0x0101, g.stored)
	ds.us(0x0028, 0x0102, g.stored-1)
	ds.us(0x0028, 0x0103, map[bool]int{false: 0, true: 1}[g.signed])
	if g.pm == "PALETTE COLOR" {
		for c := 0; c < 3; c++ {
			ds.us(0x0028, uint16(0x1101+c), 256, 0, 16)
		}
		for c := 0; c < 3; c++ {
			var lut []byte
			for i := 0; i < 256; i++ {
				lut = binary.LittleEndian.AppendUint16(lut, uint16((i*(c+1)*97)%256)<<8|uint16(i))
			}
			ds.raw(0x0028, uint16(0x1201+c), "OW", lut)
		}
	}
	for _, l := range []struct {
		elem uint16
		lut  *LUT
	}{{0x3000, g.modLUT}, {0x3010, g.voiLUT}} {
		if l.lut == nil {
			continue
		}
		var item dcmWriter
		item.us(0x0028, 0x3002, len(l.lut.Data), l.lut.First&0xFFFF, l.lut.Bits)
		var data []byte
		for _, v := range l.lut.Data {
			data = binary.LittleEndian.AppendUint16(data, v)
		}
		item.raw(0x0028, 0x3006, "OW", data)
		ds.seq(0x0028, l.elem, item.b)
	}
	vr := "OW"
	if g.alloc == 8 {
		vr = "OB"
	}
	if g.ts == "" {
		ds.raw(0x7FE0, 0x0010, vr, pix)
	} else {
		// Encapsulated: an empty Basic Offset Table, then pix as one
		// fragment (padded to even length).
		ds.head(0x7FE0, 0x0010, "OB", -1)
		ds.b = append(ds.b, 0xFE, 0xFF, 0x00, 0xE0, 0, 0, 0, 0)
		frag := append([]byte(nil), pix...)
		if len(frag)%2 == 1 {
			frag = append(frag, 0)
		}
		ds.b = append(ds.b, 0xFE, 0xFF, 0x00, 0xE0)
		ds.b = binary.LittleEndian.AppendUint32(ds.b, uint32(len(frag)))
		ds.b = append(append(ds.b, frag...), 0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0)
	}
	var meta dcmWriter
	meta.raw(0x0002, 0x0001, "OB", []byte{0, 1})
	meta.str(0x0002, 0x0002, "UI", class)
	meta.str(0x0002, 0x0003, "UI", uid)
	meta.str(0x0002, 0x0010, "UI", cmp.Or(g.ts, tsExplicitLE))
	meta.str(0x0002, 0x0012, "UI", "1.2.826.0.1.3680043.10.1.1")
	var file dcmWriter
	file.b = append(make([]byte, 128), "DICM"...)
	file.ul(0x0002, 0x0000, len(meta.b))
	return append(append(file.b, meta.b...), ds.b...)
}

// dcmWriter appends Explicit VR Little Endian elements.
type dcmWriter struct{ b []byte }

func (w *dcmWriter) head(g, e uint16, vr string, n int) {
	w.b = binary.LittleEndian.AppendUint16(w.b, g)
	w.b = binary.LittleEndian.AppendUint16(w.b, e)
	w.b = append(w.b, vr...)
	switch vr {
	case "OB", "OW", "SQ", "UN", "UT":
		w.b = append(w.b, 0, 0)
		w.b = binary.LittleEndian.AppendUint32(w.b, uint32(n))
	default:
		w.b = binary.LittleEndian.AppendUint16(w.b, uint16(n))
	}
}

func (w *dcmWriter) str(g, e uint16, vr, s string) {
	if len(s)%2 == 1 {
		if vr == "UI" {
			s += "\x00"
		} else {
			s += " "
		}
	}
	w.head(g, e, vr, len(s))
	w.b = append(w.b, s...)
}

func (w *dcmWriter) us(g, e uint16, vs ...int) {
	w.head(g, e, "US", 2*len(vs))
	for _, v := range vs {
		w.b = binary.LittleEndian.AppendUint16(w.b, uint16(v))
	}
}

func (w *dcmWriter) ul(g, e uint16, v int) {
	w.head(g, e, "UL", 4)
	w.b = binary.LittleEndian.AppendUint32(w.b, uint32(v))
}

// seq writes a sequence of undefined length holding one item.
func (w *dcmWriter) seq(g, e uint16, item []byte) {
	w.head(g, e, "SQ", -1)
	w.b = append(w.b, 0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF)
	w.b = append(w.b, item...)
	w.b = append(w.b, 0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0, 0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0)
}

func (w *dcmWriter) raw(g, e uint16, vr string, b []byte) {
	if len(b)%2 == 1 {
		b = append(b, 0)
	}
	w.head(g, e, vr, len(b))
	w.b = append(w.b, b...)
}

// TestDICOMLUTsAgainstDCMTK renders generated files with a Modality LUT
// Sequence and a VOI LUT Sequence and compares Display with DCMTK's
// dcm2pnm (+Wl 1 applies the VOI LUT, +Wm a min-max window after the
// Modality LUT): pixel for pixel, MONOCHROME1 included.
func TestDICOMLUTsAgainstDCMTK(t *testing.T) {
	needTool(t, "dcm2pnm")
	src, err := Load(filepath.Join("samples", "dicom", "nema_CR-MONO1-10-chest_nometa.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	base := src.Image.(*image.Gray16)
	ramp := func(first, n, bits int, f func(i int) int) *LUT {
		l := &LUT{First: first, Bits: bits, Data: make([]uint16, n)}
		for i := range l.Data {
			l.Data[i] = uint16(f(i))
		}
		return l
	}
	// A gamma-like VOI LUT over the middle of the 12-bit range and a
	// piecewise modality LUT.
	voi := ramp(1000, 2048, 12, func(i int) int { return int(4095 * math.Sqrt(float64(i)/2047)) })
	mod := ramp(0, 4096, 16, func(i int) int { return min(65535, 3*i+(i/512)*700) })
	for _, c := range []struct {
		name string
		g    genDICOM
		args []string
	}{
		{"voilut", genDICOM{name: "voi", cols: 90, rows: 70, frames: 1, alloc: 16, stored: 12, pm: "MONOCHROME2", voiLUT: voi}, []string{"+Wl", "1"}},
		{"voilut-mono1", genDICOM{name: "voi1", cols: 90, rows: 70, frames: 1, alloc: 16, stored: 12, pm: "MONOCHROME1", voiLUT: voi}, []string{"+Wl", "1"}},
		{"modalitylut", genDICOM{name: "mod", cols: 90, rows: 70, frames: 1, alloc: 16, stored: 12, pm: "MONOCHROME2", modLUT: mod}, []string{"+Wm"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), c.g.name+".dcm")
			c.g.write(t, path, base)
			d, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			pgm := filepath.Join(t.TempDir(), "d.pgm")
			testimg.Run(t, "dcm2pnm", append(append([]string{"--quiet"}, c.args...), "+op", path, pgm)...)
			b, err := os.ReadFile(pgm)
			if err != nil {
				t.Fatal(err)
			}
			want := b[len(b)-c.g.cols*c.g.rows:]
			got := d.Display().Pix
			same, n, maxDiff := diffWords(got, want, 8)
			t.Logf("%d of %d pixels equal to dcm2pnm %v, max difference %d", same, n, c.args, maxDiff)
			if maxDiff > 0 {
				t.Errorf("display differs from dcm2pnm %v: %d of %d pixels equal, max difference %d", c.args, same, n, maxDiff)
			}
		})
	}
}

// TestDamagedFrameNamesSyntax breaks the start of the compressed frame of
// each shipped encapsulated DICOM: the error is a *FormatError naming the
// file once, the transfer syntax, its UID and the frame.
func TestDamagedFrameNamesSyntax(t *testing.T) {
	for _, name := range []string{"pydicom_JPEG-lossy.dcm", "pydicom_JPEG2000.dcm", "pydicom_MR_small_jp2klossless.dcm",
		"pydicom_MR_small_jpeg_ls_lossless.dcm", "pydicom_MR_small_RLE.dcm", "siim_acr_cxr_mono2_8bit_jpegbaseline.dcm"} {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("samples", "dicom", name))
			if err != nil {
				t.Fatal(err)
			}
			h, err := readDICOMHeader(b, LoadOptions{}, false)
			if err != nil {
				t.Fatal(err)
			}
			if fc, ok := frameCodecs[h.meta.TransferSyntaxUID]; ok && fc.library == "" {
				t.Skipf("built without cgo: no %s decoder", h.meta.TransferSyntax)
			}
			frame, err := h.encapsulatedFrame(b, 1)
			if err != nil {
				t.Fatal(err)
			}
			at := bytes.Index(b, frame[:min(len(frame), 64)])
			copy(b[at:], []byte{0x63, 0, 0, 0}) // no SOI/SOC marker, 99 RLE segments
			path := filepath.Join(t.TempDir(), "damaged.dcm")
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			d, err := Load(path)
			var fe *FormatError
			if d != nil || !errors.As(err, &fe) {
				t.Fatalf("got %v, %v; want a *FormatError", d, err)
			}
			msg := err.Error()
			want := fmt.Sprintf("%s (%s) frame 1: ", h.meta.TransferSyntax, h.meta.TransferSyntaxUID)
			if !strings.Contains(msg, want) || strings.Count(msg, path) != 1 {
				t.Fatalf("error %q does not name the file once and %q", msg, want)
			}
		})
	}
}

// TestHTJ2KAgainstOpenJPH wraps HTJ2K codestreams made by OpenJPH's
// ojph_compress (reversible and irreversible) from a 12-bit crop of a
// shipped X-ray into DICOM (.4.201 and .4.203) and compares LoadRaw with
// the original samples (reversible) and with ojph_expand's decoding:
// identical, or within 1 with >= 99 % identical samples (irreversible).
// GDCM does not know the HTJ2K transfer syntaxes, so OpenJPH is the
// reference here.
func TestHTJ2KAgainstOpenJPH(t *testing.T) {
	needTool(t, "ojph_compress", "ojph_expand")
	src, err := Load(filepath.Join("samples", "dicom", "nema_CR-MONO1-10-chest_nometa.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	base := src.Image.(*image.Gray16)
	const w, h = 97, 83
	pgm := []byte(fmt.Sprintf("P5\n%d %d\n4095\n", w, h))
	var orig []byte
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := int(base.Gray16At(150+x, 140+y).Y)<<2 | (x+y)&3
			pgm = binary.BigEndian.AppendUint16(pgm, uint16(v))
			orig = binary.LittleEndian.AppendUint16(orig, uint16(v))
		}
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "in.pgm")
	if err := os.WriteFile(in, pgm, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		uid  string
		args []string
	}{
		{tsHTJ2KLossless, []string{"-reversible", "true"}},
		{tsHTJ2K, []string{"-qstep", "0.002"}},
	} {
		t.Run(c.uid, func(t *testing.T) {
			if fc := frameCodecs[c.uid]; fc.library == "" {
				t.Skipf("built without cgo: no %s decoder", TransferSyntaxName(c.uid))
			}
			j2c := filepath.Join(dir, c.uid+".j2c")
			testimg.Run(t, "ojph_compress", append([]string{"-i", in, "-o", j2c}, c.args...)...)
			dec := filepath.Join(dir, c.uid+".pgm")
			testimg.Run(t, "ojph_expand", "-i", j2c, "-o", dec)
			cs, err := os.ReadFile(j2c)
			if err != nil {
				t.Fatal(err)
			}
			p, err := os.ReadFile(dec)
			if err != nil {
				t.Fatal(err)
			}
			var want []byte
			for i := len(p) - 2*w*h; i < len(p); i += 2 {
				want = binary.LittleEndian.AppendUint16(want, binary.BigEndian.Uint16(p[i:]))
			}
			g := genDICOM{name: "ht", cols: w, rows: h, frames: 1, alloc: 16, stored: 12, pm: "MONOCHROME2", ts: c.uid}
			path := filepath.Join(dir, c.uid+".dcm")
			if err := os.WriteFile(path, g.file(cs), 0o600); err != nil {
				t.Fatal(err)
			}
			r, err := LoadRaw(path, LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			same, n, maxDiff := diffWords(r.Data, want, 16)
			t.Logf("%s: %d of %d samples equal to ojph_expand, max difference %d", c.uid, same, n, maxDiff)
			if c.uid == tsHTJ2KLossless {
				if !bytes.Equal(r.Data, orig) || !bytes.Equal(want, orig) {
					t.Fatal("reversible HTJ2K does not give back the original samples")
				}
			} else if maxDiff > 1 || same*100 < n*99 {
				t.Fatal("irreversible HTJ2K differs from ojph_expand beyond the tolerance")
			}
		})
	}
}
