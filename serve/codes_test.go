package serve

import (
	"testing"
)

// Several lossy codes (the codes field, store.Options.Codes): 4 codes of
// the 1024x1024 chest DICOM give a 512x512 set that decrypts from its sheet;
// a bad count, or codes with lossless, is refused on the codes field.
func TestEncryptCodes(t *testing.T) {
	s := newServer(t, Config{})
	img := readFile(t, demoDICOM)
	r := encrypt(t, s, file("image", "chest.dcm", img), field("codes", "4"), field("level", "L"))
	if len(r.QR) != 4 || r.Sheet == "" || r.Record.Width != 512 || r.Record.Symbols != 4 || r.Fidelity.PSNR == nil {
		t.Fatalf("4 codes: %d codes, sheet %q, record %+v", len(r.QR), r.Sheet, r.Record)
	}
	w := apiPost(t, s, "/api/decrypt", file("qr", "sheet.png", get(t, s, r.Sheet)), field("key", r.Key))
	if w.Code != 200 || w.Header().Get(HeaderWidth) != "512" || w.Header().Get(HeaderSymbols) != "4" {
		t.Fatalf("sheet decrypt: %d %s", w.Code, w.Body.String())
	}
	for _, bad := range [][]part{
		{field("codes", "x")},
		{field("codes", "65")},
		{field("codes", "4"), field("lossless", "true")},
	} {
		w := apiPost(t, s, "/api/encrypt", append(bad, file("image", "a.jpeg", readFile(t, sampleJPEG)))...)
		if e := decodeError(t, w); w.Code != 400 || e.Field != "codes" || e.Hint == "" {
			t.Errorf("%v: %d %+v, want 400 on the codes field with a hint", bad, w.Code, e)
		}
	}
}
