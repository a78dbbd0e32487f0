package store

import (
	"fmt"
	"github.com/medqr/medqr/internal/cputime"
	"path/filepath"
	"testing"

	"github.com/medqr/medqr/codec"
	"github.com/medqr/medqr/data"
	"github.com/medqr/medqr/qr"
	"github.com/medqr/medqr/seal"
)

// benchCases are the product modes timed for one 256x256 8-bit X-ray.
func benchCases() []struct {
	name string
	o    Options
} {
	cs := []struct {
		name string
		o    Options
	}{
		{"jpeg-M", Options{Codec: "jpeg", Level: qr.M}},
		{"lossless-L", Options{Codec: "lossless", Multi: true, Level: qr.L}},
	}
	if _, err := codec.ByName("learned"); err == nil {
		cs = append([]struct {
			name string
			o    Options
		}{{"learned-M", Options{Codec: "learned", Level: qr.M}}}, cs...)
	}
	return cs
}

// bench256 writes the preprocessed 256x256 sample X-ray as a PNG and
// returns its path.
func bench256(b *testing.B) string {
	d, err := data.Load(sampleXray)
	if err != nil {
		b.Fatal(err)
	}
	p := filepath.Join(b.TempDir(), "xray256.png")
	if err := WritePNG(p, data.Preprocess(d.Display(), 256), false); err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkEncryptToPNG times the whole encryption of a 256x256 PNG:
// decode, code, seal, render, read-back check, PNG files, key and record.
func BenchmarkEncryptToPNG(b *testing.B) {
	src := bench256(b)
	for _, c := range benchCases() {
		b.Run(c.name, func(b *testing.B) {
			dir := b.TempDir()
			var res *Result
			var err error
			start := cputime.Now()
			for i := 0; b.Loop(); i++ {
				res, err = Encrypt(src, filepath.Join(dir, fmt.Sprint(i)), c.o)
				if err != nil {
					b.Fatal(err)
				}
			}
			cputime.ReportMillis(b, start)
			b.ReportMetric(float64(res.Record.Symbols), "symbols")
		})
	}
}

// BenchmarkDecryptPNG times QR PNG file(s) -> image: read, QR decode,
// authenticate, open, codec decode.
func BenchmarkDecryptPNG(b *testing.B) {
	src := bench256(b)
	for _, c := range benchCases() {
		b.Run(c.name, func(b *testing.B) {
			res, err := Encrypt(src, b.TempDir(), c.o)
			if err != nil {
				b.Fatal(err)
			}
			key := seal.KeyOpener(res.Key)
			start := cputime.Now()
			for b.Loop() {
				if _, err := Decrypt(res.QRFiles, key); err != nil {
					b.Fatal(err)
				}
			}
			cputime.ReportMillis(b, start)
		})
	}
}
