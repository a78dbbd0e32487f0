package codec

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
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
// hand; a new version adds a file and leaves the old ones alone. (iwave's
// version 6 gained its deep splits at 9fbd106, in the round that made it
// and before any medqr wrote it outside the tree; its sample was written
// again then, and is frozen from that round's release on.)
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
	// pixels, for lossy codecs, is the SHA-256 (hex) of the decoded pixels
	// (row by row): a payload names the weights it was made with, so a
	// later decoder must give it exactly these pixels on every platform.
	pixels string
}

func xrayCrop(t *testing.T) image.Image {
	return loadPNG(t, "cxr256.png").(*image.Gray).SubImage(image.Rect(96, 80, 160, 128))
}

func cr16Crop(t *testing.T) image.Image {
	return loadPNG(t, "cr16_256.png").(*image.Gray16).SubImage(image.Rect(64, 64, 112, 96))
}

func xray256(t *testing.T) image.Image { return loadPNG(t, "cxr256.png") }

var shippedPayloads = []shippedPayload{
	{file: "payload-iwave-v1-H.bin", codec: "iwave", img: xray256, budget: 1225, minPSNR: 34.5, pixels: "ea09c706fc243bbfd14e5b8cd8d1643d3d7ecb7152803386edf029c43c79e026"},
	{file: "payload-iwave-v2-H.bin", codec: "iwave", img: xray256, budget: 1225, minPSNR: 34.5, pixels: "9138ba9b395ba6aa3b5f602aa1fa91b7c6bd53cb30d22def0cb921fef44f8349"},
	{file: "payload-iwave-v3-H.bin", codec: "iwave", img: xray256, budget: 1225, minPSNR: 35.1, pixels: "d7cefdddf5c34c63ce37258b894d77f32a73fea370d25b31799684d3c394848e"},
	{file: "payload-iwave-v4-H.bin", codec: "iwave", img: xray256, budget: 1225, minPSNR: 35.4, pixels: "5ebbcab34041590dd052fe71a1c18439c59b9e3e1f04977ae4aeea64f73f035b"},
	{file: "payload-iwave-v5-H.bin", codec: "iwave", img: xray256, budget: 1225, minPSNR: 35.6, pixels: "8fa0110da0b44c16e74ca79b9a7e78337b5ac877f4d000af4c72efb02dba58af"},
	{file: "payload-iwave-v6-H.bin", codec: "iwave", img: xray256, budget: 1225, minPSNR: 35.6, pixels: "38e96374301b41f838b19596181f92892e596ba825de238aca8f5f520e276d29", current: true},
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
				if h := pixelSHA256(t, got); h != sp.pixels {
					t.Fatalf("shipped payload decodes to pixels with SHA-256 %s, want %s", h, sp.pixels)
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

// pixelSHA256 is the SHA-256 (hex) of an 8-bit gray image's pixels, row by
// row.
func pixelSHA256(t *testing.T, img image.Image) string {
	t.Helper()
	g, ok := img.(*image.Gray)
	if !ok {
		t.Fatalf("decoded %T, want *image.Gray", img)
	}
	h := sha256.New()
	for y := g.Rect.Min.Y; y < g.Rect.Max.Y; y++ {
		h.Write(g.Pix[g.PixOffset(g.Rect.Min.X, y):][:g.Rect.Dx()])
	}
	return hex.EncodeToString(h.Sum(nil))
}
