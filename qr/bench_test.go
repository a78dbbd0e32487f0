package qr

import (
	"bytes"
	"github.com/medqr/medqr/internal/cputime"
	"image"
	"image/png"
	"math/rand/v2"
	"testing"
	"time"
)

// Benchmarks of full version-40 symbols (random full-capacity payloads) at
// the default 4 px per module (740 x 740 pixels). Besides wall time they
// report cpu-ms/op (user+system CPU time of the process per operation),
// which a busy shared machine does not inflate.

// cpuTimer measures process CPU time across a benchmark loop.
type cpuTimer struct{ start time.Duration }

func startCPU() cpuTimer { return cpuTimer{cputime.Now()} }

func (c cpuTimer) report(b *testing.B) {
	b.ReportMetric(float64(cputime.Now()-c.start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

func BenchmarkEncode(b *testing.B) {
	for _, l := range Levels {
		p := randBytes(rand.New(rand.NewPCG(1, 1)), Capacity(l))
		b.Run(l.String(), func(b *testing.B) {
			b.SetBytes(int64(len(p)))
			cpu := startCPU()
			for b.Loop() {
				if _, err := Encode(p, l, 4); err != nil {
					b.Fatal(err)
				}
			}
			cpu.report(b)
		})
	}
}

func BenchmarkEncodePNG(b *testing.B) {
	for _, l := range Levels {
		p := randBytes(rand.New(rand.NewPCG(1, 1)), Capacity(l))
		b.Run(l.String(), func(b *testing.B) {
			b.SetBytes(int64(len(p)))
			var out []byte
			cpu := startCPU()
			for b.Loop() {
				var err error
				if out, err = EncodePNG(p, l, 4); err != nil {
					b.Fatal(err)
				}
			}
			cpu.report(b)
			b.ReportMetric(float64(len(out)), "png-bytes")
		})
	}
}

// BenchmarkDecodePNG is the reverse path: PNG file bytes to payload.
func BenchmarkDecodePNG(b *testing.B) {
	for _, l := range Levels {
		p := randBytes(rand.New(rand.NewPCG(1, 1)), Capacity(l))
		file, err := EncodePNG(p, l, 4)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(l.String(), func(b *testing.B) {
			b.SetBytes(int64(len(p)))
			cpu := startCPU()
			for b.Loop() {
				img, err := png.Decode(bytes.NewReader(file))
				if err != nil {
					b.Fatal(err)
				}
				if got, err := Decode(img); err != nil || len(got) != len(p) {
					b.Fatal(err)
				}
			}
			cpu.report(b)
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, l := range Levels {
		p := randBytes(rand.New(rand.NewPCG(1, 1)), Capacity(l))
		img, err := Encode(p, l, 4)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(l.String(), func(b *testing.B) {
			b.SetBytes(int64(len(p)))
			cpu := startCPU()
			for b.Loop() {
				got, err := Decode(img)
				if err != nil || len(got) != len(p) {
					b.Fatal(err)
				}
			}
			cpu.report(b)
		})
	}
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
	cpu := startCPU()
	for b.Loop() {
		got, err := DecodeAll(sheet)
		if err != nil || len(got) != 12 {
			b.Fatalf("DecodeAll: %d payloads, %v", len(got), err)
		}
	}
	cpu.report(b)
}
