package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/medqr/medqr/qr"
	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"medqr": func() { os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// repoRoot is the module root, two levels above this package.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// TestScripts runs the end-to-end CLI tests in testdata/script/*.txt. Each
// script sees $SAMPLES (the shipped sample data) and $SHARED (../shared/data,
// possibly absent), and has two commands besides medqr:
//
//	pngrow OUT IN...            lay PNG images side by side on white, 16 px apart
//	                            (a printed page or photo holding several codes)
//	qrflip IN OUT BYTE BIT      read the QR code in IN, flip one bit of its
//	                            payload and write it as a fresh level-L QR PNG
//	                            (a well-formed symbol carrying altered data)
//	dicomts IN OUT UID          rewrite the transfer syntax UID in the file
//	                            meta of the Part 10 file IN
//	dicombits IN OUT N          set Bits Allocated of the explicit VR little
//	                            endian DICOM IN to N
//	dicomrgb OUT W H            write a W x H 8-bit RGB DICOM (explicit VR
//	                            little endian) of a colour gradient
func TestScripts(t *testing.T) {
	root, err := filepath.Abs(repoRoot())
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(e *testscript.Env) error {
			e.Setenv("SAMPLES", filepath.Join(root, "data", "samples"))
			e.Setenv("SHARED", filepath.Join(root, "..", "shared", "data"))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"pngrow":    cmdPNGRow,
			"qrflip":    cmdQRFlip,
			"dicomts":   cmdDICOMTS,
			"dicombits": cmdDICOMBits,
			"dicomrgb":  cmdDICOMRGB,
		},
	})
}

func readPNG(ts *testscript.TestScript, path string) image.Image {
	f, err := os.Open(ts.MkAbs(path))
	ts.Check(err)
	defer f.Close()
	img, err := png.Decode(f)
	ts.Check(err)
	return img
}

func writePNG(ts *testscript.TestScript, path string, img image.Image) {
	f, err := os.Create(ts.MkAbs(path))
	ts.Check(err)
	ts.Check(png.Encode(f, img))
	ts.Check(f.Close())
}

func cmdPNGRow(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: pngrow OUT IN...")
	}
	const gap = 16
	var imgs []image.Image
	w, h := -gap, 0
	for _, p := range args[1:] {
		img := readPNG(ts, p)
		imgs = append(imgs, img)
		w += img.Bounds().Dx() + gap
		h = max(h, img.Bounds().Dy())
	}
	out := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(out, out.Rect, image.White, image.Point{}, draw.Src)
	x := 0
	for _, img := range imgs {
		b := img.Bounds()
		draw.Draw(out, image.Rect(x, 0, x+b.Dx(), b.Dy()), img, b.Min, draw.Src)
		x += b.Dx() + gap
	}
	writePNG(ts, args[0], out)
}

func cmdQRFlip(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 4 {
		ts.Fatalf("usage: qrflip IN OUT BYTE BIT")
	}
	p, err := qr.Decode(readPNG(ts, args[0]))
	ts.Check(err)
	i, err := strconv.Atoi(args[2])
	ts.Check(err)
	bit, err := strconv.Atoi(args[3])
	ts.Check(err)
	if i < 0 || i >= len(p) || bit < 0 || bit > 7 {
		ts.Fatalf("byte %d bit %d outside the %d-byte payload", i, bit, len(p))
	}
	p[i] ^= 1 << bit
	img, err := qr.Encode(p, qr.L, 4)
	if err != nil {
		ts.Fatalf("%v", fmt.Errorf("failed to encode the flipped payload: %w", err))
	}
	writePNG(ts, args[1], img)
}

func cmdDICOMTS(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: dicomts IN OUT UID")
	}
	b, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	// Group length (0002,0000) UL is the file meta's first element;
	// (0002,0010) UI is the transfer syntax.
	if len(b) < 144 || string(b[128:132]) != "DICM" || !bytes.Equal(b[132:140], []byte{2, 0, 0, 0, 'U', 'L', 4, 0}) {
		ts.Fatalf("%s: not a Part 10 file with a file meta group length", args[0])
	}
	at := bytes.Index(b, []byte{2, 0, 0x10, 0, 'U', 'I'})
	if at < 0 {
		ts.Fatalf("%s: no transfer syntax element", args[0])
	}
	old := int(binary.LittleEndian.Uint16(b[at+6:]))
	uid := []byte(args[2])
	if len(uid)%2 == 1 {
		uid = append(uid, 0)
	}
	var out []byte
	out = append(out, b[:at+6]...)
	out = binary.LittleEndian.AppendUint16(out, uint16(len(uid)))
	out = append(out, uid...)
	out = append(out, b[at+8+old:]...)
	gl := binary.LittleEndian.Uint32(out[140:])
	binary.LittleEndian.PutUint32(out[140:], uint32(int(gl)+len(uid)-old))
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), out, 0o644))
}

func cmdDICOMBits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: dicombits IN OUT N")
	}
	b, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	n, err := strconv.Atoi(args[2])
	ts.Check(err)
	at := bytes.Index(b, []byte{0x28, 0, 0, 1, 'U', 'S', 2, 0})
	if at < 0 {
		ts.Fatalf("%s: no explicit VR little endian Bits Allocated element", args[0])
	}
	binary.LittleEndian.PutUint16(b[at+8:], uint16(n))
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), b, 0o644))
}

func cmdDICOMRGB(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: dicomrgb OUT W H")
	}
	w, err := strconv.Atoi(args[1])
	ts.Check(err)
	h, err := strconv.Atoi(args[2])
	ts.Check(err)
	if w < 1 || h < 1 || w > 1024 || h > 1024 {
		ts.Fatalf("size %dx%d outside 1..1024", w, h)
	}
	// An element in explicit VR little endian (PS3.5 7.1.2): OB and OW
	// have a reserved field and a 4-byte length, the others a 2-byte one.
	el := func(b []byte, group, elem uint16, vr string, v []byte) []byte {
		if len(v)%2 == 1 {
			v = append(v, map[bool]byte{true: 0, false: ' '}[vr == "UI" || vr == "OB"])
		}
		b = binary.LittleEndian.AppendUint16(b, group)
		b = binary.LittleEndian.AppendUint16(b, elem)
		b = append(b, vr...)
		if vr == "OB" {
			b = append(b, 0, 0)
			b = binary.LittleEndian.AppendUint32(b, uint32(len(v)))
		} else {
			b = binary.LittleEndian.AppendUint16(b, uint16(len(v)))
		}
		return append(b, v...)
	}
	us := func(n int) []byte { return binary.LittleEndian.AppendUint16(nil, uint16(n)) }
	class, uid := "1.2.840.10008.5.1.4.1.1.7", "1.2.826.0.1.3680043.10.1.77"
	var meta []byte
	meta = el(meta, 2, 1, "OB", []byte{0, 1})
	meta = el(meta, 2, 2, "UI", []byte(class))
	meta = el(meta, 2, 3, "UI", []byte(uid))
	meta = el(meta, 2, 0x10, "UI", []byte("1.2.840.10008.1.2.1"))
	out := append(make([]byte, 128), "DICM"...)
	out = el(out, 2, 0, "UL", binary.LittleEndian.AppendUint32(nil, uint32(len(meta))))
	out = append(out, meta...)
	out = el(out, 8, 0x16, "UI", []byte(class))
	out = el(out, 8, 0x18, "UI", []byte(uid))
	out = el(out, 8, 0x60, "CS", []byte("OT"))
	out = el(out, 0x28, 2, "US", us(3))
	out = el(out, 0x28, 4, "CS", []byte("RGB"))
	out = el(out, 0x28, 6, "US", us(0))
	out = el(out, 0x28, 0x10, "US", us(h))
	out = el(out, 0x28, 0x11, "US", us(w))
	for _, e := range []struct {
		elem uint16
		v    int
	}{{0x100, 8}, {0x101, 8}, {0x102, 7}, {0x103, 0}} {
		out = el(out, 0x28, e.elem, "US", us(e.v))
	}
	pix := make([]byte, 0, 3*w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			pix = append(pix, byte(255*x/w), byte(255*y/h), byte(128))
		}
	}
	out = el(out, 0x7FE0, 0x10, "OB", pix)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), out, 0o644))
}
