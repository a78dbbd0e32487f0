package pngchunk

import (
	"bytes"
	"compress/zlib"
	"encoding/hex"
	"image"
	"image/png"
	"testing"

	"github.com/medqr/medqr/internal/testimg"
)

// TestAppendVectors checks whole chunks against known bytes: the empty
// IEND chunk (CRC ae426082, the last 12 bytes of every PNG file), and the
// IHDR of a 1x1 8-bit gray image and a tEXt chunk "a"="b", whose CRCs
// (3a7e9b55, dc49a23b) Python's zlib.crc32 of type and data gives.
func TestAppendVectors(t *testing.T) {
	for _, c := range []struct {
		typ  string
		data []byte
		want string
	}{
		{"IEND", nil, "0000000049454e44ae426082"},
		{"IHDR", IHDR(1, 1, 8, 0), "0000000d49484452000000010000000108000000003a7e9b55"},
		{"tEXt", Text("a", "b"), "0000000374455874610062dc49a23b"},
	} {
		if got := hex.EncodeToString(Append(nil, c.typ, c.data)); got != c.want {
			t.Errorf("Append(%s) = %s, want %s", c.typ, got, c.want)
		}
	}
	prefix := []byte("kept")
	if got := Append(prefix, "IEND", nil); !bytes.HasPrefix(got, []byte("kept")) || len(got) != 16 {
		t.Errorf("Append did not extend its slice: %q", got)
	}
}

func TestAppendPanicsOnBadType(t *testing.T) {
	for _, typ := range []string{"", "IDA", "IDATA"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Append(%q) did not panic", typ)
				}
			}()
			Append(nil, typ, nil)
		}()
	}
}

// file is a PNG of raw (filter byte 0 before each row) with the given
// header, its IDAT split in two as encoders may, and the extra chunks
// between IHDR and IDAT.
func file(w, h uint32, depth, ct byte, raw []byte, extra ...[2]string) []byte {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(raw)
	zw.Close()
	b := Append([]byte(Signature), "IHDR", IHDR(w, h, depth, ct))
	for _, e := range extra {
		b = Append(b, e[0], []byte(e[1]))
	}
	zb := z.Bytes()
	b = Append(b, "IDAT", zb[:len(zb)/2])
	b = Append(b, "IDAT", zb[len(zb)/2:])
	return Append(b, "IEND", nil)
}

// TestDecodes writes small files whose chunks come from Append and
// decodes them with image/png, which checks every CRC; then one flipped
// bit in each chunk must make the decoder refuse the file.
func TestDecodes(t *testing.T) {
	for _, c := range []struct {
		name      string
		w, h      uint32
		depth, ct byte
		raw       []byte
		extra     [][2]string
		want      image.Image
	}{
		{name: "1x1 gray8", w: 1, h: 1, depth: 8, raw: []byte{0, 0x7f},
			want: &image.Gray{Pix: []byte{0x7f}, Stride: 1, Rect: image.Rect(0, 0, 1, 1)}},
		{name: "3x2 gray16 with tEXt", w: 3, h: 2, depth: 16, raw: []byte{0, 1, 2, 3, 4, 5, 6, 0, 7, 8, 9, 10, 11, 12},
			extra: [][2]string{{"tEXt", string(Text("Comment", "written by pngchunk_test"))}},
			want:  &image.Gray16{Pix: []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, Stride: 6, Rect: image.Rect(0, 0, 3, 2)}},
		{name: "9x1 gray1", w: 9, h: 1, depth: 1, raw: []byte{0, 0b10100000, 0b10000000},
			want: &image.Gray{Pix: []byte{255, 0, 255, 0, 0, 0, 0, 0, 255}, Stride: 9, Rect: image.Rect(0, 0, 9, 1)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := file(c.w, c.h, c.depth, c.ct, c.raw, c.extra...)
			got, err := png.Decode(bytes.NewReader(p))
			if err != nil {
				t.Fatal(err)
			}
			if err := testimg.SamePixels(got, c.want); err != nil {
				t.Fatal(err)
			}
			// Flip the last bit of each chunk's CRC.
			for at := len(Signature); at < len(p); {
				n := int(p[at])<<24 | int(p[at+1])<<16 | int(p[at+2])<<8 | int(p[at+3])
				end := at + 12 + n
				bad := bytes.Clone(p)
				bad[end-1] ^= 1
				if _, err := png.Decode(bytes.NewReader(bad)); err == nil {
					t.Errorf("a flipped CRC bit in the %s chunk at %d was accepted", p[at+4:at+8], at)
				}
				at = end
			}
		})
	}
}
