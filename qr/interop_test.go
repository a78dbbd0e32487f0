package qr

import (
	"bytes"
	"fmt"
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

// TestInteropZbar decodes our symbols with zbar (an independent reader)
// and requires byte-identical output.
func TestInteropZbar(t *testing.T) {
	zbar := tool(t, "zbarimg", "zbar-tools")
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(5, 5))
	for _, l := range Levels {
		c := Capacity(l)
		cases := map[string][]byte{
			"one byte":      {0x00},
			"random 100":    randBytes(r, 100),
			"random full":   randBytes(r, c),
			"digits full":   patterns(c, 3)["digits"],
			"mixed full":    patterns(c, 4)["mixed"],
			"c1 controls":   patterns(300, 5)["c1"],
			"random length": randBytes(r, 1+r.IntN(c)),
		}
		if testing.Short() {
			cases = map[string][]byte{"random full": cases["random full"], "digits full": cases["digits full"]}
		}
		for name, p := range cases {
			t.Run(fmt.Sprintf("%v/%s", l, name), func(t *testing.T) {
				img, err := Encode(p, l, 4)
				if err != nil {
					t.Fatal(err)
				}
				path := filepath.Join(dir, fmt.Sprintf("%v-%d.png", l, len(p)))
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
				if !bytes.Equal(got, p) {
					t.Fatalf("zbarimg read %d bytes, want %d identical bytes", len(got), len(p))
				}
			})
		}
	}
}

// TestInteropQrencode decodes symbols made by libqrencode (qrencode -8)
// with our decoder.
func TestInteropQrencode(t *testing.T) {
	qrenc := tool(t, "qrencode", "qrencode")
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(6, 6))
	for _, l := range Levels {
		c := Capacity(l)
		cases := map[string][]byte{
			"one byte":    {0xff},
			"random 500":  randBytes(r, 500),
			"random full": randBytes(r, c),
			"digits full": patterns(c, 8)["digits"],
		}
		if testing.Short() {
			delete(cases, "random 500")
			delete(cases, "one byte")
		}
		for name, p := range cases {
			t.Run(fmt.Sprintf("%v/%s", l, name), func(t *testing.T) {
				path := filepath.Join(dir, fmt.Sprintf("%v-%d.png", l, len(p)))
				cmd := exec.Command(qrenc, "-8", "-l", l.String(), "-s", "4", "-o", path)
				cmd.Stdin = bytes.NewReader(p)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("qrencode: %v: %s", err, out)
				}
				got, err := Decode(testimg.ReadPNG(t, path))
				if err != nil {
					t.Fatalf("Decode(qrencode %v, %d bytes): %v", l, len(p), err)
				}
				if !bytes.Equal(got, p) {
					t.Fatalf("Decode read %d bytes, want %d identical bytes", len(got), len(p))
				}
			})
		}
	}
}
