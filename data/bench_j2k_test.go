package data

import (
	"encoding/binary"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/medqr/medqr/internal/cputime"
	"github.com/medqr/medqr/internal/testimg"
)

// benchCR writes a 2048x2560 12-bit CR to dir (the shipped 1024x1024 SIIM
// chest X-ray enlarged, with a deterministic low-bit texture) and
// compresses it with tool and args (input and output paths appended); it
// returns the path.
func benchCR(b *testing.B, dir string, tool string, args ...string) string {
	b.Helper()
	for _, t := range []string{tool, "gdcmconv"} {
		if _, err := exec.LookPath(t); err != nil {
			b.Skipf("%s not installed (run scripts/deps.sh test)", t)
		}
	}
	src, err := Load(filepath.Join("samples", "dicom", "siim_acr_cxr_mono2_8bit_jpegbaseline.dcm"))
	if err != nil {
		b.Fatal(err)
	}
	g := src.Image.(*image.Gray)
	const w, h = 2048, 2560
	pix := make([]byte, 0, 2*w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			// Bilinear enlargement to 12 bits, plus a 3-bit texture.
			fx, fy := x*(1024-1)*16/(w-1), y*(1024-1)*16/(h-1)
			x0, y0, ax, ay := fx/16, fy/16, fx%16, fy%16
			x1, y1 := min(x0+1, 1023), min(y0+1, 1023)
			v := (int(g.GrayAt(x0, y0).Y)*(16-ax)*(16-ay) + int(g.GrayAt(x1, y0).Y)*ax*(16-ay) +
				int(g.GrayAt(x0, y1).Y)*(16-ax)*ay + int(g.GrayAt(x1, y1).Y)*ax*ay) / 16
			v = min(v+(x*7+y*13)%8, 4095)
			pix = binary.LittleEndian.AppendUint16(pix, uint16(v))
		}
	}
	native := filepath.Join(dir, "cr.dcm")
	gd := genDICOM{name: "cr", cols: w, rows: h, frames: 1, alloc: 16, stored: 12, pm: "MONOCHROME2"}
	if err := os.WriteFile(native, gd.file(pix), 0o644); err != nil {
		b.Fatal(err)
	}
	out := filepath.Join(dir, "cr-compressed.dcm")
	testimg.Run(b, tool, append(args, native, out)...)
	return out
}

// BenchmarkJ2KCR decodes a 2048x2560 JPEG 2000 CR (reversible and
// irreversible) with LoadRaw, which gives what gdcmconv --raw stores, and
// runs gdcmconv --raw on the same file right after, reporting the
// command's CPU time (user + system) as cpu-ns/op beside ours.
func BenchmarkJ2KCR(b *testing.B) {
	benchAgainstGDCM(b, []benchFile{
		{"lossless", "gdcmconv", []string{"--j2k"}},
		{"lossy", "gdcmconv", []string{"--j2k", "--irreversible", "-q", "45"}},
	})
}

// BenchmarkJPEGLosslessCR does the same for JPEG lossless SV1 (jpegx) and
// JPEG-LS (CharLS), the other syntaxes CR archives use.
func BenchmarkJPEGLosslessCR(b *testing.B) {
	benchAgainstGDCM(b, []benchFile{
		{"jpeg-sv1", "dcmcjpeg", []string{"+e1"}},
		{"jpeg-ls", "gdcmconv", []string{"--jpegls"}},
	})
}

type benchFile struct {
	name string
	tool string
	args []string
}

func benchAgainstGDCM(b *testing.B, files []benchFile) {
	for _, c := range files {
		dir := b.TempDir()
		in := benchCR(b, dir, c.tool, c.args...)
		b.Run(c.name+"/medqr", func(b *testing.B) {
			defer cputime.Start(0).Report(b)
			for b.Loop() {
				if _, err := LoadRaw(in, LoadOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/gdcmconv", func(b *testing.B) {
			var cpu time.Duration
			i := 0
			for b.Loop() {
				out := filepath.Join(dir, "raw.dcm")
				os.Remove(out)
				d, err := cputime.Child(exec.Command("gdcmconv", "--raw", in, out))
				if err != nil {
					b.Fatal(err)
				}
				cpu += d
				i++
			}
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(i), "cpu-ns/op")
		})
	}
}
