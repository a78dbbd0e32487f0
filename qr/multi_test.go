package qr

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/medqr/medqr/qr/internal/distort"
)

// containsAll reports whether got holds exactly the payloads of want, in
// any order.
func sameSet(got, want [][]byte) bool {
	if len(got) != len(want) {
		return false
	}
	for _, w := range want {
		if !slices.ContainsFunc(got, func(g []byte) bool { return bytes.Equal(g, w) }) {
			return false
		}
	}
	return true
}

func TestSheetDecodeAll(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	tests := []struct {
		name  string
		n     int
		cols  int
		level Level
		size  int // payload bytes; 0: full capacity
		px    int
	}{
		{"one", 1, 0, M, 0, 4},
		{"two in a row", 2, 2, M, 0, 4},
		{"three full L auto cols", 3, 0, L, 0, 4},
		{"five small H in a column", 5, 1, H, 40, 4},
		{"twelve lossless-like Q", 12, 4, Q, 0, 4},
		{"four at 6 px", 4, 2, M, 500, 6},
	}
	if testing.Short() {
		tests = tests[:3]
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want [][]byte
			var syms []*image.Gray
			for i := 0; i < tt.n; i++ {
				n := tt.size
				if n == 0 {
					n = Capacity(tt.level)
				}
				p := randBytes(r, n)
				p[0] = byte(i) // distinct even if the generator repeated
				img, err := Encode(p, tt.level, tt.px)
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, p)
				syms = append(syms, img)
			}
			sheet := Sheet(syms, tt.cols)
			got, err := DecodeAll(sheet)
			if err != nil {
				t.Fatalf("DecodeAll(%dx%d sheet): %v", sheet.Rect.Dx(), sheet.Rect.Dy(), err)
			}
			if !sameSet(got, want) {
				t.Fatalf("DecodeAll found %d symbols, want the %d encoded", len(got), len(want))
			}
			// The split keeps reading order on a sheet.
			for i := range got {
				if !bytes.Equal(got[i], want[i]) {
					t.Errorf("symbol %d out of order", i)
					break
				}
			}
		})
	}
}

func TestSheetLayout(t *testing.T) {
	a, _ := Encode([]byte("a"), M, 4) // version 1: 29 modules, 116 px
	b, _ := Encode(bytes.Repeat([]byte{1}, 100), M, 4)
	tests := []struct {
		syms []*image.Gray
		cols int
		w, h int
	}{
		{nil, 0, 32, 32},
		{[]*image.Gray{nil}, 3, 32, 32},
		{[]*image.Gray{a}, 0, 116 + 32, 116 + 32},
		{[]*image.Gray{a, a, a}, 0, 2*116 + 3*16, 2*116 + 3*16},
		{[]*image.Gray{a, a, a}, 5, 3*116 + 4*16, 116 + 2*16},
		{[]*image.Gray{a, b}, 1, b.Rect.Dx() + 32, 2*b.Rect.Dy() + 3*16},
	}
	for i, tt := range tests {
		s := Sheet(tt.syms, tt.cols)
		if s.Rect.Dx() != tt.w || s.Rect.Dy() != tt.h {
			t.Errorf("case %d: sheet %dx%d, want %dx%d", i, s.Rect.Dx(), s.Rect.Dy(), tt.w, tt.h)
		}
	}
}

func TestDecodeAllNotFound(t *testing.T) {
	blank := image.NewGray(image.Rect(0, 0, 300, 200))
	for i := range blank.Pix {
		blank.Pix[i] = 0xff
	}
	noise := image.NewGray(image.Rect(0, 0, 300, 200))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range noise.Pix {
		noise.Pix[i] = byte(r.Uint32())
	}
	for name, img := range map[string]image.Image{"blank": blank, "noise": noise, "empty": image.NewGray(image.Rect(0, 0, 0, 0))} {
		t.Run(name, func(t *testing.T) {
			if got, err := DecodeAll(img); !errors.Is(err, ErrNotFound) {
				t.Errorf("DecodeAll = %d payloads, %v; want ErrNotFound", len(got), err)
			}
			if got, err := Decode(img); !errors.Is(err, ErrNotFound) {
				t.Errorf("Decode = %d bytes, %v; want ErrNotFound", len(got), err)
			}
		})
	}
}

func ExampleSheet() {
	var syms []*image.Gray
	for i := 0; i < 3; i++ {
		img, err := Encode([]byte(fmt.Sprintf("part %d of 3", i+1)), M, 4)
		if err != nil {
			panic(err)
		}
		syms = append(syms, img)
	}
	payloads, err := DecodeAll(Sheet(syms, 0))
	if err != nil {
		panic(err)
	}
	for _, p := range payloads {
		fmt.Println(string(p))
	}
	// Output:
	// part 1 of 3
	// part 2 of 3
	// part 3 of 3
}

// TestDecodeAllDamagedSheet reads sheets that went through a printer and a
// camera or scanner: rotated, noisy, with one symbol destroyed.
func TestDecodeAllDamagedSheet(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 12))
	var want [][]byte
	var syms []*image.Gray
	for i := 0; i < 4; i++ {
		p := randBytes(r, 800)
		img, err := Encode(p, Q, 4)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, p)
		syms = append(syms, img)
	}
	sheet := Sheet(syms, 2)
	tests := []struct {
		name string
		img  *image.Gray
		want [][]byte
	}{
		{"rotated 2 degrees", distort.Rotate(sheet, 2), want},
		{"2 % salt and pepper", distort.SaltPepper(sheet, 0.02, rand.New(rand.NewPCG(1, 1))), want},
		{"JPEG 50", must(distort.JPEG(sheet, 50)), want},
	}
	// Destroy the second symbol: paint its centre black.
	broken := distort.Blur(sheet, 0)
	w := syms[1].Rect.Dx()
	x0 := broken.Rect.Dx()/2 + w/4
	for y := 40; y < 40+w/2; y++ {
		for x := x0; x < x0+w/2; x++ {
			broken.Pix[y*broken.Stride+x] = 0
		}
	}
	tests = append(tests, struct {
		name string
		img  *image.Gray
		want [][]byte
	}{"one symbol destroyed", broken, [][]byte{want[0], want[2], want[3]}})
	if testing.Short() {
		tests = tests[1:2]
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeAll(tt.img)
			if err != nil {
				t.Fatal(err)
			}
			if !sameSet(got, tt.want) {
				t.Fatalf("DecodeAll found %d symbols, want %d", len(got), len(tt.want))
			}
		})
	}
}

func must(g *image.Gray, err error) *image.Gray {
	if err != nil {
		panic(err)
	}
	return g
}
