package cipherimg_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medqr/medqr/cipherimg"
	_ "github.com/medqr/medqr/cipherimg/arnold"
	"github.com/medqr/medqr/cipherimg/internal/schemetest"
	_ "github.com/medqr/medqr/cipherimg/logistic"
	_ "github.com/medqr/medqr/cipherimg/wang2020"
	_ "github.com/medqr/medqr/cipherimg/yang2023"
	"github.com/medqr/medqr/internal/testimg"
	"github.com/medqr/medqr/internal/testvec"
	"github.com/medqr/medqr/seal"
)

// readVector parses one "key: value" vector file.
func readVector(t testing.TB, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := testvec.ParseMap(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

func imageFromBytes(t *testing.T, b []byte, w, h, depth int) image.Image {
	t.Helper()
	r := image.Rect(0, 0, w, h)
	if depth == 8 {
		m := image.NewGray(r)
		if len(b) != len(m.Pix) {
			t.Fatalf("vector has %d pixel bytes, want %d", len(b), len(m.Pix))
		}
		copy(m.Pix, b)
		return m
	}
	m := image.NewGray16(r)
	if len(b) != len(m.Pix) {
		t.Fatalf("vector has %d pixel bytes, want %d", len(b), len(m.Pix))
	}
	copy(m.Pix, b)
	return m
}

// TestVectors checks the known-answer vectors of both keystreams. The
// chaos vectors also pin the chaotic generator bit for bit: a CPU that
// fused a multiply-add, or any change of map or labels, fails here.
func TestVectors(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "vectors", "*.txt"))
	if len(files) < 41 {
		t.Fatalf("found %d vector files, want 41 (run go generate)", len(files))
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			v := readVector(t, path)
			var hd cipherimg.Header
			if err := hd.UnmarshalText([]byte(v["header"])); err != nil {
				t.Fatal(err)
			}
			kb, err := hex.DecodeString(v["key"])
			if err != nil || len(kb) != 32 {
				t.Fatalf("bad key %q", v["key"])
			}
			var key seal.Key
			copy(key[:], kb)
			if hd.SchemeName() != cipherimg.SchemeName {
				checkSchemeVector(t, v, hd, key)
				return
			}
			o := cipherimg.Options{
				Keystream: hd.Keystream, Nonce: hd.Nonce,
				Rounds: hd.Rounds, Layers: hd.Layers,
				NoPermutation: hd.NoPermutation, NoNetwork: hd.NoNetwork, NoDiffusion: hd.NoDiffusion,
			}
			if v["plain"] == "pattern" {
				// Large vector: plaintext from the documented pattern,
				// cipher pixels pinned by their SHA-256.
				plain := cipherimg.PatternImage(hd.Width, hd.Height, hd.Depth)
				c, err := cipherimg.Encrypt(plain, key, o)
				if err != nil {
					t.Fatal(err)
				}
				sum := sha256.Sum256(testimg.Bytes(c.Image))
				if got := hex.EncodeToString(sum[:]); got != v["cipher-sha256"] {
					t.Errorf("%s: cipher SHA-256 %s, vector says %s", v["comment"], got, v["cipher-sha256"])
				}
				back, err := cipherimg.Decrypt(c, key)
				if err != nil || !samePixels(back, plain) {
					t.Errorf("%s: round trip failed (%v)", v["comment"], err)
				}
				return
			}
			pb, err1 := hex.DecodeString(v["plain"])
			cb, err2 := hex.DecodeString(v["cipher"])
			if err1 != nil || err2 != nil {
				t.Fatal("bad hex")
			}
			plain := imageFromBytes(t, pb, hd.Width, hd.Height, hd.Depth)
			want := imageFromBytes(t, cb, hd.Width, hd.Height, hd.Depth)
			c, err := cipherimg.Encrypt(plain, key, o)
			if err != nil {
				t.Fatal(err)
			}
			if !samePixels(c.Image, want) {
				t.Errorf("%s: Encrypt output differs from the vector", v["comment"])
			}
			back, err := cipherimg.Decrypt(&cipherimg.Cipher{Image: want, Header: hd}, key)
			if err != nil {
				t.Fatal(err)
			}
			if !samePixels(back, plain) {
				t.Errorf("%s: Decrypt of the vector's cipher differs from its plaintext", v["comment"])
			}
		})
	}
}

// checkSchemeVector checks a literature baseline's vector: encryption
// gives the pinned cipher (and header, aux data included) and decryption of
// the pinned cipher gives the plaintext.
func checkSchemeVector(t *testing.T, v map[string]string, hd cipherimg.Header, key seal.Key) {
	t.Helper()
	s, err := cipherimg.Lookup(hd.Scheme)
	if err != nil {
		t.Fatal(err)
	}
	var plain image.Image
	if v["plain"] == "pattern" {
		plain = cipherimg.PatternImage(hd.Width, hd.Height, hd.Depth)
	} else {
		pb, err := hex.DecodeString(v["plain"])
		if err != nil {
			t.Fatal(err)
		}
		plain = imageFromBytes(t, pb, hd.Width, hd.Height, hd.Depth)
	}
	c, err := cipherimg.EncryptWith(s, plain, key, hd.Nonce)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := c.Header.MarshalText()
	if string(text) != v["header"] {
		t.Errorf("header %q, vector says %q", text, v["header"])
	}
	if v["plain"] == "pattern" {
		sum := sha256.Sum256(testimg.Bytes(c.Image))
		if got := hex.EncodeToString(sum[:]); got != v["cipher-sha256"] {
			t.Errorf("%s: cipher SHA-256 %s, vector says %s", v["comment"], got, v["cipher-sha256"])
		}
	} else if got := hex.EncodeToString(testimg.Bytes(c.Image)); got != v["cipher"] {
		t.Errorf("%s: Encrypt output differs from the vector", v["comment"])
	}
	back, err := cipherimg.Decrypt(c, key)
	if err != nil || !samePixels(back, plain) {
		t.Errorf("%s: round trip failed (%v)", v["comment"], err)
	}
}

func TestPNGRoundTrip(t *testing.T) {
	for _, img := range []image.Image{sampleXRay(t), image.NewGray16(image.Rect(0, 0, 3, 1)), image.NewGray(image.Rect(0, 0, 1, 1))} {
		c, err := cipherimg.Encrypt(img, testKey, cipherimg.Options{})
		if err != nil {
			t.Fatal(err)
		}
		got := schemetest.ThroughPNG(t, c)
		if !samePixels(got.Image, c.Image) {
			t.Error("pixels changed through PNG")
		}
		g1, _ := got.Header.MarshalText()
		g2, _ := c.Header.MarshalText()
		if !bytes.Equal(g1, g2) {
			t.Errorf("header changed through PNG:\n%s\n%s", g1, g2)
		}
		if _, err := cipherimg.Decrypt(got, testKey); err != nil {
			t.Fatal(err)
		}
	}
}

func TestWritePNGRejects(t *testing.T) {
	c, _ := cipherimg.Encrypt(image.NewGray(image.Rect(0, 0, 4, 4)), testKey, cipherimg.Options{})
	bad := *c
	bad.Header.Width = 5
	if err := cipherimg.WritePNG(&bytes.Buffer{}, &bad); !errors.Is(err, cipherimg.ErrInvalid) {
		t.Errorf("size mismatch: got %v", err)
	}
	bad = *c
	bad.Image = image.NewRGBA(image.Rect(0, 0, 4, 4))
	if err := cipherimg.WritePNG(&bytes.Buffer{}, &bad); !errors.Is(err, cipherimg.ErrUnsupported) {
		t.Errorf("RGBA: got %v", err)
	}
}

// pngCases are the outcomes expected for the files genvectors writes.
var pngCases = map[string]string{
	"valid-8bit.png":             "",
	"valid-16bit.png":            "",
	"valid-weakened.png":         "",
	"legacy-v1-8bit.png":         "", // header version 1, written before schemes had names
	"legacy-v1-16bit.png":        "",
	"valid-arnold.png":           "",
	"valid-logistic.png":         "",
	"valid-wang2020.png":         "",
	"valid-yang2023.png":         "",
	"invalid-v2-no-scheme.png":   `header field "scheme" missing`,
	"invalid-unknown-scheme.png": `unknown scheme "nosuch"`,
	"invalid-aux-short.png":      "yang2023 aux data is 62 bytes, want 64",
	"invalid-scheme-options.png": `unknown header field "rounds"`,
	"invalid-no-header.png":      `no "medqr-cipherimg" text chunk`,
	"invalid-truncated.png":      "truncated",
	"invalid-size-mismatch.png":  "PNG is 12x9 but the header says 13x9",
	"invalid-depth-mismatch.png": "PNG is 8-bit grayscale but the header says 16-bit",
	"invalid-version.png":        "format version 9",
	"invalid-keystream.png":      `unknown keystream "rot13"`,
	"invalid-unknown-field.png":  `unknown header field "color"`,
	"invalid-missing-field.png":  `header field "rounds" missing`,
	"invalid-crc.png":            "checksum mismatch",
	"invalid-resaved-rgba.png":   "not plain grayscale",
}

func TestReadPNGFiles(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "png", "*.png"))
	if len(files) != len(pngCases) {
		t.Errorf("found %d PNG test files, want %d (run go generate)", len(files), len(pngCases))
	}
	for name, want := range pngCases {
		f, err := os.Open(filepath.Join("testdata", "png", name))
		if err != nil {
			t.Error(err)
			continue
		}
		c, err := cipherimg.ReadPNG(f)
		f.Close()
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case want == "":
			if _, err := cipherimg.Decrypt(c, testKey); err != nil {
				t.Errorf("%s: decrypt: %v", name, err)
			}
		case err == nil:
			t.Errorf("%s: accepted, want error containing %q", name, want)
		case c != nil:
			t.Errorf("%s: returned a cipher alongside error %v", name, err)
		case !errors.Is(err, cipherimg.ErrInvalid) || !strings.Contains(err.Error(), want):
			t.Errorf("%s: error %q, want ErrInvalid containing %q", name, err, want)
		}
	}
}

func FuzzReadPNG(f *testing.F) {
	testimg.AddSeeds(f, 0, filepath.Join("testdata", "png", "*.png"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := cipherimg.ReadPNG(bytes.NewReader(b))
		if err != nil {
			if c != nil {
				t.Fatal("cipher returned alongside an error")
			}
			if !errors.Is(err, cipherimg.ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if c.Image.Bounds().Dx()*c.Image.Bounds().Dy() > 1<<16 {
			return // keep the fuzzer fast
		}
		// Anything ReadPNG accepts must decrypt and write back.
		if _, err := cipherimg.Decrypt(c, testKey); err != nil {
			t.Fatalf("accepted PNG does not decrypt: %v", err)
		}
		var out bytes.Buffer
		if err := cipherimg.WritePNG(&out, c); err != nil {
			t.Fatalf("accepted PNG does not write back: %v", err)
		}
	})
}

func FuzzHeaderText(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "vectors", "*.txt"))
	for _, p := range files {
		if h, ok := readVector(f, p)["header"]; ok {
			f.Add(h)
		}
	}
	f.Add("version=1")
	f.Add("version=2 scheme=arnold width=3 height=2 depth=8")
	f.Add("version=2 scheme=cipherimg")
	f.Fuzz(func(t *testing.T, s string) {
		var hd cipherimg.Header
		if err := hd.UnmarshalText([]byte(s)); err != nil {
			if !errors.Is(err, cipherimg.ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		out, err := hd.MarshalText()
		if err != nil {
			t.Fatalf("accepted header does not marshal: %v", err)
		}
		var hd2 cipherimg.Header
		if err := hd2.UnmarshalText(out); err != nil {
			t.Fatalf("re-parse of %q: %v", out, err)
		}
		out2, _ := hd2.MarshalText()
		if !bytes.Equal(out, out2) {
			t.Fatalf("header round trip differs: %q vs %q", out, out2)
		}
	})
}

// TestLegacyHeaders: files written before header version 2 keep decoding,
// as medqr's own scheme.
func TestLegacyHeaders(t *testing.T) {
	for _, name := range []string{"legacy-v1-8bit.png", "legacy-v1-16bit.png"} {
		f, err := os.Open(filepath.Join("testdata", "png", name))
		if err != nil {
			t.Fatal(err)
		}
		c, err := cipherimg.ReadPNG(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if c.Header.Version != cipherimg.LegacyVersion || c.Header.SchemeName() != cipherimg.SchemeName {
			t.Fatalf("%s: version %d scheme %q, want version %d, %s", name, c.Header.Version, c.Header.SchemeName(), cipherimg.LegacyVersion, cipherimg.SchemeName)
		}
		// the same plaintext encrypted now (version 2) gives the same pixels
		plain, err := cipherimg.Decrypt(c, testKey)
		if err != nil {
			t.Fatal(err)
		}
		again, err := cipherimg.Encrypt(plain, testKey, cipherimg.Options{Keystream: c.Header.Keystream, Nonce: c.Header.Nonce})
		if err != nil {
			t.Fatal(err)
		}
		if !samePixels(again.Image, c.Image) {
			t.Fatalf("%s: today's encryption of its plaintext differs from the old file", name)
		}
	}
}
