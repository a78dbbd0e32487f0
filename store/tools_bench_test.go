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
// tools a user would otherwise pick, in one run so a shared machine loads
// both alike: encrypting one 256x256 X-ray into one level-L QR PNG (iwave,
// key mode, read-back check included) against qrencode writing a version-40
// level-L symbol of 2,953 random bytes to a PNG, and decrypting that QR PNG
// against zbarimg reading the qrencode symbol. CPU time is reported as
// cpu-ms/op: this process's for medqr, the child's user+system time for the
// tools (process start included, as a user pays it).
//
//	go test -run '^$' -bench 'VsTools' -benchtime 20x ./store

// toolCPU runs one command and returns the CPU time the child used.
func toolCPU(b *testing.B, name string, args ...string) time.Duration {
	b.Helper()
	cmd := exec.Command(name, args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("%s: %v: %s", name, err, out)
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
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

func BenchmarkEncryptVsTools(b *testing.B) {
	src := bench256(b)
	b.Run("medqr-iwave-L", func(b *testing.B) {
		dir := b.TempDir()
		start := cputime.Now()
		for i := 0; b.Loop(); i++ {
			if _, err := Encrypt(src, filepath.Join(dir, fmt.Sprint(i)), Options{Codec: "iwave", Level: qr.L}); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, start)
	})
	b.Run("qrencode-8-L-v40", func(b *testing.B) {
		needTool(b, "qrencode")
		dir := b.TempDir()
		var cpu time.Duration
		for b.Loop() {
			d, _ := qrencodeSymbol(b, dir)
			cpu += d
		}
		b.ReportMetric(float64(cpu.Microseconds())/1e3/float64(b.N), "cpu-ms/op")
	})
}

func BenchmarkDecryptVsTools(b *testing.B) {
	src := bench256(b)
	b.Run("medqr-iwave-L", func(b *testing.B) {
		res, err := Encrypt(src, b.TempDir(), Options{Codec: "iwave", Level: qr.L})
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
		reportCPU(b, start)
	})
	b.Run("zbarimg", func(b *testing.B) {
		needTool(b, "qrencode")
		needTool(b, "zbarimg")
		_, png := qrencodeSymbol(b, b.TempDir())
		var cpu time.Duration
		for b.Loop() {
			cpu += toolCPU(b, "zbarimg", "-q", "--raw", "-Sbinary", png)
		}
		b.ReportMetric(float64(cpu.Microseconds())/1e3/float64(b.N), "cpu-ms/op")
	})
}
