package qr

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// patterns are payload shapes that stress go-qrcode's segment optimiser
// and gozxing's text decoding.
func patterns(n int, seed uint64) map[string][]byte {
	r := rand.New(rand.NewPCG(seed, 1))
	digits := make([]byte, n)
	alnum := make([]byte, n)
	mixed := randBytes(r, n)
	high := make([]byte, n)
	const an = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
	for i := range n {
		digits[i] = '0' + byte(r.IntN(10))
		alnum[i] = an[r.IntN(len(an))]
		high[i] = 0x80 + byte(r.IntN(0x20)) // C1 controls: ISO-8859-1 edge
	}
	// Digit and upper-case runs inside random bytes.
	for i := 0; i+40 < n; i += 97 {
		for j := range 23 {
			mixed[i+j] = '0' + byte(r.IntN(10))
		}
		for j := 23; j < 40; j++ {
			mixed[i+j] = an[10+r.IntN(26)]
		}
	}
	return map[string][]byte{
		"random": randBytes(r, n),
		"digits": digits,
		"alnum":  alnum,
		"mixed":  mixed,
		"zeros":  make([]byte, n),
		"ff":     bytes.Repeat([]byte{0xff}, n),
		"c1":     high,
	}
}

func TestParseLevel(t *testing.T) {
	tests := []struct {
		in      string
		want    Level
		wantErr bool
	}{
		{"L", L, false}, {"m", M, false}, {" Q ", Q, false}, {"h", H, false},
		{"", 0, true}, {"X", 0, true}, {"LM", 0, true}, {"low", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseLevel(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v, err %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !errors.Is(err, ErrLevel) {
			t.Errorf("ParseLevel(%q) error %v is not ErrLevel", tt.in, err)
		}
	}
	for _, l := range Levels {
		if got, err := ParseLevel(l.String()); err != nil || got != l {
			t.Errorf("ParseLevel(%v.String()) = %v, %v", l, got, err)
		}
	}
}

func TestCapacity(t *testing.T) {
	// ISO/IEC 18004:2015 Table 7, version 40, byte mode.
	want := map[Level]int{L: 2953, M: 2331, Q: 1663, H: 1273, 0: 0, 'X': 0}
	for l, c := range want {
		if got := Capacity(l); got != c {
			t.Errorf("Capacity(%v) = %d, want %d", l, got, c)
		}
	}
}

// TestRoundTripBoundaries encodes payloads of 1, capacity-1 and capacity
// bytes of every pattern at every level, decodes them and requires the same
// bytes and the expected version; 0 and capacity+1 must fail clearly.
func TestRoundTripBoundaries(t *testing.T) {
	for _, l := range Levels {
		c := Capacity(l)
		sizes := []int{1, c - 1, c}
		if testing.Short() {
			sizes = []int{1, c}
		}
		for _, n := range sizes {
			for name, p := range patterns(n, uint64(n)) {
				if testing.Short() && name != "random" && name != "digits" {
					continue
				}
				t.Run(fmt.Sprintf("%v/%d/%s", l, n, name), func(t *testing.T) {
					s, err := EncodeSymbol(p, l)
					if err != nil {
						t.Fatalf("EncodeSymbol: %v", err)
					}
					if n >= c-1 && byteOnly[name] && s.Version != 40 {
						t.Errorf("version %d, want 40 for %d bytes", s.Version, n)
					}
					img := s.Image(4)
					got, err := Decode(img)
					if err != nil {
						t.Fatalf("Decode: %v", err)
					}
					if !bytes.Equal(got, p) {
						t.Fatalf("round trip differs: got %d bytes, want %d", len(got), len(p))
					}
				})
			}
		}
		t.Run(fmt.Sprintf("%v/empty", l), func(t *testing.T) {
			if _, err := Encode(nil, l, 4); !errors.Is(err, ErrEmpty) {
				t.Errorf("Encode(empty) error = %v, want ErrEmpty", err)
			}
		})
		t.Run(fmt.Sprintf("%v/over", l), func(t *testing.T) {
			for name, p := range patterns(c+1, 7) {
				_, err := Encode(p, l, 4)
				if !errors.Is(err, ErrTooLarge) {
					t.Errorf("%s: Encode(capacity+1) error = %v, want ErrTooLarge", name, err)
				}
			}
		})
	}
}

func TestEncodeArgs(t *testing.T) {
	p := []byte("medqr")
	tests := []struct {
		name  string
		level Level
		px    int
		err   error
		size  int
	}{
		{"default px", M, 0, nil, (21 + 8) * 4},
		{"px 4", M, 4, nil, (21 + 8) * 4},
		{"px 7", H, 7, nil, (21 + 8) * 7},
		{"px 3", M, 3, errAny, 0},
		{"px too big", M, MaxPxPerModule + 1, errAny, 0},
		{"bad level", 'X', 4, ErrLevel, 0},
		{"zero level", 0, 4, ErrLevel, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := Encode(p, tt.level, tt.px)
			switch {
			case tt.err == nil && err != nil:
				t.Fatalf("Encode: %v", err)
			case tt.err == errAny && err == nil, tt.err != nil && tt.err != errAny && !errors.Is(err, tt.err):
				t.Fatalf("Encode error = %v, want %v", err, tt.err)
			case tt.err == nil:
				if img.Rect.Dx() != tt.size || img.Rect.Dy() != tt.size {
					t.Errorf("size %v, want %d", img.Rect, tt.size)
				}
				// Quiet zone: the outer 4 modules are white.
				px := img.Rect.Dx() / 29
				for y := 0; y < img.Rect.Dy(); y++ {
					for x := 0; x < img.Rect.Dx(); x++ {
						inner := x >= 4*px && x < 25*px && y >= 4*px && y < 25*px
						if !inner && img.GrayAt(x, y).Y != 0xff {
							t.Fatalf("quiet-zone pixel (%d,%d) is not white", x, y)
						}
					}
				}
				got, err := Decode(img)
				if err != nil || !bytes.Equal(got, p) {
					t.Fatalf("Decode = %q, %v", got, err)
				}
			}
		})
	}
}

var errAny = errors.New("any error")

// TestDecodeRandomLengths round-trips random payloads of random lengths at
// random levels: every version is exercised over time.
func TestDecodeRandomLengths(t *testing.T) {
	r := rand.New(rand.NewPCG(42, 42))
	n := 60
	if testing.Short() {
		n = 15
	}
	for i := 0; i < n; i++ {
		l := Levels[r.IntN(4)]
		size := 1 + r.IntN(Capacity(l))
		p := randBytes(r, size)
		px := 4 + r.IntN(3)
		img, err := Encode(p, l, px)
		if err != nil {
			t.Fatalf("Encode(%d bytes, %v): %v", size, l, err)
		}
		got, err := Decode(img)
		if err != nil {
			t.Fatalf("Decode(%d bytes, %v, %d px): %v", size, l, px, err)
		}
		if !bytes.Equal(got, p) {
			t.Fatalf("Decode(%d bytes, %v) differs", size, l)
		}
	}
}

// byteOnly names the patterns that go-qrcode can only put in byte mode.
var byteOnly = map[string]bool{"random": true, "zeros": true, "ff": true, "c1": true}
