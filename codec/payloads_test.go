package codec

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"image"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updatePayloads = flag.Bool("update-payloads", false, "write the missing codec/testdata/payload-*.bin files with the current encoders (for a new format version)")

// shippedPayload is one payload of a format version that has shipped: QR
// codes already printed hold such bytes, so every one must keep decoding to
// the same pixels. Files are written by this test with -update-payloads
// (from the encoder of the time, only where missing) and never edited by
// hand; a new version adds a file and leaves the old ones alone.
type shippedPayload struct {
	file  string // under testdata/
	codec string // registered name
	img   func(t *testing.T) image.Image
	// current marks the newest version: Encode still writes exactly these
	// bytes (lossless), or at least this version (lossy).
	current bool
	// budget is the Encode budget the file was made with (0: none).
	budget int
	// minPSNR, for lossy codecs, is the least PSNR (dB) against the source
	// the decoded pixels may have (a little under the value when the file
	// was made, so retrained decoder weights pass and a decoder that reads
	// the stream wrongly fails); 0 means the pixels must be exact.
	minPSNR float64
}

func xrayCrop(t *testing.T) image.Image {
	return loadPNG(t, "cxr256.png").(*image.Gray).SubImage(image.Rect(96, 80, 160, 128))
}

func cr16Crop(t *testing.T) image.Image {
	return loadPNG(t, "cr16_256.png").(*image.Gray16).SubImage(image.Rect(64, 64, 112, 96))
}

func xray256(t *testing.T) image.Image { return loadPNG(t, "cxr256.png") }

var shippedPayloads = []shippedPayload{
	{file: "payload-iwave-v1-H.bin", codec: "iwave", img: xray256, budget: 1225, minPSNR: 34.5},
	{file: "payload-iwave-v2-H.bin", codec: "iwave", img: xray256, budget: 1225, minPSNR: 34.5},
	{file: "payload-iwave-v3-H.bin", codec: "iwave", img: xray256, budget: 1225, minPSNR: 35.1},
	{file: "payload-iwave-v4-H.bin", codec: "iwave", img: xray256, budget: 1225, minPSNR: 35.4, current: true},
	{file: "payload-lossless-v1-gray8.bin", codec: "lossless", img: xrayCrop, current: true},
	{file: "payload-lossless-v1-gray16.bin", codec: "lossless", img: cr16Crop, current: true},
}

// TestShippedPayloadsDecode decodes one payload of every shipped format
// version and compares the pixels with the image it was made from.
func TestShippedPayloadsDecode(t *testing.T) {
	for _, sp := range shippedPayloads {
		t.Run(strings.TrimSuffix(sp.file, ".bin"), func(t *testing.T) {
			path := filepath.Join("testdata", sp.file)
			c, err := ByName(sp.codec)
			if err != nil {
				t.Fatal(err)
			}
			want := sp.img(t)
			// Only a missing file is written: a shipped payload is never
			// replaced.
			if _, err := os.Stat(path); *updatePayloads && sp.current && errors.Is(err, fs.ErrNotExist) {
				p, err := c.Encode(want, sp.budget)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, p, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			p, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Decode(p)
			if err != nil {
				t.Fatalf("shipped payload no longer decodes: %v", err)
			}
			if sp.minPSNR > 0 {
				psnr := grayPSNR(want, got)
				t.Logf("decodes to %.2f dB", psnr)
				if psnr < sp.minPSNR {
					t.Fatalf("shipped payload decodes to %.2f dB, want at least %.2f", psnr, sp.minPSNR)
				}
			} else if d := pixelDiff(want, got); d != "" {
				t.Fatalf("shipped payload decodes to other pixels: %s", d)
			}
			if sp.current {
				p2, err := c.Encode(want, sp.budget)
				if err != nil {
					t.Fatal(err)
				}
				if sp.minPSNR > 0 {
					// A lossy encoder may choose differently within a
					// version (rate control, zeroing); it must still
					// write this version.
					if p2[0] != p[0] {
						t.Errorf("Encode writes version %d, the newest shipped file is version %d: add a file for the new version", p2[0], p[0])
					}
					return
				}
				// Trailing zero bytes are implied (the range decoder reads
				// zeros past its input), and since the codec moved onto
				// internal/entropy's coder Encode leaves them out.
				if !bytes.Equal(bytes.TrimRight(p, "\x00"), bytes.TrimRight(p2, "\x00")) {
					t.Errorf("Encode no longer writes the shipped bytes (%d -> %d bytes): a format change needs a new version", len(p), len(p2))
				}
			}
		})
	}
}

// grayPSNR is the PSNR of b against a (same size, 8-bit gray values).
func grayPSNR(a, b image.Image) float64 {
	ab, bb := a.Bounds(), b.Bounds()
	var se float64
	for y := 0; y < ab.Dy(); y++ {
		for x := 0; x < ab.Dx(); x++ {
			ra, _, _, _ := a.At(ab.Min.X+x, ab.Min.Y+y).RGBA()
			rb, _, _, _ := b.At(bb.Min.X+x, bb.Min.Y+y).RGBA()
			d := float64(ra>>8) - float64(rb>>8)
			se += d * d
		}
	}
	mse := se / float64(ab.Dx()*ab.Dy())
	return 10 * math.Log10(255*255/mse)
}

// pixelDiff describes the first difference between two images' bounds
// sizes or gray values, or returns "".
func pixelDiff(a, b image.Image) string {
	ab, bb := a.Bounds(), b.Bounds()
	if ab.Dx() != bb.Dx() || ab.Dy() != bb.Dy() {
		return fmt.Sprintf("size %v, want %v", bb.Size(), ab.Size())
	}
	for y := 0; y < ab.Dy(); y++ {
		for x := 0; x < ab.Dx(); x++ {
			ra, _, _, _ := a.At(ab.Min.X+x, ab.Min.Y+y).RGBA()
			rb, _, _, _ := b.At(bb.Min.X+x, bb.Min.Y+y).RGBA()
			if ra != rb {
				return fmt.Sprintf("pixel (%d,%d) is %d, want %d", x, y, rb, ra)
			}
		}
	}
	return ""
}
