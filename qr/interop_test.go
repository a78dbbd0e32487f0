package qr

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/medqr/medqr/internal/testimg"
)

// tool returns the path of an external program; it skips the test when the
// program is missing and CI is unset, and fails it in CI.
func tool(t testing.TB, name, pkg string) string {
	t.Helper()
	return testimg.Tool(t, name, pkg)
}

// zbarRead decodes a PNG with zbarimg and returns the raw symbol bytes.
func zbarRead(zbar, path string) ([]byte, error) {
	cmd := exec.Command(zbar, "--raw", "-q", "-Sdisable", "-Sqrcode.enable", "-Sbinary", path)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("zbarimg %s: %v", filepath.Base(path), err)
	}
	return stdout.Bytes(), nil
}

// interopCase is one payload TestInterop sends both ways at level l.
type interopCase struct {
	name string // LEVEL/what
	l    Level
	p    []byte
}

// interopCases are TestInterop's payloads at every level (seeded); -short
// keeps the full-capacity random and digit payloads.
func interopCases() []interopCase {
	r := rand.New(rand.NewPCG(5, 5))
	var cases []interopCase
	for _, l := range Levels {
		c := Capacity(l)
		for _, k := range []struct {
			name string
			p    []byte
		}{
			{"one byte 00", []byte{0x00}},
			{"one byte ff", []byte{0xff}},
			{"random 100", randBytes(r, 100)},
			{"random 500", randBytes(r, 500)},
			{"random full", randBytes(r, c)},
			{"random length", randBytes(r, 1+r.IntN(c))},
			{"digits full", patterns(c, 3)["digits"]},
			{"mixed full", patterns(c, 4)["mixed"]},
			{"c1 controls", patterns(300, 5)["c1"]},
		} {
			if testing.Short() && k.name != "random full" && k.name != "digits full" {
				continue
			}
			cases = append(cases, interopCase{fmt.Sprintf("%v/%s", l, k.name), l, k.p})
		}
	}
	return cases
}

// TestInterop checks every payload both ways against independent
// implementations, byte-identical: our symbols decoded by zbar (zbarimg),
// and symbols made by libqrencode (qrencode -8) decoded by ours.
func TestInterop(t *testing.T) {
	cases := interopCases()
	t.Run("zbar", func(t *testing.T) {
		zbar := tool(t, "zbarimg", "zbar-tools")
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				img, err := Encode(c.p, c.l, 4)
				if err != nil {
					t.Fatal(err)
				}
				path := filepath.Join(t.TempDir(), "ours.png")
				var buf bytes.Buffer
				if err := png.Encode(&buf, img); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
					t.Fatal(err)
				}
				got, err := zbarRead(zbar, path)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, c.p) {
					t.Fatalf("zbarimg read %d bytes, want %d identical bytes", len(got), len(c.p))
				}
			})
		}
	})
	t.Run("qrencode", func(t *testing.T) {
		tool(t, "qrencode", "qrencode")
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				got, err := Decode(qrencode(t, c.p, c.l))
				if err != nil {
					t.Fatalf("Decode(qrencode %v, %d bytes): %v", c.l, len(c.p), err)
				}
				if !bytes.Equal(got, c.p) {
					t.Fatalf("Decode read %d bytes, want %d identical bytes", len(got), len(c.p))
				}
			})
		}
	})
}

// qrencode returns the symbol libqrencode makes of p at level l, 4 pixels
// per module (qrencode -8 -l l -s 4).
func qrencode(t *testing.T, p []byte, l Level) image.Image {
	t.Helper()
	path := filepath.Join(t.TempDir(), "qrencode.png")
	cmd := exec.Command(tool(t, "qrencode", "qrencode"), "-8", "-l", l.String(), "-s", "4", "-o", path)
	cmd.Stdin = bytes.NewReader(p)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("qrencode: %v: %s", err, out)
	}
	return testimg.ReadPNG(t, path)
}
