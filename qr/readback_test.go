package qr

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/medqr/medqr/internal/cputime"

	"github.com/medqr/medqr/internal/pngchunk"
	"github.com/medqr/medqr/internal/testimg"
	"github.com/medqr/medqr/internal/testvec"
)

// TestSymbolPNG: Symbol.PNG writes the bytes PNG(Symbol.Image(px)) writes,
// at every version and level and several module sizes.
func TestSymbolPNG(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 8))
	for _, l := range Levels {
		for i, p := range encodeCases(rng, l) {
			if i%3 != 0 && len(p) < Capacity(l) {
				continue // every third case, and the full symbols
			}
			s, err := EncodeSymbol(p, l)
			if err != nil {
				t.Fatal(err)
			}
			px := []int{1, 4, 5, 8}[i%4]
			want, err := PNG(s.Image(px))
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.PNG(px)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("level %v, version %d, %d px: Symbol.PNG differs from PNG(Image) (%d and %d bytes, %v)", l, s.Version, px, len(got), len(want), err)
			}
		}
	}
	if _, err := (&Symbol{Modules: [][]bool{{true}}}).PNG(0); err == nil {
		t.Error("Symbol.PNG(0): no error")
	}
}

// TestReadBack: a symbol written by Symbol.PNG reads back to its payload
// at every version and level, and so does qrencode's rendering of its own
// symbol (testdata/qrencode-L.png): the checks follow the standard, not
// this encoder.
func TestReadBack(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 9))
	for _, l := range Levels {
		for i, p := range encodeCases(rng, l) {
			if i%2 != 0 && len(p) < Capacity(l) {
				continue
			}
			s, err := EncodeSymbol(p, l)
			if err != nil {
				t.Fatal(err)
			}
			px := 4 + i%2
			file, err := s.PNG(px)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ReadBack(file, l, px)
			if err != nil || !bytes.Equal(got, p) {
				t.Fatalf("level %v, version %d: ReadBack = %d bytes, %v; want the %d-byte payload", l, s.Version, len(got), err, len(p))
			}
		}
	}
	file, err := os.ReadFile(filepath.Join("testdata", "qrencode-L.png"))
	if err != nil {
		t.Fatal(err)
	}
	want := vectorPayload(t, "qrencode-L")
	if got, err := ReadBack(file, L, 4); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("qrencode's symbol: ReadBack = %x, %v", got, err)
	}
}

// TestReadBackRefuses: ReadBack refuses every rendering that is not a
// pixel-exact, error-free symbol at the level and module size asked,
// including damage that Decode corrects and reads through.
func TestReadBackRefuses(t *testing.T) {
	p := randBytes(rand.New(rand.NewPCG(16, 10)), 400) // version 14 at level M
	s, err := EncodeSymbol(p, M)
	if err != nil {
		t.Fatal(err)
	}
	const px = 4
	n := len(s.Modules) - 2*QuietZone
	// module sets module (x, y) of the symbol (quiet zone excluded) in img.
	module := func(img *image.Gray, x, y int, v uint8) {
		for dy := range px {
			for dx := range px {
				img.SetGray((QuietZone+x)*px+dx, (QuietZone+y)*px+dy, color.Gray{Y: v})
			}
		}
	}
	flip := func(x, y int) func(*image.Gray) {
		return func(img *image.Gray) {
			module(img, x, y, 255-img.GrayAt((QuietZone+x)*px, (QuietZone+y)*px).Y)
		}
	}
	// A data module: the first module of the path that no pattern uses.
	base := functionPatterns(s.Version)
	data := dataPath(base, 1)[0]
	// pixel flips pixel (dx, dy) of that module.
	pixel := func(dx, dy int) func(*image.Gray) {
		return func(img *image.Gray) {
			x, y := (QuietZone+data%n)*px+dx, (QuietZone+data/n)*px+dy
			img.SetGray(x, y, color.Gray{Y: 255 - img.GrayAt(x, y).Y})
		}
	}
	ver, err := decoder.Version_GetVersionForNumber(s.Version)
	if err != nil {
		t.Fatal(err)
	}
	al := ver.GetAlignmentPatternCenters()[1]
	tests := []struct {
		name     string
		damage   func(*image.Gray)
		level    Level
		px       int
		want     string // in the error
		readable bool   // Decode still reads it
	}{
		{"one data module flipped", flip(data%n, data/n), M, px, "Reed-Solomon", true},
		{"one pixel in a module's first row", pixel(1, 0), M, px, "not one uniform", true},
		{"one pixel in a module's third row", pixel(1, 2), M, px, "pixel row", true},
		{"a gray module", func(img *image.Gray) { module(img, data%n, data/n, 128) }, M, px, "not one uniform", true},
		{"a format bit", flip(8, 2), M, px, "format information", true},
		{"a version bit", flip(n-10, 1), M, px, "version information", true},
		{"a finder module", flip(0, 0), M, px, "finder", false},
		{"a separator module", flip(7, 3), M, px, "finder", true},
		{"a timing module", flip(10, 6), M, px, "timing", true},
		{"an alignment module", flip(al, al-2), M, px, "alignment", true},
		{"the dark module", flip(8, n-8), M, px, "dark module", true},
		{"a dark quiet-zone module", func(img *image.Gray) { module(img, -2, 10, 0) }, M, px, "quiet-zone", true},
		{"another level", nil, Q, px, "want level Q", true},
		{"another module size", nil, M, 5, "no symbol", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := s.Image(px)
			if tt.damage != nil {
				tt.damage(img)
			}
			file, err := PNG(img)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ReadBack(file, tt.level, tt.px)
			if err == nil || got != nil || !errors.Is(err, ErrReadBack) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ReadBack = %d bytes, %v; want an ErrReadBack naming %q", len(got), err, tt.want)
			}
			if b, err := Decode(img); tt.readable && (err != nil || !bytes.Equal(b, p)) {
				t.Fatalf("Decode no longer reads the damaged symbol (%v): the case tests nothing stricter", err)
			}
		})
	}
	for name, file := range map[string][]byte{
		"not a PNG": []byte("medqr"),
		"empty":     nil,
	} {
		if _, err := ReadBack(file, M, px); !errors.Is(err, ErrReadBack) {
			t.Errorf("%s: ReadBack error %v, want ErrReadBack", name, err)
		}
	}
	// Cropped by a pixel, and the whole symbol transposed (a mirror image:
	// gozxing's Decode reads it, ReadBack does not).
	img := s.Image(px)
	crop, _ := PNG(img.SubImage(image.Rect(0, 0, img.Rect.Dx()-1, img.Rect.Dy())).(*image.Gray))
	tr := image.NewGray(img.Rect)
	for y := range img.Rect.Dy() {
		for x := range img.Rect.Dx() {
			tr.SetGray(y, x, img.GrayAt(x, y))
		}
	}
	mirror, _ := PNG(tr)
	for name, file := range map[string][]byte{"cropped": crop, "transposed": mirror} {
		if got, err := ReadBack(file, M, px); !errors.Is(err, ErrReadBack) {
			t.Errorf("%s: ReadBack = %d bytes, %v; want ErrReadBack", name, len(got), err)
		}
	}
	if b, err := Decode(tr); err != nil || !bytes.Equal(b, p) {
		t.Errorf("Decode no longer reads the transposed symbol (%v): the case tests nothing stricter", err)
	}
	if _, err := ReadBack(nil, 'X', px); !errors.Is(err, ErrLevel) {
		t.Errorf("level X: %v, want ErrLevel", err)
	}
}

// FuzzReadBack: for any file ReadBack never panics, and what it returns
// Decode reads from the same file too.
func FuzzReadBack(f *testing.F) {
	testimg.AddSeeds(f, 0, filepath.Join("testdata", "*.png"))
	s, err := EncodeSymbol([]byte("fuzz read-back"), Q)
	if err != nil {
		f.Fatal(err)
	}
	file, err := s.PNG(4)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(file)
	f.Fuzz(func(t *testing.T, file []byte) {
		cfg, err := png.DecodeConfig(bytes.NewReader(file))
		if err != nil || cfg.Width*cfg.Height > maxFuzzPNGPixels {
			return
		}
		for _, l := range Levels {
			got, err := ReadBack(file, l, 4)
			if err != nil {
				if got != nil {
					t.Fatalf("level %v: bytes and an error (%v)", l, err)
				}
				continue
			}
			img, err := png.Decode(bytes.NewReader(file))
			if err != nil {
				t.Fatalf("ReadBack read a file image/png refuses: %v", err)
			}
			if b, err := Decode(img); err != nil || !bytes.Equal(b, got) {
				t.Fatalf("ReadBack = %x, Decode = %x, %v", got, b, err)
			}
		}
	})
}

// BenchmarkWriteAndCheck times what an encrypt does with one full level-L
// version-40 symbol, both ways in each iteration: render the image, read
// it back with Decode and write the PNG (as before ReadBack), and write
// the PNG from the modules and read that file back with ReadBack; CPU time
// per symbol.
func BenchmarkWriteAndCheck(b *testing.B) {
	p := randBytes(rand.New(rand.NewPCG(1, 3)), Capacity(L))
	s, err := EncodeSymbol(p, L)
	if err != nil {
		b.Fatal(err)
	}
	var decode, readBack time.Duration
	for b.Loop() {
		t0 := cputime.Now()
		img := s.Image(4)
		if got, err := Decode(img); err != nil || !bytes.Equal(got, p) {
			b.Fatal("Decode", err)
		}
		if _, err := PNG(img); err != nil {
			b.Fatal(err)
		}
		t1 := cputime.Now()
		file, err := s.PNG(4)
		if err != nil {
			b.Fatal(err)
		}
		if got, err := ReadBack(file, L, 4); err != nil || !bytes.Equal(got, p) {
			b.Fatal("ReadBack", err)
		}
		decode, readBack = decode+t1-t0, readBack+cputime.Now()-t1
	}
	b.ReportMetric(float64(decode.Microseconds())/1e3/float64(b.N), "image+decode+png-cpu-ms/op")
	b.ReportMetric(float64(readBack.Microseconds())/1e3/float64(b.N), "png+readback-cpu-ms/op")
}

// bilevelFiles are 1-bit PNG files in readBilevel's layout: symbols,
// images of awkward widths with repeated rows, and rows filtered with Up
// against a differing row above (which qr.PNG never writes).
func bilevelFiles(t testing.TB) map[string][]byte {
	out := map[string][]byte{}
	for i, l := range Levels {
		s, err := EncodeSymbol([]byte("bilevel "+l.String()), l)
		if err != nil {
			t.Fatal(err)
		}
		if out["symbol-"+l.String()], err = s.PNG(4 + i); err != nil {
			t.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(16, 13))
	for _, sz := range [][2]int{{1, 1}, {7, 3}, {9, 9}, {13, 40}} {
		g := image.NewGray(image.Rect(0, 0, sz[0], sz[1]))
		for i := range g.Pix {
			g.Pix[i] = 0xff * uint8(rng.IntN(2))
		}
		if sz[1] > 2 {
			copy(g.Pix[g.Stride:2*g.Stride], g.Pix[:g.Stride])
		}
		file, ok := bilevelPNG(g)
		if !ok {
			t.Fatal("bilevelPNG refused a black-and-white image")
		}
		out[fmt.Sprintf("random-%dx%d", sz[0], sz[1])] = file
		// Every row Up-filtered against the row above.
		stride := (sz[0] + 7) / 8
		raw := make([]byte, sz[1]*(1+stride))
		prev := make([]byte, stride)
		for y := range sz[1] {
			cur := make([]byte, stride)
			for x := range sz[0] {
				if g.Pix[y*g.Stride+x] != 0 {
					cur[x/8] |= 0x80 >> uint(x%8)
				}
			}
			raw[y*(1+stride)] = 2
			for i := range stride {
				raw[y*(1+stride)+1+i] = cur[i] - prev[i]
			}
			prev = cur
		}
		out[fmt.Sprintf("up-%dx%d", sz[0], sz[1])] = bilevelFile(sz[0], sz[1], raw)
	}
	return out
}

// TestReadBilevel: readBilevel gives image/png's pixels for files in its
// layout, and leaves every other file to image/png: 8-bit gray, qrencode's
// file, a CRC or checksum off, a chunk more, bytes after IEND.
func TestReadBilevel(t *testing.T) {
	for name, file := range bilevelFiles(t) {
		got, ok := readBilevel(file)
		if !ok {
			t.Fatalf("%s: not read", name)
		}
		if err := sameAsPNG(got, file); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	sym := bilevelFiles(t)["symbol-L"]
	gray, _ := PNG(func() *image.Gray { g := image.NewGray(image.Rect(0, 0, 3, 1)); g.Pix[1] = 7; return g }())
	qrencode, err := os.ReadFile(filepath.Join("testdata", "qrencode-L.png"))
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte { b := bytes.Clone(sym); b[i] ^= 1; return b }
	n := len(sym)
	for name, file := range map[string][]byte{
		"8-bit gray":                       gray,
		"qrencode":                         qrencode,
		"IHDR CRC":                         flip(30),
		"IDAT data":                        flip(45),
		"adler32":                          flip(n - 12 - 5),
		"bytes after IEND":                 append(bytes.Clone(sym), 0),
		"no IEND":                          sym[:n-12],
		"signature":                        flip(1),
		"a tEXt chunk first":               append(append(bytes.Clone(sym[:33]), pngTextChunk()...), sym[33:]...),
		"IDAT bytes after the zlib stream": idatTrailer(t, sym, 5000),
	} {
		if _, ok := readBilevel(file); ok && name != "qrencode" {
			t.Errorf("%s: read", name)
		}
	}
}

// idatTrailer returns file with extra zero bytes appended to the data of
// its IDAT chunk, after the zlib stream (lengths and CRCs kept right):
// image/png refuses it ("too much pixel data").
func idatTrailer(t *testing.T, file []byte, extra int) []byte {
	t.Helper()
	out := bytes.Clone(file[:8])
	for rest := file[8:]; len(rest) >= 12; {
		n := int(binary.BigEndian.Uint32(rest))
		typ, data := rest[4:8], rest[8:8+n]
		if string(typ) == "IDAT" {
			data = append(bytes.Clone(data), make([]byte, extra)...)
		}
		out = pngchunk.Append(out, string(typ), data)
		rest = rest[12+n:]
	}
	if _, err := png.Decode(bytes.NewReader(out)); err == nil {
		t.Fatal("image/png reads a file with IDAT bytes after the zlib stream")
	}
	return out
}

func pngTextChunk() []byte { return pngchunk.Append(nil, "tEXt", pngchunk.Text("Comment", "medqr")) }

// sameAsPNG reports whether g has the pixels image/png decodes from file.
func sameAsPNG(g *image.Gray, file []byte) error {
	img, err := png.Decode(bytes.NewReader(file))
	if err != nil {
		return fmt.Errorf("image/png refuses what readBilevel read: %v", err)
	}
	if img.Bounds() != g.Rect {
		return fmt.Errorf("bounds %v, image/png %v", g.Rect, img.Bounds())
	}
	for y := range g.Rect.Dy() {
		for x := range g.Rect.Dx() {
			if r, _, _, _ := img.At(x, y).RGBA(); uint8(r>>8) != g.GrayAt(x, y).Y {
				return fmt.Errorf("pixel (%d, %d) is %d, image/png %d", x, y, g.GrayAt(x, y).Y, r>>8)
			}
		}
	}
	return nil
}

// FuzzReadBilevel: whatever file readBilevel reads, image/png reads too,
// to the same pixels.
func FuzzReadBilevel(f *testing.F) {
	for _, file := range bilevelFiles(f) {
		f.Add(file)
	}
	testimg.AddSeeds(f, 0, filepath.Join("testdata", "*.png"))
	f.Fuzz(func(t *testing.T, file []byte) {
		if cfg, err := png.DecodeConfig(bytes.NewReader(file)); err == nil && cfg.Width*cfg.Height > maxFuzzPNGPixels {
			return
		}
		if g, ok := readBilevel(file); ok {
			if err := sameAsPNG(g, file); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestReadExact: ReadExact reads symbols rendered by Encode at any level
// and module size, and qrencode's rendering (testdata), to their payloads;
// it refuses images that are not one pixel-exact, error-free symbol, each
// of which Decode (or nothing) must then read.
func TestReadExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 14))
	for i, l := range Levels {
		p := randBytes(rng, 50+400*i)
		for _, px := range []int{4, 5, 8} {
			img, err := Encode(p, l, px)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := ReadExact(img); err != nil || !bytes.Equal(got, p) {
				t.Fatalf("level %v, %d px: ReadExact = %d bytes, %v", l, px, len(got), err)
			}
		}
	}
	// Testdata symbols written by Encode and by qrencode.
	for _, name := range []string{"qrencode-L", "M-text", "H-binary200"} {
		want := vectorPayload(t, name)
		if got, err := ReadExact(testimg.ReadPNG(t, filepath.Join("testdata", name+".png"))); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: ReadExact = %x, %v", name, got, err)
		}
	}

	p := randBytes(rng, 300)
	img, err := Encode(p, Q, 4)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := EncodeSymbol(p, Q)
	n := len(s.Modules) - 2*QuietZone
	at := dataPath(functionPatterns(s.Version), 1)[0]
	damaged := image.NewGray(img.Rect)
	copy(damaged.Pix, img.Pix)
	for dy := range 4 {
		for dx := range 4 {
			x, y := (QuietZone+at%n)*4+dx, (QuietZone+at/n)*4+dy
			damaged.Pix[y*damaged.Stride+x] ^= 0xff
		}
	}
	margin := image.NewGray(image.Rect(0, 0, img.Rect.Dx()+8, img.Rect.Dy()+8))
	for i := range margin.Pix {
		margin.Pix[i] = 0xff
	}
	for y := range img.Rect.Dy() {
		copy(margin.Pix[(y+4)*margin.Stride+4:], img.Pix[y*img.Stride:(y+1)*img.Stride])
	}
	white := image.NewGray(image.Rect(0, 0, 29*6, 29*6))
	for i := range white.Pix {
		white.Pix[i] = 0xff
	}
	cases := map[string]image.Image{
		"one data module flipped": damaged,
		"a wider margin":          margin,
		"white":                   white,
		"nil":                     nil,
	}
	for _, name := range []string{"noise-saltpepper", "sheet-3", "not-a-qr"} {
		cases[name] = testimg.ReadPNG(t, filepath.Join("testdata", name+".png"))
	}
	for name, img := range cases {
		if got, err := ReadExact(img); !errors.Is(err, ErrReadBack) || got != nil {
			t.Errorf("%s: ReadExact = %d bytes, %v; want ErrReadBack", name, len(got), err)
		}
	}
	if got, err := Decode(damaged); err != nil || !bytes.Equal(got, p) {
		t.Errorf("Decode no longer reads the damaged symbol (%v)", err)
	}
}

// FuzzReadExact: for any PNG, ReadExact never panics, and what it reads
// Decode reads to the same bytes.
func FuzzReadExact(f *testing.F) {
	testimg.AddSeeds(f, 0, filepath.Join("testdata", "*.png"))
	for _, file := range bilevelFiles(f) {
		f.Add(file)
	}
	f.Fuzz(func(t *testing.T, file []byte) {
		img, ok := fuzzPNG(file)
		if !ok {
			return
		}
		got, err := ReadExact(img)
		if err != nil {
			if got != nil {
				t.Fatalf("bytes and an error (%v)", err)
			}
			return
		}
		if b, err := Decode(img); err != nil || !bytes.Equal(b, got) {
			t.Fatalf("ReadExact = %x, Decode = %x, %v", got, b, err)
		}
	})
}

// vectorPayload returns the payload (hex field "payload") of the test
// vector testdata/name.txt.
func vectorPayload(t *testing.T, name string) []byte {
	t.Helper()
	vec, err := os.ReadFile(filepath.Join("testdata", name+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	fields, err := testvec.ParseMap(vec)
	if err != nil {
		t.Fatal(err)
	}
	p, err := hex.DecodeString(fields["payload"])
	if err != nil {
		t.Fatal(err)
	}
	return p
}
