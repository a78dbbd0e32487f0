package store

import (
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/medqr/medqr/internal/cputime"
	"github.com/medqr/medqr/qr"
	"github.com/medqr/medqr/seal"
)

// The benchmarks below put medqr's default product path beside the bare
// tools a user would otherwise pick, interleaved operation by operation so
// a shared machine loads both alike: encrypting one 256x256 X-ray into one
// level-L QR PNG (iwave, key mode, read-back check and fidelity decode
// included) against qrencode writing a version-40 level-L symbol of 2,953
// random bytes to a PNG, and decrypting that QR PNG against zbarimg
// reading the qrencode symbol. Each iteration runs medqr once and the tool
// once; the metrics are CPU time per operation (this process's for medqr,
// the child's user+system time for the tools, process start included, as
// a user pays it) and their ratio:
//
//	go test -run '^$' -bench 'VsTools' -benchtime 20x ./store

// toolCPU runs one command and returns the CPU time the child used.
func toolCPU(b *testing.B, name string, args ...string) time.Duration {
	b.Helper()
	d, err := cputime.Child(exec.Command(name, args...))
	if err != nil {
		b.Fatal(err)
	}
	return d
}

func needTool(b *testing.B, name string) {
	if _, err := exec.LookPath(name); err != nil {
		b.Skipf("%s not on PATH (scripts/deps.sh test): %v", name, err)
	}
}

// qrencodeSymbol writes a version-40 level-L symbol of 2,953 random bytes.
func qrencodeSymbol(b *testing.B, dir string) (time.Duration, string) {
	in := filepath.Join(dir, "payload.bin")
	if _, err := os.Stat(in); err != nil {
		p := make([]byte, qr.Capacity(qr.L))
		rand.Read(p)
		if err := os.WriteFile(in, p, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	out := filepath.Join(dir, "qrencode.png")
	return toolCPU(b, "qrencode", "-8", "-l", "L", "-v", "40", "-r", in, "-o", out), out
}

// vsTool runs medqr's operation and the tool's in turn, b.N times each,
// and reports their CPU time per operation and the ratio.
func vsTool(b *testing.B, tool string, medqr func(i int), run func() time.Duration) {
	var ours, theirs time.Duration
	for i := 0; b.Loop(); i++ {
		start := cputime.Now()
		medqr(i)
		ours += cputime.Now() - start
		theirs += run()
	}
	n := float64(b.N)
	b.ReportMetric(float64(ours.Microseconds())/1e3/n, "medqr-cpu-ms/op")
	b.ReportMetric(float64(theirs.Microseconds())/1e3/n, tool+"-cpu-ms/op")
	b.ReportMetric(float64(ours)/float64(theirs), "x-"+tool)
}

func BenchmarkEncryptVsTools(b *testing.B) {
	needTool(b, "qrencode")
	src := bench256(b)
	dir, tdir := b.TempDir(), b.TempDir()
	vsTool(b, "qrencode", func(i int) {
		if _, err := Encrypt(src, filepath.Join(dir, fmt.Sprint(i)), Options{Codec: "iwave", Level: qr.L}); err != nil {
			b.Fatal(err)
		}
	}, func() time.Duration {
		d, _ := qrencodeSymbol(b, tdir)
		return d
	})
}

func BenchmarkDecryptVsTools(b *testing.B) {
	needTool(b, "qrencode")
	needTool(b, "zbarimg")
	src := bench256(b)
	res, err := Encrypt(src, b.TempDir(), Options{Codec: "iwave", Level: qr.L})
	if err != nil {
		b.Fatal(err)
	}
	key := seal.KeyOpener(res.Key)
	_, png := qrencodeSymbol(b, b.TempDir())
	vsTool(b, "zbarimg", func(int) {
		if _, err := Decrypt(res.QRFiles, key); err != nil {
			b.Fatal(err)
		}
	}, func() time.Duration {
		return toolCPU(b, "zbarimg", "-q", "--raw", "-Sbinary", png)
	})
}
