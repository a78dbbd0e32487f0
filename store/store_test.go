package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"image"
	"image/draw"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medqr/medqr/codec"
	"github.com/medqr/medqr/data"
	"github.com/medqr/medqr/internal/pngchunk"
	"github.com/medqr/medqr/internal/testimg"
	"github.com/medqr/medqr/qr"
	"github.com/medqr/medqr/seal"
)

const (
	sampleXray = "../data/samples/kermany_cxr_224/NORMAL/IM-0115-0001.jpeg"
	sampleMR16 = "../data/samples/dicom/pydicom_MR_small.dcm"
)

func fixedNow() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

// listDir returns the names in dir, failing on leftovers of staging.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func readPNG(t *testing.T, path string) image.Image { return testimg.ReadPNG(t, path) }

func samePixels(a, b image.Image) bool { return testimg.SamePixels(a, b) == nil }

// checkQRFile checks that a QR file Encrypt wrote is, byte for byte, the
// PNG qr.EncodePNG writes (an image rendered by qr.Encode, written by
// qr.PNG) for the container it holds at the default module size: the file
// Encrypt wrote before it wrote PNGs from the modules (qr.EncodeSymbolPNG).
func checkQRFile(t *testing.T, path string, level qr.Level) {
	t.Helper()
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := qr.Decode(readPNG(t, path))
	if err != nil {
		t.Fatal(err)
	}
	want, err := qr.EncodePNG(ct, level, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(file, want) {
		t.Fatalf("%s: %d bytes, not the %d bytes qr.EncodePNG writes for its container", path, len(file), len(want))
	}
}

func TestEncryptDecryptSingle(t *testing.T) {
	for _, level := range []qr.Level{qr.L, qr.M, qr.Q, qr.H} {
		t.Run(level.String(), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			res, err := Encrypt(sampleXray, dir, Options{Codec: "jpeg", Level: level, Now: fixedNow})
			if err != nil {
				t.Fatal(err)
			}
			rec := res.Record
			base := "medqr-" + rec.ID
			want := []string{base + "-key.txt", base + ".json", base + ".png"}
			if got := listDir(t, dir); strings.Join(got, " ") != strings.Join(want, " ") {
				t.Fatalf("files %v, want %v", got, want)
			}
			if rec.Codec != "jpeg" || rec.Level != level.String() || rec.Width != 256 || rec.Height != 256 || rec.Depth != 8 || rec.Symbols != 1 || rec.Mode != "key" || rec.Time != "2026-01-02T03:04:05Z" {
				t.Errorf("record %+v", rec)
			}
			// The JSON on disk is the record, and its checksums are right.
			var disk Record
			b, _ := os.ReadFile(res.RecordFile)
			if err := json.Unmarshal(b, &disk); err != nil {
				t.Fatal(err)
			}
			qb, _ := os.ReadFile(res.QRFiles[0])
			sum := sha256.Sum256(qb)
			if disk.QR[0].SHA256 != hex.EncodeToString(sum[:]) || disk.QR[0].Bytes != len(qb) {
				t.Errorf("record checksum %+v does not match the file", disk.QR[0])
			}
			checkQRFile(t, res.QRFiles[0], level)
			fi, err := os.Stat(res.KeyFile)
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("key file mode %v, %v", fi.Mode(), err)
			}
			k, err := seal.ReadKeyFile(res.KeyFile)
			if err != nil || !k.Equal(res.Key) {
				t.Fatalf("key file: %v", err)
			}
			if strings.Contains(string(b), k.String()) {
				t.Fatal("record contains the key")
			}

			dec, err := Decrypt(res.QRFiles, seal.KeyOpener(k))
			if err != nil {
				t.Fatal(err)
			}
			if dec.Codec != "jpeg" || dec.Level != level.String() || dec.Symbols != 1 {
				t.Errorf("decrypted %+v", dec)
			}
			if !samePixels(res.Decoded, dec.Image) {
				t.Error("decrypted image differs from the image Encrypt reported")
			}
			if dec.Image.Bounds().Size() != image.Pt(256, 256) {
				t.Errorf("decrypted size %v", dec.Image.Bounds())
			}

			other, _ := seal.GenerateKey()
			if _, err := Decrypt(res.QRFiles, seal.KeyOpener(other)); !errors.Is(err, seal.ErrAuth) {
				t.Errorf("wrong key: err = %v, want ErrAuth", err)
			}
		})
	}
}

// TestEncrypt256Stays256 checks the promise for an 8-bit
// 256x256 input in both modes.
func TestEncrypt256Stays256(t *testing.T) {
	src := filepath.Join(t.TempDir(), "in.png")
	d, err := data.Load(sampleXray)
	if err != nil {
		t.Fatal(err)
	}
	g := data.Preprocess(d.Display(), 256)
	writePNG(t, src, g)
	for _, o := range []Options{{Codec: "jpeg"}, {Codec: "lossless", Multi: true, Level: qr.L}} {
		res, err := Encrypt(src, filepath.Join(t.TempDir(), "o"), o)
		if err != nil {
			t.Fatal(err)
		}
		dec, err := Decrypt(res.QRFiles, seal.KeyOpener(res.Key))
		if err != nil {
			t.Fatal(err)
		}
		if dec.Image.Bounds().Size() != image.Pt(256, 256) {
			t.Errorf("%s: decrypted %v", o.Codec, dec.Image.Bounds())
		}
		if o.Codec == "lossless" && !samePixels(g, dec.Image) {
			t.Error("lossless round trip is not exact")
		}
	}
}

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	if err := WritePNG(path, img, false); err != nil {
		t.Fatal(err)
	}
}

func TestLosslessMulti(t *testing.T) {
	dir := t.TempDir()
	// 128x128 at level H: several symbols, a sheet that stays quick to read.
	res, err := Encrypt(sampleXray, dir, Options{Codec: "lossless", Multi: true, Level: qr.H, Size: 128})
	if err != nil {
		t.Fatal(err)
	}
	src, _ := data.Load(sampleXray)
	want := data.Preprocess(src.Display(), 128)
	n := res.Record.Symbols
	if n < 4 || len(res.QRFiles) != n || res.SheetFile == "" {
		t.Fatalf("%d symbols, %d files, sheet %q", n, len(res.QRFiles), res.SheetFile)
	}
	t.Logf("lossless 128x128 8-bit: %d payload bytes in %d level-H symbols", res.Record.Payload, n)
	for _, f := range res.QRFiles {
		checkQRFile(t, f, qr.H)
	}
	if !samePixels(want, res.Coded) {
		t.Fatal("lossless did not code the preprocessed pixels")
	}
	key := seal.KeyOpener(res.Key)

	// Any order.
	shuffled := append([]string(nil), res.QRFiles...)
	rand.New(rand.NewPCG(1, 1)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	dec, err := Decrypt(shuffled, key)
	if err != nil {
		t.Fatal(err)
	}
	if !samePixels(want, dec.Image) || dec.Symbols != n {
		t.Fatal("shuffled symbols: not the exact image")
	}
	// The sheet alone.
	dec, err = Decrypt([]string{res.SheetFile}, key)
	if err != nil {
		t.Fatalf("sheet: %v", err)
	}
	if !samePixels(want, dec.Image) {
		t.Fatal("sheet: not the exact image")
	}
	// Missing symbols are named (1-based).
	_, err = Decrypt(append(append([]string(nil), res.QRFiles[:1]...), res.QRFiles[3:]...), key)
	var me *seal.MissingError
	if !errors.As(err, &me) || len(me.Missing) != 2 || me.Missing[0] != 1 || me.Missing[1] != 2 {
		t.Fatalf("missing 2 and 3: err = %v", err)
	}
	if !strings.Contains(err.Error(), "number 2, 3") {
		t.Errorf("error %q does not name symbols 2 and 3", err)
	}
	// Symbols of another message do not mix in: the key opens its own
	// message and the other record's codes are counted.
	res2, err := Encrypt(sampleXray, t.TempDir(), Options{Codec: "jpeg"})
	if err != nil {
		t.Fatal(err)
	}
	dec, err = Decrypt(append(res.QRFiles, res2.QRFiles...), key)
	if err != nil {
		t.Fatalf("with another record's code: %v", err)
	}
	if !samePixels(want, dec.Image) || dec.Others != len(res2.QRFiles) || dec.OtherRecords != 1 {
		t.Fatalf("with another record's code: exact %v, others %d in %d records", samePixels(want, dec.Image), dec.Others, dec.OtherRecords)
	}
	// A symbol of the set whose header was altered (its index) is damage,
	// exit-3 class, not a missing symbol.
	ct, err := qr.Decode(readPNG(t, res.QRFiles[1]))
	if err != nil {
		t.Fatal(err)
	}
	ct[20] ^= 0x40 // the symbol index: 1 -> 16385, beyond the count
	sym, err := qr.Encode(ct, qr.L, 4)
	if err != nil {
		t.Fatal(err)
	}
	imgs := []image.Image{sym}
	for i, p := range res.QRFiles {
		if i != 1 {
			imgs = append(imgs, readPNG(t, p))
		}
	}
	if _, err := DecryptImages(imgs, key); !errors.Is(err, ErrDamaged) || !errors.Is(err, seal.ErrAuth) {
		t.Fatalf("set with a damaged header: err = %v, want ErrDamaged", err)
	}
	// The other record's key opens the other record only.
	dec, err = Decrypt(append(res.QRFiles, res2.QRFiles...), seal.KeyOpener(res2.Key))
	if err != nil || dec.Codec != "jpeg" || dec.Others != len(res.QRFiles) {
		t.Fatalf("other key: err = %v", err)
	}
}

func TestLossless16(t *testing.T) {
	d, err := data.Load(sampleMR16)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := d.Image.(*image.Gray16); !ok {
		t.Fatalf("sample decodes to %T", d.Image)
	}
	res, err := Encrypt(sampleMR16, t.TempDir(), Options{Codec: "lossless", Multi: true})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := Decrypt(res.QRFiles, seal.KeyOpener(res.Key))
	if err != nil {
		t.Fatal(err)
	}
	if dec.Meta.Depth != 16 || !samePixels(d.Image, dec.Image) {
		t.Fatalf("16-bit round trip not exact (depth %d, %T)", dec.Meta.Depth, dec.Image)
	}
	// And it survives a 16-bit PNG.
	out := filepath.Join(t.TempDir(), "out.png")
	writePNG(t, out, dec.Image)
	if !samePixels(d.Image, readPNG(t, out)) {
		t.Fatal("16-bit PNG output differs")
	}
}

func TestLosslessSingleCode(t *testing.T) {
	// A small image fits one symbol.
	small := image.NewGray(image.Rect(0, 0, 33, 17))
	for i := range small.Pix {
		small.Pix[i] = byte(i * 3)
	}
	src := filepath.Join(t.TempDir(), "small.png")
	writePNG(t, src, small)
	res, err := Encrypt(src, t.TempDir(), Options{Codec: "lossless"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.QRFiles) != 1 || res.SheetFile != "" {
		t.Fatalf("files %v sheet %q", res.QRFiles, res.SheetFile)
	}
	dec, err := Decrypt(res.QRFiles, seal.KeyOpener(res.Key))
	if err != nil || !samePixels(small, dec.Image) {
		t.Fatalf("small lossless: %v", err)
	}
	// An X-ray does not, and nothing is written.
	dir := filepath.Join(t.TempDir(), "o")
	_, err = Encrypt(sampleXray, dir, Options{Codec: "lossless", Level: qr.H})
	var fe *FitError
	if !errors.As(err, &fe) || !fe.MultiOff || fe.Symbols < 2 {
		t.Fatalf("err = %v, want *FitError", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("output folder created on failure")
	}
	// The symbol cap.
	_, err = Encrypt(sampleXray, dir, Options{Codec: "lossless", Multi: true, Level: qr.H, MaxSymbols: 3})
	if !errors.As(err, &fe) || fe.MultiOff || fe.Max != 3 {
		t.Fatalf("cap: err = %v, want *FitError", err)
	}
}

func TestRecipientAndPassphrase(t *testing.T) {
	id, err := seal.GenerateIdentity(seal.SuiteX25519)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	res, err := Encrypt(sampleXray, dir, Options{Codec: "jpeg", Recipient: id.Recipient()})
	if err != nil {
		t.Fatal(err)
	}
	if res.KeyFile != "" || len(listDir(t, dir)) != 2 {
		t.Fatalf("recipient mode wrote %v", listDir(t, dir))
	}
	if _, err := Decrypt(res.QRFiles, seal.IdentityOpener(id)); err != nil {
		t.Fatal(err)
	}
	if testing.Short() {
		return
	}
	res, err = Encrypt(sampleXray, t.TempDir(), Options{Codec: "jpeg", Passphrase: "correct horse battery staple"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decrypt(res.QRFiles, seal.PassphraseOpener("correct horse battery staple")); err != nil {
		t.Fatal(err)
	}
	if _, err := Decrypt(res.QRFiles, seal.PassphraseOpener("wrong")); !errors.Is(err, seal.ErrAuth) {
		t.Fatalf("wrong passphrase: %v", err)
	}
}

func TestDecryptBadInput(t *testing.T) {
	dir := t.TempDir()
	notImage := filepath.Join(dir, "notes.txt")
	os.WriteFile(notImage, []byte("not an image"), 0o644)
	blank := filepath.Join(dir, "blank.png")
	writePNG(t, blank, image.NewGray(image.Rect(0, 0, 64, 64)))
	foreign := filepath.Join(dir, "foreign.png")
	fq, err := qr.Encode([]byte("https://example.org/not-medqr"), qr.M, 4)
	if err != nil {
		t.Fatal(err)
	}
	writePNG(t, foreign, fq)
	foreignBin := filepath.Join(dir, "foreign-bin.png")
	fq, err = qr.Encode(bytes.Repeat([]byte{0xC3, 0x00, 0x9F}, 50), qr.M, 4)
	if err != nil {
		t.Fatal(err)
	}
	writePNG(t, foreignBin, fq)
	k, _ := seal.GenerateKey()
	for _, tc := range []struct {
		path string
		want error
	}{
		{notImage, ErrNotImage},
		{blank, ErrNoQR},
		{foreign, ErrForeignQR},
		{foreignBin, ErrForeignQR},
		{filepath.Join(dir, "absent.png"), os.ErrNotExist},
	} {
		_, err := Decrypt([]string{tc.path}, seal.KeyOpener(k))
		var fe *FileError
		if !errors.Is(err, tc.want) || !errors.As(err, &fe) || fe.Path != tc.path {
			t.Errorf("%s: err = %v, want %v naming the file", filepath.Base(tc.path), err, tc.want)
		}
	}
}

func TestEncryptBadInput(t *testing.T) {
	dir := t.TempDir()
	notImage := filepath.Join(dir, "notes.txt")
	os.WriteFile(notImage, []byte("not an image"), 0o644)
	out := filepath.Join(dir, "out")
	if _, err := Encrypt(notImage, out, Options{}); err == nil || !strings.Contains(err.Error(), notImage) {
		t.Errorf("non-image: err = %v", err)
	}
	if _, err := Encrypt(sampleXray, out, Options{Codec: "jpeg", Multi: true}); !errors.Is(err, ErrOptions) {
		t.Errorf("jpeg multi: err = %v", err)
	}
	if _, err := Encrypt(sampleXray, out, Options{Codec: "webp"}); !errors.Is(err, codec.ErrUnknown) {
		t.Errorf("unknown codec: err = %v", err)
	}
	huge := filepath.Join(dir, "huge.png")
	os.WriteFile(huge, hugePNG(20000, 20000), 0o644)
	if _, err := Encrypt(huge, out, Options{}); !errors.Is(err, data.ErrTooLarge) || !strings.Contains(err.Error(), huge) {
		t.Errorf("huge image: err = %v, want data.ErrTooLarge naming the file", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Error("output folder created on failure")
	}
}

// hugePNG is a PNG header declaring a w x h 8-bit gray image, with no
// pixel data: it must be refused from its header alone.
func hugePNG(w, h uint32) []byte {
	b := pngchunk.Append([]byte(pngchunk.Signature), "IHDR", pngchunk.IHDR(w, h, 8, 0))
	b = pngchunk.Append(b, "IDAT", nil)
	return pngchunk.Append(b, "IEND", nil)
}

// TestNoOverwrite checks that a name collision fails, removes what it
// linked, and leaves the existing file alone.
func TestNoOverwrite(t *testing.T) {
	dir := t.TempDir()
	st, err := newStaging(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.cleanup()
	for _, n := range []string{"a.png", "b.png", "c.png"} {
		if err := st.write(n, []byte(n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "b.png"), []byte("precious"), 0o644)
	if err := st.commit(); !errors.Is(err, ErrExists) {
		t.Fatalf("commit: err = %v, want ErrExists", err)
	}
	st.cleanup()
	if got := listDir(t, dir); len(got) != 1 || got[0] != "b.png" {
		t.Fatalf("left %v", got)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "b.png")); string(b) != "precious" {
		t.Fatal("existing file changed")
	}
	// A staging that created its folder and never committed removes it.
	fresh := filepath.Join(dir, "fresh")
	st2, err := newStaging(fresh)
	if err != nil {
		t.Fatal(err)
	}
	if err := st2.write("x.png", []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	st2.cleanup()
	if _, err := os.Stat(fresh); !os.IsNotExist(err) {
		t.Errorf("uncommitted staging left its new folder: %v", err)
	}
	// WritePNG refuses too, unless forced.
	p := filepath.Join(dir, "b.png")
	img := image.NewGray(image.Rect(0, 0, 1, 1))
	if err := WritePNG(p, img, false); !errors.Is(err, ErrExists) {
		t.Fatalf("WritePNG: err = %v", err)
	}
	if err := WritePNG(p, img, true); err != nil {
		t.Fatal(err)
	}
	if got := listDir(t, dir); len(got) != 1 {
		t.Fatalf("temp files left: %v", got)
	}
}

// TestDamaged: a QR code damaged beyond its error correction does not read;
// a symbol whose sealed bytes were altered and re-encoded reads but is
// refused by authentication.
func TestDamaged(t *testing.T) {
	res, err := Encrypt(sampleXray, t.TempDir(), Options{Codec: "jpeg", Level: qr.M})
	if err != nil {
		t.Fatal(err)
	}
	key := seal.KeyOpener(res.Key)
	img := readPNG(t, res.QRFiles[0]) // a 1-bit paletted PNG
	damaged := image.NewGray(img.Bounds())
	draw.Draw(damaged, damaged.Rect, img, img.Bounds().Min, draw.Src)
	b := damaged.Rect.Dx()
	for y := b / 5; y < b*4/5; y++ {
		for x := b / 5; x < b*4/5; x++ {
			damaged.Pix[y*damaged.Stride+x] = 0
		}
	}
	if _, err := DecryptImages([]image.Image{damaged}, key); !errors.Is(err, ErrNoQR) {
		t.Fatalf("damaged: err = %v, want ErrNoQR", err)
	}
	ct, err := qr.Decode(img)
	if err != nil {
		t.Fatal(err)
	}
	// magic, symbol index (made out of range), width, ciphertext, tag
	for _, bit := range []int{0, 8 * 20, 8 * 26, 8 * 40, 8*len(ct) - 1} {
		c := append([]byte(nil), ct...)
		c[bit/8] ^= 1 << (bit % 8)
		sym, err := qr.Encode(c, qr.M, 4)
		if err != nil {
			t.Fatal(err)
		}
		_, err = DecryptImages([]image.Image{sym}, key)
		var fe *seal.FormatError
		if bit == 0 {
			if !errors.Is(err, ErrForeignQR) {
				t.Errorf("bit %d: err = %v, want ErrForeignQR", bit, err)
			}
		} else if bit == 8*20 {
			// An altered header byte after magic and version is damage,
			// the same class as a failed tag.
			if !errors.Is(err, ErrDamaged) || !errors.Is(err, seal.ErrAuth) || errors.As(err, &fe) {
				t.Errorf("bit %d: err = %v, want ErrDamaged matching seal.ErrAuth", bit, err)
			}
		} else if !errors.Is(err, seal.ErrAuth) {
			t.Errorf("bit %d: err = %v, want ErrAuth", bit, err)
		}
	}
}

// TestDecodeImageLargeFile: a QR PNG whose file is larger than the bytes
// decodeImage holds in memory for qr's 1-bit reader (here a valid symbol
// followed by trailing bytes, which image/png ignores after IEND) still
// decodes, through image.Decode, to the pixels of the plain file.
func TestDecodeImageLargeFile(t *testing.T) {
	_, file, _, err := qr.EncodeSymbolPNG([]byte("medqr"), qr.L, 4)
	if err != nil {
		t.Fatal(err)
	}
	want, err := decodeImage(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	big := append(bytes.Clone(file), make([]byte, maxBilevelBytes)...)
	got, err := decodeImage(bytes.NewReader(big))
	if err != nil {
		t.Fatalf("%d-byte file: %v", len(big), err)
	}
	if !got.Bounds().Eq(want.Bounds()) {
		t.Fatalf("bounds %v, want %v", got.Bounds(), want.Bounds())
	}
	for y := range want.Bounds().Dy() {
		for x := range want.Bounds().Dx() {
			if g, w := gray8(got, x, y), gray8(want, x, y); g != w {
				t.Fatalf("pixel (%d, %d) %d, want %d", x, y, g, w)
			}
		}
	}
}

func gray8(img image.Image, x, y int) uint8 {
	r, _, _, _ := img.At(img.Bounds().Min.X+x, img.Bounds().Min.Y+y).RGBA()
	return uint8(r >> 8)
}
