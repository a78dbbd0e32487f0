package data

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/medqr/medqr/internal/pngchunk"
)

// pngFile writes a non-interlaced PNG of the given colour type and depth
// from raw rows (samples big-endian), filtering row y with filter y%5 so
// that every filter is exercised; extra chunks go before the IDAT.
func pngFile(t testing.TB, w, h int, depth, ct byte, raw [][]byte, extra ...[]byte) []byte {
	t.Helper()
	channels := map[byte]int{0: 1, 2: 3, 4: 2, 6: 4}[ct]
	bpp := max(1, channels*int(depth)/8)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	prev := make([]byte, len(raw[0]))
	for y, row := range raw {
		f := byte(y % 5)
		out := make([]byte, len(row))
		for i := range row {
			var a, c int
			if i >= bpp {
				a, c = int(row[i-bpp]), int(prev[i-bpp])
			}
			b := int(prev[i])
			switch f {
			case 0:
				out[i] = row[i]
			case 1:
				out[i] = row[i] - byte(a)
			case 2:
				out[i] = row[i] - byte(b)
			case 3:
				out[i] = row[i] - byte((a+b)/2)
			case 4:
				out[i] = row[i] - paeth(a, b, c)
			}
		}
		zw.Write([]byte{f})
		zw.Write(out)
		prev = row
	}
	zw.Close()
	b := pngchunk.Append([]byte(pngchunk.Signature), "IHDR", pngchunk.IHDR(uint32(w), uint32(h), depth, ct))
	for _, e := range extra {
		b = pngchunk.Append(b, string(e[:4]), e[4:])
	}
	zb := z.Bytes()
	b = pngchunk.Append(b, "IDAT", zb[:len(zb)/2]) // two IDAT chunks
	b = pngchunk.Append(b, "IDAT", zb[len(zb)/2:])
	return pngchunk.Append(b, "IEND", nil)
}

func randomRows(seed uint64, w, h, bytesPerPixel int, opaque bool) [][]byte {
	r := rand.New(rand.NewPCG(seed, 7))
	rows := make([][]byte, h)
	for y := range rows {
		rows[y] = make([]byte, w*bytesPerPixel)
		for i := range rows[y] {
			rows[y][i] = byte(r.Uint32())
		}
		if opaque && bytesPerPixel == 8 {
			for x := range w {
				rows[y][8*x+6], rows[y][8*x+7] = 0xff, 0xff
			}
		}
	}
	return rows
}

// referenceGray16 is what decodeStd gave before decodePNGGray16: png.Decode
// and toGray.
func referenceGray16(t testing.TB, b []byte) *image.Gray16 {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("png.Decode: %v", err)
	}
	return toGray(img, 16).(*image.Gray16)
}

func TestDecodePNGGray16(t *testing.T) {
	for _, ct := range []byte{0, 2, 4, 6} {
		for _, sz := range [][2]int{{1, 1}, {3, 5}, {67, 33}} {
			t.Run(fmt.Sprintf("type%d_%dx%d", ct, sz[0], sz[1]), func(t *testing.T) {
				ch := map[byte]int{0: 1, 2: 3, 4: 2, 6: 4}[ct]
				b := pngFile(t, sz[0], sz[1], 16, ct, randomRows(uint64(ct)*100+uint64(sz[0]), sz[0], sz[1], 2*ch, false))
				got, ok := decodePNGGray16(b)
				if !ok {
					t.Fatal("not decoded")
				}
				want := referenceGray16(t, b)
				if got.Rect != want.Rect || !bytes.Equal(got.Pix, want.Pix) {
					t.Fatal("differs from png.Decode + toGray")
				}
				// And through Load's path.
				d, err := decodeBytes(b, LoadOptions{})
				if err != nil || !bytes.Equal(d.Image.(*image.Gray16).Pix, want.Pix) {
					t.Fatalf("decodeBytes: %v", err)
				}
			})
		}
	}
	// What png.Decode keeps: 8-bit, palette, interlaced, colour keys,
	// damage (a flipped CRC, a truncated stream).
	gray8 := pngFile(t, 4, 4, 8, 0, randomRows(1, 4, 4, 1, false))
	rows := randomRows(2, 5, 5, 6, false)
	trns := pngFile(t, 5, 5, 16, 2, rows, []byte("tRNS\x00\x01\x00\x02\x00\x03"))
	good := pngFile(t, 5, 5, 16, 2, rows)
	interlaced := bytes.Clone(good)
	ihdr := pngchunk.IHDR(5, 5, 16, 2)
	ihdr[12] = 1 // interlace method 1, Adam7
	copy(interlaced[len(pngchunk.Signature):], pngchunk.Append(nil, "IHDR", ihdr))
	badCRC := bytes.Clone(good)
	badCRC[len(badCRC)-20] ^= 1
	for name, b := range map[string][]byte{
		"8-bit": gray8, "tRNS": trns, "interlaced": interlaced, "bad CRC": badCRC,
		"truncated": good[:len(good)-30], "not PNG": []byte("GIF89a"),
	} {
		if _, ok := decodePNGGray16(b); ok {
			t.Errorf("%s: decoded, want png.Decode's path", name)
		}
	}
	if _, ok := decodePNGGray16(good); !ok {
		t.Error("the undamaged file was not decoded")
	}
}

// TestDecodePNGGray16Memory: a 16-bit RGBA PNG is decoded with about the
// output's memory, not the 8 bytes per pixel of an RGBA64 image.
func TestDecodePNGGray16Memory(t *testing.T) {
	const w, h = 1024, 1024
	img := image.NewNRGBA64(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA64(x, y, color.NRGBA64{uint16(x * 64), uint16(y * 64), 1000, 0xfff0})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, ok := decodePNGGray16(b); !ok {
		t.Fatal("not decoded")
	}
	runtime.ReadMemStats(&after)
	perOp := int64(after.TotalAlloc - before.TotalAlloc)
	if out := int64(2 * w * h); perOp > out+out/2 {
		t.Errorf("decodePNGGray16 allocates %d bytes for a %d-byte output", perOp, out)
	}
	t.Logf("%dx%d RGBA64 PNG: %d bytes allocated (output %d; png.Decode alone holds %d)", w, h, perOp, 2*w*h, 8*w*h)
}

// FuzzPNGGray16: whatever decodePNGGray16 accepts, png.Decode accepts and
// renders to the same gray pixels.
func FuzzPNGGray16(f *testing.F) {
	for _, ct := range []byte{0, 2, 4, 6} {
		ch := map[byte]int{0: 1, 2: 3, 4: 2, 6: 4}[ct]
		f.Add(pngFile(f, 7, 3, 16, ct, randomRows(uint64(ct), 7, 3, 2*ch, false)))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := decodePNGGray16(b)
		if !ok {
			return
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("decoded, but png.Decode fails: %v", err)
		}
		if want := toGray(img, 16).(*image.Gray16); got.Rect != want.Rect || !bytes.Equal(got.Pix, want.Pix) {
			t.Fatal("differs from png.Decode + toGray")
		}
	})
}
