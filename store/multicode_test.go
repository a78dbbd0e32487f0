package store

import (
	"errors"
	"image"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/medqr/medqr/codec"
	"github.com/medqr/medqr/data"
	"github.com/medqr/medqr/qr"
	"github.com/medqr/medqr/seal"
)

func TestSizeForCodes(t *testing.T) {
	for _, tc := range []struct{ n, size int }{
		{1, 256}, {2, 256}, {3, 256}, {4, 512}, {8, 512}, {9, 768}, {15, 768}, {16, 1024}, {24, 1024}, {25, 1280}, {63, 1792}, {64, 2048},
	} {
		if got := SizeForCodes(tc.n); got != tc.size {
			t.Errorf("SizeForCodes(%d) = %d, want %d", tc.n, got, tc.size)
		}
	}
}

// MessageBudget is the exact boundary of seal.SymbolCount: its bytes seal
// into n symbols, one byte more into n+1, in every mode and at every level.
func TestMessageBudget(t *testing.T) {
	pass, err := seal.NewPassphraseSealer("pw", seal.DefaultArgon2) // no KDF runs: only the mode matters
	if err != nil {
		t.Fatal(err)
	}
	id, err := seal.GenerateIdentity(seal.SuiteX25519)
	if err != nil {
		t.Fatal(err)
	}
	sealers := map[string]seal.Sealer{"key": seal.NewKeySealer(seal.Key{}), "passphrase": pass, "x25519": seal.NewRecipientSealer(id.Recipient())}
	for name, s := range sealers {
		for _, l := range qr.Levels {
			c := qr.Capacity(l)
			for _, n := range []int{1, 2, 4, 16, 64} {
				b := MessageBudget(n, c, s)
				if got := seal.SymbolCount(b, c, s); got != n {
					t.Errorf("%s %s: %d bytes need %d symbols, want %d", name, l, b, got, n)
				}
				if got := seal.SymbolCount(b+1, c, s); got != n+1 {
					t.Errorf("%s %s: %d bytes need %d symbols, want %d", name, l, b+1, got, n+1)
				}
			}
			if n1 := MessageBudget(1, c, s); n1 != seal.PayloadBudget(c, s) {
				t.Errorf("%s %s: one symbol holds %d, PayloadBudget %d", name, l, n1, seal.PayloadBudget(c, s))
			}
		}
		if MessageBudget(0, 2953, s) != 0 || MessageBudget(3, 10, s) != 0 {
			t.Errorf("%s: no symbols or too small a capacity must hold nothing", name)
		}
	}
}

func TestPSNRGray(t *testing.T) {
	a := image.NewGray(image.Rect(0, 0, 8, 4))
	off := image.NewGray(a.Rect)
	for i := range off.Pix {
		off.Pix[i] = 1
	}
	for _, tc := range []struct {
		name string
		rec  image.Image
		want float64
	}{
		{"equal", a, math.Inf(1)},
		{"one level everywhere", off, 20 * math.Log10(255)},
		{"other size", image.NewGray(image.Rect(0, 0, 4, 4)), math.Inf(-1)},
		{"gray16 converted", image.NewGray16(a.Rect), math.Inf(1)},
	} {
		if got := psnrGray(a, tc.rec); math.Abs(got-tc.want) > 1e-9 && got != tc.want {
			t.Errorf("%s: %g dB, want %g", tc.name, got, tc.want)
		}
	}
}

// A lossy set: the 224x224 sample over up to 4 level-L codes is coded at
// 224 (never upscaled to 512, and the result says so), and decrypts from
// the files in any order and from the sheet; a missing symbol is named.
func TestLossyMultiRoundTrip(t *testing.T) {
	dir := t.TempDir()
	res, err := Encrypt(sampleXray, dir, Options{Codes: 4, Level: qr.L})
	if err != nil {
		t.Fatal(err)
	}
	rec := res.Record
	if rec.Codec != DefaultCodec() || rec.Width != 224 || rec.Height != 224 || rec.Symbols != 4 || len(res.QRFiles) != 4 || res.SheetFile == "" {
		t.Fatalf("record %+v, sheet %q", rec, res.SheetFile)
	}
	if budget := MessageBudget(4, qr.Capacity(qr.L), seal.NewKeySealer(seal.Key{})); rec.Payload > budget || rec.Payload <= MessageBudget(3, qr.Capacity(qr.L), seal.NewKeySealer(seal.Key{})) {
		t.Errorf("payload %d bytes, want more than three codes hold and at most %d", rec.Payload, budget)
	}
	if !strings.Contains(strings.Join(res.Notes, "\n"), "coded at 224x224, not 512x512 (medqr never upscales)") {
		t.Errorf("notes %q do not say the size was capped", res.Notes)
	}
	for i, f := range res.QRFiles {
		if want := "-0" + string(rune('1'+i)) + "of04.png"; !strings.HasSuffix(f, want) {
			t.Errorf("file %s, want ...%s", f, want)
		}
	}
	key := seal.KeyOpener(res.Key)
	shuffled := slices.Clone(res.QRFiles)
	rand.New(rand.NewPCG(3, 5)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for name, files := range map[string][]string{"shuffled files": shuffled, "sheet": {res.SheetFile}} {
		dec, err := Decrypt(files, key)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !samePixels(res.Decoded, dec.Image) || dec.Symbols != 4 || dec.Level != "L" {
			t.Errorf("%s: not the image encryption decoded (%d symbols, level %q)", name, dec.Symbols, dec.Level)
		}
	}
	_, err = Decrypt(slices.Delete(slices.Clone(shuffled), 1, 2), key)
	var me *seal.MissingError
	if !errors.As(err, &me) || len(me.Missing) != 1 || me.Missing[0] != slices.Index(res.QRFiles, shuffled[1]) {
		t.Fatalf("one file left out: err = %v", err)
	}
}

// Options.PSNR picks the fewest codes whose decoded image reaches the
// target, and names the best set when none does.
func TestPSNRTarget(t *testing.T) {
	d, err := data.Load(sampleXray)
	if err != nil {
		t.Fatal(err)
	}
	c, err := codec.ByName(DefaultCodec())
	if err != nil {
		t.Fatal(err)
	}
	s := seal.NewKeySealer(seal.Key{})
	src := d.Display()
	// PSNR of 1..3 codes at 128x128, level H.
	var got [4]float64
	for n := 1; n <= 3; n++ {
		m, err := codeMulti(c, src, Options{Codes: n, Size: 128}, qr.H, s, DefaultMaxSymbols)
		if err != nil {
			t.Fatal(err)
		}
		got[n] = m.psnr
	}
	if !(got[1] < got[2] && got[2] < got[3]) {
		t.Fatalf("PSNR of 1, 2, 3 codes: %.2f %.2f %.2f dB, want increasing", got[1], got[2], got[3])
	}
	for _, tc := range []struct {
		target float64
		codes  int
	}{
		{got[1] - 1, 1}, {(got[1] + got[2]) / 2, 2}, {got[3], 3},
	} {
		m, err := codeMulti(c, src, Options{PSNR: tc.target, Codes: 3, Size: 128}, qr.H, s, DefaultMaxSymbols)
		if err != nil {
			t.Fatalf("target %.2f dB: %v", tc.target, err)
		}
		if m.codes != tc.codes || m.psnr < tc.target || m.img.Rect.Dx() != 128 {
			t.Errorf("target %.2f dB: %d codes at %d (%.2f dB), want %d", tc.target, m.codes, m.img.Rect.Dx(), m.psnr, tc.codes)
		}
	}
	_, err = codeMulti(c, src, Options{PSNR: got[3] + 5, Codes: 3, Size: 128}, qr.H, s, DefaultMaxSymbols)
	var pe *PSNRError
	if !errors.As(err, &pe) || pe.BestCodes != 3 || pe.Max != 3 || math.Abs(pe.Best-got[3]) > 1e-9 {
		t.Fatalf("unreachable target: err = %v", err)
	}
	// Without a size, the size follows the count (1-3 codes: 256), capped
	// at the 224x224 source.
	m, err := codeMulti(c, src, Options{PSNR: 1, Codes: 2}, qr.H, s, DefaultMaxSymbols)
	if err != nil || m.codes != 1 || m.img.Rect.Dx() != 224 || len(m.notes) != 2 {
		t.Fatalf("target 1 dB: %v, notes %q", err, m.notes)
	}
}

func TestMultiOptionErrors(t *testing.T) {
	for _, o := range []Options{
		{Codes: 4, Codec: "lossless"},
		{Codes: 4, Multi: true, Codec: "lossless"},
		{PSNR: 40, Codec: "lossless"},
		{Codes: DefaultMaxSymbols + 1},
		{Codes: 5, MaxSymbols: 4},
		{Codes: -1},
		{PSNR: math.NaN()},
	} {
		dir := t.TempDir()
		if _, err := Encrypt(sampleXray, dir, o); !errors.Is(err, ErrOptions) {
			t.Errorf("%+v: err = %v, want ErrOptions", o, err)
		}
		if names := listDir(t, dir); len(names) != 0 {
			t.Errorf("%+v: left %v", o, names)
		}
	}
}
