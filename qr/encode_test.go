package qr

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/medqr/medqr/internal/cputime"
	qrcode "github.com/skip2/go-qrcode"
)

// goQRCode is the reference: go-qrcode's symbol of payload at level l.
func goQRCode(t testing.TB, payload []byte, l Level) (int, [][]bool) {
	t.Helper()
	rl := map[Level]qrcode.RecoveryLevel{L: qrcode.Low, M: qrcode.Medium, Q: qrcode.High, H: qrcode.Highest}[l]
	q, err := qrcode.New(string(payload), rl)
	if err != nil {
		t.Fatalf("go-qrcode: %v", err)
	}
	return q.VersionNumber, q.Bitmap()
}

// encodeCases returns payloads for level l that reach every version:
// random bytes at the largest length of each version that go-qrcode
// places there and one byte more, and text that the segment optimiser
// splits into numeric, alphanumeric and byte runs.
func encodeCases(rng *rand.Rand, l Level) [][]byte {
	var out [][]byte
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return b
	}
	for v := 1; v <= 40; v++ {
		// Byte-mode capacity of version v: data bits less the header.
		t := newLayout(v, l)
		head := 4 + 8
		if v >= 10 {
			head = 4 + 16
		}
		n := (t.bits - head) / 8
		out = append(out, random(max(1, n-rng.IntN(3))))
		if v%5 == 0 && n+1 <= Capacity(l) {
			out = append(out, random(n+1))
		}
	}
	alphabet := []string{"0123456789", "ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:", "abc\x00\xff\x80é"}
	for range 6 {
		var b []byte
		size := 1 + rng.IntN(Capacity(l))
		for len(b) < size {
			a := alphabet[rng.IntN(len(alphabet))]
			for range 1 + rng.IntN(40) {
				b = append(b, a[rng.IntN(len(a))])
			}
		}
		out = append(out, b[:size])
	}
	return append(out, []byte("0"), []byte("A"), []byte("01234567890123456789"), []byte("HELLO WORLD"))
}

// TestEncodeMatchesGoQRCode: the encoder gives go-qrcode's version and
// every module, at every level and version, for random bytes and for text
// with numeric and alphanumeric runs.
func TestEncodeMatchesGoQRCode(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 6))
	for _, l := range Levels {
		for i, p := range encodeCases(rng, l) {
			wantV, want := goQRCode(t, p, l)
			gotV, got, err := encodeModules(p, l)
			if err != nil {
				t.Fatalf("level %v, case %d (%d bytes): %v", l, i, len(p), err)
			}
			if gotV != wantV {
				t.Fatalf("level %v, case %d (%d bytes): version %d, go-qrcode %d", l, i, len(p), gotV, wantV)
			}
			if d := firstDifference(got, want); d != "" {
				t.Fatalf("level %v, case %d (%d bytes, version %d): %s", l, i, len(p), gotV, d)
			}
		}
	}
}

func firstDifference(got, want [][]bool) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d rows, go-qrcode %d", len(got), len(want))
	}
	for y := range want {
		for x := range want[y] {
			if got[y][x] != want[y][x] {
				return fmt.Sprintf("module (%d, %d) differs", x, y)
			}
		}
	}
	return ""
}

// FuzzEncodeMatchesGoQRCode: for any payload that fits, the encoder and
// go-qrcode give the same symbol.
func FuzzEncodeMatchesGoQRCode(f *testing.F) {
	f.Add([]byte("0123ABC xyz"), byte('L'))
	f.Add([]byte{0, 255, '9', '9', '9'}, byte('H'))
	f.Fuzz(func(t *testing.T, p []byte, lb byte) {
		l := Levels[int(lb)%len(Levels)]
		if len(p) == 0 || len(p) > Capacity(l) {
			return
		}
		wantV, want := goQRCode(t, p, l)
		gotV, got, err := encodeModules(p, l)
		if err != nil || gotV != wantV {
			t.Fatalf("version %d (err %v), go-qrcode %d", gotV, err, wantV)
		}
		if d := firstDifference(got, want); d != "" {
			t.Fatal(d)
		}
	})
}

// BenchmarkEncodeVsGoQRCode times the module grid of a full version-40
// symbol (random bytes) from this encoder and from go-qrcode, one after
// the other in each iteration, as CPU time per symbol.
func BenchmarkEncodeVsGoQRCode(b *testing.B) {
	for _, l := range []Level{L, H} {
		p := randBytes(rand.New(rand.NewPCG(1, 2)), Capacity(l))
		b.Run(l.String(), func(b *testing.B) {
			var ours, theirs time.Duration
			for b.Loop() {
				t0 := cputime.Now()
				if _, _, err := encodeModules(p, l); err != nil {
					b.Fatal(err)
				}
				t1 := cputime.Now()
				goQRCode(b, p, l)
				ours, theirs = ours+t1-t0, theirs+cputime.Now()-t1
			}
			b.ReportMetric(float64(ours.Microseconds())/1e3/float64(b.N), "medqr-cpu-ms/op")
			b.ReportMetric(float64(theirs.Microseconds())/1e3/float64(b.N), "go-qrcode-cpu-ms/op")
		})
	}
}
