package qr

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"testing"

	"github.com/medqr/medqr/internal/cputime"
)

// Benchmarks of full version-40 symbols (random full-capacity payloads) at
// the default 4 px per module (740 x 740 pixels). Besides wall time they
// report cpu-ms/op (user+system CPU time of the process per operation),
// which a busy shared machine does not inflate.

// benchLevels runs one sub-benchmark per error-correction level on a
// random full-capacity payload p: setup (untimed) returns the operation
// that each loop iteration runs, and optionally a function that reports
// more metrics after the loop (the loop's start clears earlier ones).
func benchLevels(b *testing.B, setup func(b *testing.B, l Level, p []byte) (op func() error, after func())) {
	for _, l := range Levels {
		p := randBytes(rand.New(rand.NewPCG(1, 1)), Capacity(l))
		b.Run(l.String(), func(b *testing.B) {
			b.SetBytes(int64(len(p)))
			op, after := setup(b, l, p)
			start := cputime.Now()
			for b.Loop() {
				if err := op(); err != nil {
					b.Fatal(err)
				}
			}
			cputime.ReportMillis(b, start)
			if after != nil {
				after()
			}
		})
	}
}

// decodeOp checks that a decode gave back all of p.
func decodeOp(p []byte, decode func() ([]byte, error)) func() error {
	return func() error {
		got, err := decode()
		if err == nil && len(got) != len(p) {
			err = fmt.Errorf("decoded %d bytes, want %d", len(got), len(p))
		}
		return err
	}
}

func BenchmarkEncode(b *testing.B) {
	benchLevels(b, func(b *testing.B, l Level, p []byte) (func() error, func()) {
		return func() error {
			_, err := Encode(p, l, 4)
			return err
		}, nil
	})
}

func BenchmarkEncodePNG(b *testing.B) {
	benchLevels(b, func(b *testing.B, l Level, p []byte) (func() error, func()) {
		var out []byte
		return func() (err error) {
				out, err = EncodePNG(p, l, 4)
				return err
			}, func() {
				b.ReportMetric(float64(len(out)), "png-bytes")
			}
	})
}

// BenchmarkDecodePNG is the reverse path: PNG file bytes to payload.
func BenchmarkDecodePNG(b *testing.B) {
	benchLevels(b, func(b *testing.B, l Level, p []byte) (func() error, func()) {
		file, err := EncodePNG(p, l, 4)
		if err != nil {
			b.Fatal(err)
		}
		return decodeOp(p, func() ([]byte, error) {
			img, err := png.Decode(bytes.NewReader(file))
			if err != nil {
				return nil, err
			}
			return Decode(img)
		}), nil
	})
}

func BenchmarkDecode(b *testing.B) {
	benchLevels(b, func(b *testing.B, l Level, p []byte) (func() error, func()) {
		img, err := Encode(p, l, 4)
		if err != nil {
			b.Fatal(err)
		}
		return decodeOp(p, func() ([]byte, error) { return Decode(img) }), nil
	})
}

// BenchmarkDecodeAllSheet reads a Sheet of 12 full level-M symbols (the
// size of a lossless multi-code message).
func BenchmarkDecodeAllSheet(b *testing.B) {
	r := rand.New(rand.NewPCG(2, 2))
	var syms []*image.Gray
	for range 12 {
		img, err := Encode(randBytes(r, Capacity(M)), M, 4)
		if err != nil {
			b.Fatal(err)
		}
		syms = append(syms, img)
	}
	sheet := Sheet(syms, 4)
	start := cputime.Now()
	for b.Loop() {
		got, err := DecodeAll(sheet)
		if err != nil || len(got) != 12 {
			b.Fatalf("DecodeAll: %d payloads, %v", len(got), err)
		}
	}
	cputime.ReportMillis(b, start)
}
