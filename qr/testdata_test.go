package qr

import (
	"bytes"
	"encoding/hex"
	"errors"
	"flag"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/medqr/medqr/internal/testimg"
	"github.com/medqr/medqr/internal/testvec"
	"github.com/medqr/medqr/qr/internal/distort"
)

var update = flag.Bool("update", false, "regenerate qr/testdata (needs qrencode)")

// vector is one testdata image and its expected outcome, written by
// TestTestdata -update into NAME.txt beside NAME.png:
//
//	comment: what the image is
//	expect: payload | not found | all
//	payload: hex (one line per symbol; several for expect: all)
type vector struct {
	name, comment, expect string
	payloads              [][]byte
	img                   func(t *testing.T) image.Image
}

func vectors() []vector {
	r := rand.New(rand.NewPCG(2026, 11))
	bin200 := randBytes(r, 200)
	hello := []byte("medqr qr test vector\x00\xff")
	noisy := randBytes(r, 120)
	enc := func(p []byte, l Level, px int) func(t *testing.T) image.Image {
		return func(t *testing.T) image.Image {
			img, err := Encode(p, l, px)
			if err != nil {
				t.Fatal(err)
			}
			return img
		}
	}
	qrenc := randBytes(r, 150)
	sheet := [][]byte{randBytes(r, 60), randBytes(r, 61), randBytes(r, 62)}
	return []vector{
		{name: "M-text", comment: "level-M symbol with text and 0x00/0xff, 4 px per module", expect: "payload",
			payloads: [][]byte{hello}, img: enc(hello, M, 4)},
		{name: "H-binary200", comment: "200 random bytes at level H", expect: "payload",
			payloads: [][]byte{bin200}, img: enc(bin200, H, 4)},
		{name: "qrencode-L", comment: "150 random bytes encoded by qrencode -8 -l L -s 4 (libqrencode)", expect: "payload",
			payloads: [][]byte{qrenc}, img: func(t *testing.T) image.Image { return qrencode(t, qrenc, L) }},
		{name: "noise-saltpepper", comment: "120 random bytes at level M with 2 % salt-and-pepper noise (seeded)", expect: "payload",
			payloads: [][]byte{noisy}, img: func(t *testing.T) image.Image {
				img, _ := Encode(noisy, M, 4)
				return distort.SaltPepper(img, 0.02, rand.New(rand.NewPCG(3, 4)))
			}},
		{name: "sheet-3", comment: "Sheet of three level-Q symbols", expect: "all", payloads: sheet,
			img: func(t *testing.T) image.Image {
				var syms []*image.Gray
				for _, p := range sheet {
					img, _ := Encode(p, Q, 4)
					syms = append(syms, img)
				}
				return Sheet(syms, 0)
			}},
		{name: "not-a-qr", comment: "a smooth gradient with a dark square: no symbol", expect: "not found",
			img: func(t *testing.T) image.Image {
				g := image.NewGray(image.Rect(0, 0, 120, 90))
				for y := 0; y < 90; y++ {
					for x := 0; x < 120; x++ {
						g.Pix[y*120+x] = uint8(2 * x)
						if x > 40 && x < 70 && y > 30 && y < 60 {
							g.Pix[y*120+x] = 0
						}
					}
				}
				return g
			}},
	}
}

func readPNG(t testing.TB, path string) image.Image { return testimg.ReadPNG(t, path) }

func writeVector(t *testing.T, v vector) {
	img := v.img(t)
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("testdata", v.name+".png"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	fields := []testvec.Field{{Key: "comment", Value: v.comment}, {Key: "expect", Value: v.expect}}
	for _, p := range v.payloads {
		fields = append(fields, testvec.Field{Key: "payload", Value: hex.EncodeToString(p)})
	}
	txt, err := testvec.Format(fields)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("testdata", v.name+".txt"), txt, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readVector(t *testing.T, name string) (expect string, payloads [][]byte) {
	b, err := os.ReadFile(filepath.Join("testdata", name+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	fields, err := testvec.Parse(b)
	if err != nil {
		t.Fatalf("%s.txt: %v", name, err)
	}
	for _, f := range fields {
		switch f.Key {
		case "expect":
			expect = f.Value
		case "payload":
			b, err := hex.DecodeString(f.Value)
			if err != nil {
				t.Fatalf("%s.txt: %v", name, err)
			}
			payloads = append(payloads, b)
		}
	}
	return expect, payloads
}

// TestTestdata decodes every testdata vector and checks its recorded
// outcome; with -update it regenerates them first.
func TestTestdata(t *testing.T) {
	for _, v := range vectors() {
		t.Run(v.name, func(t *testing.T) {
			if *update {
				writeVector(t, v)
			}
			expect, want := readVector(t, v.name)
			img := readPNG(t, filepath.Join("testdata", v.name+".png"))
			switch expect {
			case "payload":
				got, err := Decode(img)
				if err != nil || !bytes.Equal(got, want[0]) {
					t.Fatalf("Decode = %x, %v; want %x", got, err, want[0])
				}
			case "all":
				got, err := DecodeAll(img)
				if err != nil || !sameSet(got, want) {
					t.Fatalf("DecodeAll = %d payloads, %v; want %d", len(got), err, len(want))
				}
			case "not found":
				if got, err := Decode(img); !errors.Is(err, ErrNotFound) || got != nil {
					t.Fatalf("Decode = %x, %v; want ErrNotFound", got, err)
				}
			default:
				t.Fatalf("unknown expect %q", expect)
			}
		})
	}
}
