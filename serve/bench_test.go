package serve

import (
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
	b.Run("cli-store", func(b *testing.B) {
		dir := b.TempDir()
		cpu := cputime.Start(0)
		for b.Loop() {
			if _, err := store.Encrypt(demoDICOM, dir, store.Options{}); err != nil {
				b.Fatal(err)
			}
		}
		cpu.Report(b)
	})
	b.Run("api", func(b *testing.B) {
		s := newServer(b, Config{})
		cpu := cputime.Start(0)
		for b.Loop() {
			if w := apiPost(b, s, "/api/encrypt", file("image", "x.dcm", img)); w.Code != http.StatusOK {
				b.Fatal(w.Body.String())
			}
		}
		cpu.Report(b)
	})
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
	b.Run("cli-store", func(b *testing.B) {
		cpu := cputime.Start(0)
		for b.Loop() {
			if _, err := store.Decrypt([]string{filepath.Clean(res.QRFiles[0])}, seal.KeyOpener(res.Key)); err != nil {
				b.Fatal(err)
			}
		}
		cpu.Report(b)
	})
	b.Run("api", func(b *testing.B) {
		s := newServer(b, Config{})
		cpu := cputime.Start(0)
		for b.Loop() {
			if w := apiPost(b, s, "/api/decrypt", file("qr", "a.png", code), field("key", res.Key.String())); w.Code != http.StatusOK {
				b.Fatal(w.Body.String())
			}
		}
		cpu.Report(b)
	})
}
