// Package learnedtest holds the checks the learned baseline ciphers'
// tests share (cipherimg/deepkeygen, cipherimg/sae, cipherimg/lstm): the
// known-answer vector format written by cipherimg/internal/genlearned,
// exact round trips over a table of sizes, and refusals.
//
// A vector file is "key: value" lines (read and written by internal/testvec):
//
//	comment: what the vector covers
//	scheme:  registry name
//	key:     64 hex digits
//	width, height, depth
//	plain:   hex pixels, or plain-seed: N (pixels from Plain(N, w*h))
//	cipher:  hex pixels, or cipher-sha256: digest of the cipher bytes
package learnedtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"github.com/medqr/medqr/cipherimg"
	"github.com/medqr/medqr/internal/detnn"
	"github.com/medqr/medqr/internal/testvec"
	"github.com/medqr/medqr/seal"
)

// TestKey is the key of every vector: bytes 0..31.
func TestKey() seal.Key {
	var k seal.Key
	for i := range k {
		k[i] = byte(i)
	}
	return k
}

// Plain returns n pseudo-random 8-bit pixels from seed (PCG).
func Plain(seed uint64, n int) []uint16 {
	r := rand.New(rand.NewPCG(seed, 0x7e57))
	px := make([]uint16, n)
	for i := range px {
		px[i] = uint16(r.IntN(256))
	}
	return px
}

// Bytes converts 8-bit pixels to bytes.
func Bytes(px []uint16) []byte {
	b := make([]byte, len(px))
	for i, v := range px {
		b[i] = byte(v)
	}
	return b
}

// CheckUniform fails t when the histogram of b (at least a few thousand
// bytes) is far from uniform: its chi-square, 255 degrees of freedom, above
// 400, far beyond the 0.9999 quantile (about 350).
func CheckUniform(t *testing.T, what string, b []byte) {
	t.Helper()
	var hist [256]int
	for _, v := range b {
		hist[v]++
	}
	want := float64(len(b)) / 256
	chi := 0.0
	for _, c := range hist {
		d := float64(c) - want
		chi += d * d / want
	}
	if chi > 400 {
		t.Errorf("%s: histogram chi-square %.1f, far from uniform", what, chi)
	}
}

// Vector is one parsed vector file.
type Vector struct {
	Fields map[string]string
	Name   string
}

// Case is one vector's inputs.
type Case struct {
	Comment string
	W, H    int
	Seed    uint64 // plaintext seed
	Full    bool   // write plain and cipher in hex (small images)
}

// Make encrypts the case under TestKey with s and returns the vector file.
func Make(s cipherimg.Scheme, c Case) ([]byte, error) {
	px := Plain(c.Seed, c.W*c.H)
	plain := Bytes(px)
	k := cipherimg.Keying{Key: TestKey()}
	if err := s.Encrypt(&k, px, c.W, c.H, 8); err != nil {
		return nil, err
	}
	key := TestKey()
	f := []testvec.Field{{Key: "comment", Value: c.Comment}, {Key: "scheme", Value: s.Name()}, {Key: "key", Value: hex.EncodeToString(key[:])},
		{Key: "width", Value: strconv.Itoa(c.W)}, {Key: "height", Value: strconv.Itoa(c.H)}, {Key: "depth", Value: "8"}}
	if c.Full {
		f = append(f, testvec.Field{Key: "plain", Value: hex.EncodeToString(plain)}, testvec.Field{Key: "cipher", Value: hex.EncodeToString(Bytes(px))})
	} else {
		sum := sha256.Sum256(Bytes(px))
		f = append(f, testvec.Field{Key: "plain-seed", Value: strconv.FormatUint(c.Seed, 10)}, testvec.Field{Key: "cipher-sha256", Value: hex.EncodeToString(sum[:])})
	}
	return testvec.Format(f)
}

// Check runs one vector file against s: the cipher must match and decrypt
// back to the plaintext.
func Check(s cipherimg.Scheme, b []byte) error {
	f, err := testvec.ParseMap(b)
	if err != nil {
		return err
	}
	if f["scheme"] != s.Name() {
		return fmt.Errorf("vector for scheme %q, testing %q", f["scheme"], s.Name())
	}
	kb, err := hex.DecodeString(f["key"])
	if err != nil || len(kb) != seal.KeySize {
		return fmt.Errorf("bad key field")
	}
	w, err1 := strconv.Atoi(f["width"])
	h, err2 := strconv.Atoi(f["height"])
	if err := errors.Join(err1, err2); err != nil || w < 1 || h < 1 || w*h > 1<<24 || f["depth"] != "8" {
		return fmt.Errorf("bad size or depth fields")
	}
	var plain []byte
	if p, ok := f["plain"]; ok {
		if plain, err = hex.DecodeString(p); err != nil || len(plain) != w*h {
			return fmt.Errorf("bad plain field")
		}
	} else {
		seed, err := strconv.ParseUint(f["plain-seed"], 10, 64)
		if err != nil {
			return fmt.Errorf("bad plain-seed field")
		}
		plain = Bytes(Plain(seed, w*h))
	}
	px := make([]uint16, len(plain))
	for i, v := range plain {
		px[i] = uint16(v)
	}
	var key seal.Key
	copy(key[:], kb)
	k := cipherimg.Keying{Key: key}
	if err := s.Encrypt(&k, px, w, h, 8); err != nil {
		return err
	}
	got := Bytes(px)
	if c, ok := f["cipher"]; ok {
		if c != hex.EncodeToString(got) {
			return fmt.Errorf("cipher differs from the vector")
		}
	} else {
		sum := sha256.Sum256(got)
		if f["cipher-sha256"] != hex.EncodeToString(sum[:]) {
			return fmt.Errorf("cipher sha256 %x differs from the vector", sum)
		}
	}
	if err := s.Decrypt(k, px, w, h, 8); err != nil {
		return err
	}
	if !bytes.Equal(Bytes(px), plain) {
		return fmt.Errorf("decryption does not give the plaintext back")
	}
	return nil
}

// CheckDir runs every testdata/vectors/*.txt file; there must be some.
func CheckDir(t *testing.T, s cipherimg.Scheme) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("testdata", "vectors", "*.txt"))
	sort.Strings(files)
	if len(files) == 0 {
		t.Fatal("no vectors in testdata/vectors (go run ./cipherimg/internal/genlearned)")
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := Check(s, b); err != nil {
			t.Errorf("%s: %v", filepath.Base(p), err)
		}
	}
}

// RoundTrip checks Decrypt(Encrypt(x)) == x for every size and, from 4096
// pixels up, that encryption changes at least 15/16 of the pixels.
func RoundTrip(t *testing.T, s cipherimg.Scheme, sizes [][2]int) {
	t.Helper()
	for i, sz := range sizes {
		w, h := sz[0], sz[1]
		px := Plain(uint64(100+i), w*h)
		orig := append([]uint16(nil), px...)
		k := cipherimg.Keying{Key: TestKey()}
		if err := s.Encrypt(&k, px, w, h, 8); err != nil {
			t.Fatalf("%dx%d: encrypt: %v", w, h, err)
		}
		same := 0
		for j := range px {
			if px[j] == orig[j] {
				same++
			}
		}
		if w*h >= 4096 && same > w*h/16 {
			t.Errorf("%dx%d: %d of %d pixels unchanged by encryption", w, h, same, w*h)
		}
		if err := s.Decrypt(k, px, w, h, 8); err != nil {
			t.Fatalf("%dx%d: decrypt: %v", w, h, err)
		}
		for j := range px {
			if px[j] != orig[j] {
				t.Fatalf("%dx%d: pixel %d is %d after the round trip, want %d", w, h, j, px[j], orig[j])
			}
		}
	}
}

// Refuses checks that s refuses 16-bit images, a pixel count that does not
// match the size, sizes outside 1..MaxSide and values above 255, with
// errors wrapping cipherimg.ErrUnsupported.
func Refuses(t *testing.T, s cipherimg.Scheme) {
	t.Helper()
	k := cipherimg.Keying{Key: TestKey()}
	for _, c := range []struct {
		name        string
		px          []uint16
		w, h, depth int
	}{
		{"16-bit", make([]uint16, 4), 2, 2, 16},
		{"short buffer", make([]uint16, 3), 2, 2, 8},
		{"zero width", nil, 0, 2, 8},
		{"too wide", make([]uint16, cipherimg.MaxSide+1), cipherimg.MaxSide + 1, 1, 8},
		{"value 256", []uint16{1, 2, 256, 4}, 2, 2, 8},
	} {
		if err := s.Encrypt(&k, c.px, c.w, c.h, c.depth); !errors.Is(err, cipherimg.ErrUnsupported) {
			t.Errorf("%s: encrypt gave %v, want ErrUnsupported", c.name, err)
		}
		if err := s.Decrypt(k, c.px, c.w, c.h, c.depth); !errors.Is(err, cipherimg.ErrUnsupported) {
			t.Errorf("%s: decrypt gave %v, want ErrUnsupported", c.name, err)
		}
	}
}

// Concurrent encrypts and decrypts from several goroutines under keys that
// alternate (so the schemes' last-key caches keep changing) and checks
// every round trip and that equal inputs give equal cipher images.
func Concurrent(t *testing.T, s cipherimg.Scheme) {
	t.Helper()
	const w, h, workers, rounds = 48, 40, 6, 4
	keys := []seal.Key{TestKey(), TestKey()}
	keys[1][0] ^= 0xff
	want := make([][]uint16, len(keys))
	for i, key := range keys {
		px := Plain(7, w*h)
		k := cipherimg.Keying{Key: key}
		if err := s.Encrypt(&k, px, w, h, 8); err != nil {
			t.Fatal(err)
		}
		want[i] = px
	}
	errs := make(chan error, workers)
	for g := 0; g < workers; g++ {
		go func() {
			for r := 0; r < rounds; r++ {
				i := (g + r) % len(keys)
				px := Plain(7, w*h)
				k := cipherimg.Keying{Key: keys[i]}
				if err := s.Encrypt(&k, px, w, h, 8); err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(Bytes(px), Bytes(want[i])) {
					errs <- fmt.Errorf("goroutine %d round %d: cipher image differs", g, r)
					return
				}
				if err := s.Decrypt(k, px, w, h, 8); err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(Bytes(px), Bytes(Plain(7, w*h))) {
					errs <- fmt.Errorf("goroutine %d round %d: round trip failed", g, r)
					return
				}
			}
			errs <- nil
		}()
	}
	for g := 0; g < workers; g++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// Sizes are the image sizes (width, height) every trained scheme's Suite
// round-trips: 1x1, thin, odd and just past 8 bits a side.
var Sizes = [][2]int{{1, 1}, {1, 2}, {2, 1}, {3, 5}, {7, 1}, {16, 16}, {255, 257}, {256, 256}}

// LongSizes are the largest sizes the issue names, for RoundTripLong.
var LongSizes = [][2]int{{2048, 2048}, {2047, 2049}}

// Suite runs the checks every trained scheme's tests share, as subtests:
// the vectors in testdata/vectors, round trips over sizes, refusals, the
// registry entry (no nonce, trained, cited) and concurrent use.
func Suite(t *testing.T, s cipherimg.Scheme, sizes [][2]int) {
	t.Run("vectors", func(t *testing.T) { CheckDir(t, s) })
	t.Run("round-trip", func(t *testing.T) { RoundTrip(t, s, sizes) })
	t.Run("refuses", func(t *testing.T) { Refuses(t, s) })
	t.Run("registered", func(t *testing.T) {
		r, err := cipherimg.Lookup(s.Name())
		if err != nil {
			t.Fatal(err)
		}
		if in := r.Info(); in.NonceSize != 0 || !in.Trained || in.Citation == "" {
			t.Errorf("info %+v", in)
		}
	})
	t.Run("concurrent", func(t *testing.T) { Concurrent(t, s) })
}

// RoundTripLong is RoundTrip for sizes too slow for make test: it runs
// with MEDQR_LONG_TESTS=1 (make learnedciphers-long) and skips otherwise.
func RoundTripLong(t *testing.T, s cipherimg.Scheme, sizes [][2]int) {
	t.Helper()
	if os.Getenv("MEDQR_LONG_TESTS") == "" {
		t.Skip("set MEDQR_LONG_TESTS=1 (make learnedciphers-long)")
	}
	RoundTrip(t, s, sizes)
}

// Model returns the model that load (a scheme's Default: the shipped
// weights) gives, failing tb if it cannot load it.
func Model[M any](tb testing.TB, load func() (M, error)) M {
	tb.Helper()
	m, err := load()
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// WeightsRefused checks that decode refuses the shipped weights file with
// one bit of byte at flipped, with an error wrapping detnn.ErrWeights.
func WeightsRefused[M any](t *testing.T, shipped []byte, at int, decode func([]byte) (M, error)) {
	t.Helper()
	b := append([]byte(nil), shipped...)
	b[at] ^= 1
	if _, err := decode(b); !errors.Is(err, detnn.ErrWeights) {
		t.Errorf("damaged weights (byte %d): %v", at, err)
	}
}

// FuzzDecode fuzzes a weights decoder from the shipped file: decode either
// fails with detnn.ErrWeights and no model, or gives a model that use can
// run.
func FuzzDecode[M comparable](f *testing.F, shipped []byte, decode func([]byte) (M, error), use func(*testing.T, M)) {
	f.Add(shipped)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decode(b)
		if err != nil {
			var zero M
			if m != zero || !errors.Is(err, detnn.ErrWeights) {
				t.Fatalf("error %v with a model", err)
			}
			return
		}
		use(t, m)
	})
}
