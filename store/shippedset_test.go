package store

import (
	"errors"
	"flag"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/medqr/medqr/data"
	"github.com/medqr/medqr/qr"
	"github.com/medqr/medqr/seal"
)

var updateSets = flag.Bool("update-sets", false, "write the missing store/testdata/lossy-set-* folders with the current encoder (for a new set format)")

// shippedSetDir holds a lossy multi-code set (Options.Codes) as Encrypt
// wrote it: its numbered QR PNGs, key file and record, and expect.txt
// (key: value lines: the options, and the least PSNR the decrypted image
// may have against the source, a little under its value when the set was
// made, so retrained decoder weights pass and a misread set fails). Sets
// already printed hold such codes, so the folder is written only by this
// test with -update-sets, where missing, and never edited by hand.
const shippedSetDir = "testdata/lossy-set-v1"

// shippedSetOptions is how the set was made: the 224x224 sample at 128x128
// over two level-H codes (iwave).
var shippedSetOptions = Options{Codec: "iwave", Codes: 2, Size: 128, Level: qr.H}

func TestShippedLossySetDecrypts(t *testing.T) {
	if _, err := os.Stat(shippedSetDir); os.IsNotExist(err) && *updateSets {
		writeShippedSet(t)
	}
	expect := readExpect(t, filepath.Join(shippedSetDir, "expect.txt"))
	pngs, err := filepath.Glob(filepath.Join(shippedSetDir, "medqr-*-*of*.png"))
	if err != nil || len(pngs) != 2 {
		t.Fatalf("%d QR files in %s (%v); run go test ./store -run ShippedLossySet -update-sets where none is", len(pngs), shippedSetDir, err)
	}
	keys, _ := filepath.Glob(filepath.Join(shippedSetDir, "*-key.txt"))
	if len(keys) != 1 {
		t.Fatalf("%d key files in %s", len(keys), shippedSetDir)
	}
	key, err := seal.ReadKeyFile(keys[0])
	var pw *seal.PermissionWarning
	if err != nil && !errors.As(err, &pw) { // a git checkout leaves it 0644
		t.Fatal(err)
	}
	slices.Reverse(pngs)
	dec, err := Decrypt(pngs, seal.KeyOpener(key))
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("codec %s, %dx%d, %d symbols, level %s", dec.Codec, dec.Meta.Width, dec.Meta.Height, dec.Symbols, dec.Level)
	if want := fmt.Sprintf("codec %s, %sx%s, %s symbols, level %s", expect["codec"], expect["size"], expect["size"], expect["symbols"], expect["level"]); got != want {
		t.Fatalf("decrypted %s, want %s", got, want)
	}
	src, err := data.Load(sampleXray)
	if err != nil {
		t.Fatal(err)
	}
	minPSNR, err := strconv.ParseFloat(expect["min_psnr"], 64)
	if err != nil {
		t.Fatal(err)
	}
	if p := psnrGray(data.Preprocess(src.Display(), dec.Meta.Width), dec.Image); p < minPSNR {
		t.Errorf("decrypted set: %.2f dB against the source, want at least %.2f", p, minPSNR)
	}
}

func writeShippedSet(t *testing.T) {
	res, err := Encrypt(sampleXray, shippedSetDir, shippedSetOptions)
	if err != nil {
		t.Fatal(err)
	}
	p := psnrGray(res.Coded.(*image.Gray), res.Decoded)
	expect := fmt.Sprintf("comment: written by TestShippedLossySetDecrypts -update-sets from %s\ncodec: %s\nsize: %d\nsymbols: %d\nlevel: %s\npsnr: %.2f\nmin_psnr: %.2f\n",
		filepath.Base(sampleXray), res.Record.Codec, res.Record.Width, res.Record.Symbols, res.Record.Level, p, p-0.5)
	if err := os.WriteFile(filepath.Join(shippedSetDir, "expect.txt"), []byte(expect), 0o644); err != nil {
		t.Fatal(err)
	}
}

// readExpect reads key: value lines.
func readExpect(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v; run go test ./store -run ShippedLossySet -update-sets where the folder is missing", err)
	}
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("%s: line %q is not key: value", path, line)
		}
		m[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return m
}
