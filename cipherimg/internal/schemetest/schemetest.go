// Package schemetest holds the checks every cipherimg.Scheme must pass:
// exact round trips on odd and large sizes at every depth it covers, a
// clear refusal of the depths it does not, key dependence, the PNG
// container round trip and, called directly, the refusal of a pixel count
// that does not match the size. Each scheme's test calls Run.
package schemetest

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"os"
	"slices"
	"testing"

	"github.com/medqr/medqr/cipherimg"
	"github.com/medqr/medqr/internal/testimg"
	"github.com/medqr/medqr/seal"
)

// LargeEnv names the environment variable that adds the 2048x2048 round
// trips ("make baselines-large-test" sets it); they take seconds per
// scheme, too long for "make test" on two shared cores.
const LargeEnv = "MEDQR_BASELINES_LARGE"

// Sizes are the round-trip sizes; those above 2^20 pixels run only with
// LargeEnv=1.
var Sizes = [][2]int{{1, 1}, {1, 13}, {13, 1}, {2, 2}, {7, 5}, {31, 17}, {64, 64}, {257, 3}, {2048, 2048}}

// Noise returns a seeded random w x h image of depth bits.
func Noise(seed uint64, w, h, depth int) image.Image {
	return cipherimg.ToImage(testimg.UniformPixels(seed, w, h, depth), w, h, depth)
}

// Key returns a fixed test key with byte 0 set to b.
func Key(b byte) seal.Key {
	var k seal.Key
	for i := range k {
		k[i] = byte(i * 29)
	}
	k[0] = b
	return k
}

func pix(t testing.TB, img image.Image) []uint16 {
	t.Helper()
	px, _, _, _, err := cipherimg.Pixels(img)
	if err != nil {
		t.Fatal(err)
	}
	return px
}

// ThroughPNG writes c as a cipher PNG and reads it back.
func ThroughPNG(t testing.TB, c *cipherimg.Cipher) *cipherimg.Cipher {
	t.Helper()
	var buf bytes.Buffer
	if err := cipherimg.WritePNG(&buf, c); err != nil {
		t.Fatal(err)
	}
	back, err := cipherimg.ReadPNG(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return back
}

// Run checks scheme s.
func Run(t *testing.T, s cipherimg.Scheme) {
	info := s.Info()
	t.Run("refuses", func(t *testing.T) {
		for _, c := range []struct {
			name           string
			n, w, h, depth int
		}{
			{"short buffer", 5, 3, 2, info.Depths[0]},
			{"long buffer", 7, 3, 2, info.Depths[0]},
			{"zero width", 0, 0, 2, info.Depths[0]},
			{"12-bit", 4, 2, 2, 12},
		} {
			k := cipherimg.Keying{Key: Key(1)}
			if err := s.Encrypt(&k, make([]uint16, c.n), c.w, c.h, c.depth); err == nil {
				t.Errorf("%s: encrypt accepted it", c.name)
			}
			if err := s.Decrypt(k, make([]uint16, c.n), c.w, c.h, c.depth); err == nil {
				t.Errorf("%s: decrypt accepted it", c.name)
			}
		}
	})
	for _, depth := range []int{8, 16} {
		covered := slices.Contains(info.Depths, depth)
		for _, sz := range Sizes {
			w, h := sz[0], sz[1]
			if w*h > 1<<20 && (os.Getenv(LargeEnv) != "1" || depth == 16) {
				continue
			}
			t.Run(fmt.Sprintf("%dx%d-%dbit", w, h, depth), func(t *testing.T) {
				img := Noise(uint64(depth), w, h, depth)
				c, err := cipherimg.EncryptWith(s, img, Key(1), nil)
				if !covered {
					if !errors.Is(err, cipherimg.ErrUnsupported) {
						t.Fatalf("%d-bit: err = %v, want ErrUnsupported", depth, err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if w*h >= 64 && slices.Equal(pix(t, c.Image), pix(t, img)) {
					t.Fatal("cipher image equals the plain image")
				}
				back, err := cipherimg.Decrypt(c, Key(1))
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(pix(t, back), pix(t, img)) {
					t.Fatal("decrypt(encrypt(x)) != x")
				}
				if w*h > 1<<16 {
					return
				}
				// deterministic without a nonce; a wrong key decrypts to
				// something else
				if info.NonceSize == 0 {
					c2, err := cipherimg.EncryptWith(s, img, Key(1), nil)
					if err != nil {
						t.Fatal(err)
					}
					if !slices.Equal(pix(t, c2.Image), pix(t, c.Image)) {
						t.Fatal("encryption without a nonce is not deterministic")
					}
				}
				if w*h >= 64 {
					wrong, err := cipherimg.Decrypt(c, Key(2))
					if err != nil {
						t.Fatal(err)
					}
					if slices.Equal(pix(t, wrong), pix(t, img)) {
						t.Fatal("a wrong key decrypts correctly")
					}
				}
				// the PNG container carries everything decryption needs
				c3 := ThroughPNG(t, c)
				if c3.Header.Scheme != s.Name() {
					t.Fatalf("header scheme %q, want %q", c3.Header.Scheme, s.Name())
				}
				back3, err := cipherimg.Decrypt(c3, Key(1))
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(pix(t, back3), pix(t, img)) {
					t.Fatal("round trip through the PNG failed")
				}
			})
		}
	}
}
