package serve

import (
	"errors"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/medqr/medqr/internal/cputime"
	"github.com/medqr/medqr/seal"
	"github.com/medqr/medqr/store"
)

// The benchmarks report process CPU time (cpu-ns/op) beside the wall
// clock, which on a shared machine mostly measures waiting for a core.

// BenchmarkEncrypt times one encryption of the demo DICOM with the default
// codec the way "medqr encrypt" runs it (store.Encrypt, file to folder)
// and through the API (multipart upload, the same pipeline, JSON answer
// with previews and fidelity), side by side in one run.
func BenchmarkEncrypt(b *testing.B) {
	img := readFile(b, demoDICOM)
	dir := b.TempDir()
	cliVsAPI(b, func() error {
		_, err := store.Encrypt(demoDICOM, dir, store.Options{})
		return err
	}, "/api/encrypt", file("image", "x.dcm", img))
}

// BenchmarkDecrypt times one decryption of a single QR code from a file
// ("medqr decrypt": store.Decrypt) and through the API (upload, PNG answer).
func BenchmarkDecrypt(b *testing.B) {
	dir := b.TempDir()
	res, err := store.Encrypt(demoDICOM, dir, store.Options{NoKeyFile: true})
	if err != nil {
		b.Fatal(err)
	}
	code := readFile(b, res.QRFiles[0])
	cliVsAPI(b, func() error {
		_, err := store.Decrypt([]string{filepath.Clean(res.QRFiles[0])}, seal.KeyOpener(res.Key))
		return err
	}, "/api/decrypt", file("qr", "a.png", code), field("key", res.Key.String()))
}

// cliVsAPI runs one job as sub-benchmark cli-store (cli, the store call
// the CLI makes) and as sub-benchmark api (a POST of parts to path on a
// fresh server, which must answer 200).
func cliVsAPI(b *testing.B, cli func() error, path string, parts ...part) {
	b.Run("cli-store", func(b *testing.B) { cpuLoop(b, cli) })
	b.Run("api", func(b *testing.B) {
		s := newServer(b, Config{})
		cpuLoop(b, func() error {
			if w := apiPost(b, s, path, parts...); w.Code != http.StatusOK {
				return errors.New(w.Body.String())
			}
			return nil
		})
	})
}

// cpuLoop runs f b.N times and reports its CPU time.
func cpuLoop(b *testing.B, f func() error) {
	cpu := cputime.Start(0)
	for b.Loop() {
		if err := f(); err != nil {
			b.Fatal(err)
		}
	}
	cpu.Report(b)
}
