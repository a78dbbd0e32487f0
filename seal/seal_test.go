package seal

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// capacities are the QR version-40 byte-mode capacities of levels L, M, Q, H.
var capacities = map[byte]int{'L': 2953, 'M': 2331, 'Q': 1663, 'H': 1273}

func testMeta(level byte) Meta {
	return Meta{Codec: 2, Width: 256, Height: 256, Depth: 8, Level: level}
}

type pair struct {
	name string
	s    Sealer
	o    Opener
}

func sealers(t testing.TB) []pair { return sealersWith(t, "correct horse battery staple") }

func sealersWith(t testing.TB, pass string) []pair {
	t.Helper()
	k, _ := GenerateKey()
	ps, err := NewPassphraseSealer(pass, testArgon2)
	if err != nil {
		t.Fatal(err)
	}
	idX, idPQ := newIdentity(t, SuiteX25519), newIdentity(t, SuiteMLKEM768X25519)
	return []pair{
		{"key-chacha", NewKeySealer(k), KeyOpener(k)},
		{"key-aesgcm", WithAEAD(NewKeySealer(k), AES256GCM), KeyOpener(k)},
		{"passphrase", ps, PassphraseOpener(pass)},
		{"x25519", NewRecipientSealer(idX.Recipient()), IdentityOpener(idX)},
		{"mlkem768x25519", WithAEAD(NewRecipientSealer(idPQ.Recipient()), AES256GCM), IdentityOpener(idPQ)},
	}
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func TestSealOpenSizes(t *testing.T) {
	for _, p := range sealers(t) {
		for _, level := range []byte{'L', 'M', 'Q', 'H'} {
			capacity := capacities[level]
			budget := PayloadBudget(capacity, p.s)
			if budget == 0 {
				continue
			}
			for _, n := range []int{0, 1, budget - 1, budget, budget + 1, 3*capacity + 17} {
				if n < 0 {
					continue
				}
				t.Run(fmt.Sprintf("%s/%c/%d", p.name, level, n), func(t *testing.T) {
					payload := randBytes(n)
					cs, err := SealMessage(testMeta(level), payload, capacity, p.s)
					if err != nil {
						t.Fatal(err)
					}
					if want := SymbolCount(n, capacity, p.s); len(cs) != want {
						t.Fatalf("%d containers, SymbolCount says %d", len(cs), want)
					}
					if n <= budget && len(cs) != 1 {
						t.Fatalf("payload within budget gave %d containers", len(cs))
					}
					if n > budget && len(cs) < 2 {
						t.Fatalf("payload over budget gave %d container", len(cs))
					}
					for i, c := range cs {
						if len(c) != capacity {
							t.Fatalf("container %d is %d bytes, want %d", i, len(c), capacity)
						}
					}
					// Any order.
					rev := make([][]byte, len(cs))
					for i := range cs {
						rev[len(cs)-1-i] = cs[i]
					}
					m, got, err := OpenMessage(rev, p.o)
					if err != nil {
						t.Fatal(err)
					}
					if m != testMeta(level) || !bytes.Equal(got, payload) {
						t.Fatal("round trip changed the message")
					}
				})
			}
		}
	}
}

func TestWrongCredential(t *testing.T) {
	ps := sealers(t)
	other := sealersWith(t, "correct horse battery stapler")
	for _, p := range ps {
		cs, err := SealMessage(testMeta('M'), randBytes(5000), capacities['M'], p.s)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range other {
			m, got, err := OpenMessage(cs, o.o)
			if got != nil || m != (Meta{}) || !errors.Is(err, ErrAuth) {
				t.Errorf("%s opened by %s's credential: err %v, %d bytes", p.name, o.name, err, len(got))
			}
		}
	}
	k, _ := GenerateKey()
	cs, _ := SealMessage(testMeta('M'), nil, capacities['M'], NewKeySealer(k))
	_, _, err := OpenMessage(cs, PassphraseOpener("x"))
	var me *ModeError
	if !errors.As(err, &me) || me.Got != ModeKey {
		t.Errorf("passphrase opener on a key message: %v", err)
	}
}

// Every single-bit flip of every container is rejected with no bytes.
func TestBitFlips(t *testing.T) {
	for _, p := range sealers(t) {
		t.Run(p.name, func(t *testing.T) {
			capacity := capacities['H']
			if p.s.Mode() == ModeMLKEM768X25519 {
				capacity = capacities['Q']
			}
			cs, err := SealMessage(testMeta('H'), randBytes(PayloadBudget(capacity, p.s)+100), capacity, p.s)
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) != 2 {
				t.Fatalf("%d containers", len(cs))
			}
			step := 1
			if testing.Short() {
				step = 7
			}
			for ci := range cs {
				for bit := 0; bit < len(cs[ci])*8; bit += step {
					mod := [][]byte{cs[0], cs[1]}
					c := bytes.Clone(cs[ci])
					c[bit/8] ^= 1 << (bit % 8)
					mod[ci] = c
					m, got, err := OpenMessage(mod, p.o)
					if err == nil || got != nil || m != (Meta{}) {
						t.Fatalf("container %d bit %d flipped: err %v, %d bytes", ci, bit, err, len(got))
					}
				}
			}
		})
	}
}

func TestTruncationAndSplicing(t *testing.T) {
	k, _ := GenerateKey()
	s := NewKeySealer(k)
	o := KeyOpener(k)
	a, _ := SealMessage(testMeta('H'), randBytes(4000), capacities['H'], s)
	b, _ := SealMessage(testMeta('H'), randBytes(4000), capacities['H'], s)
	if len(a) != 4 {
		t.Fatalf("%d symbols", len(a))
	}
	for n := range len(a[1]) {
		_, got, err := OpenMessage([][]byte{a[0], a[1][:n], a[2], a[3]}, o)
		if err == nil || got != nil {
			t.Fatalf("truncated to %d accepted", n)
		}
	}
	// Symbols of two messages mixed.
	_, got, err := OpenMessage([][]byte{a[0], b[1], a[2], a[3]}, o)
	if !errors.Is(err, ErrMixed) || got != nil {
		t.Fatalf("mixed messages: %v", err)
	}
	// b's symbol relabelled with a's message id: authentication fails.
	spliced := bytes.Clone(b[1])
	copy(spliced[4:20], a[1][4:20])
	_, got, err = OpenMessage([][]byte{a[0], spliced, a[2], a[3]}, o)
	if !errors.Is(err, ErrAuth) || got != nil {
		t.Fatalf("spliced symbol: %v", err)
	}
	// Header of a on the body of b.
	spliced = append(bytes.Clone(a[1][:HeaderSize]), b[1][HeaderSize:]...)
	_, _, err = OpenMessage([][]byte{a[0], spliced, a[2], a[3]}, o)
	if !errors.Is(err, ErrAuth) {
		t.Fatalf("spliced header: %v", err)
	}
	// Two symbols swapped in position keep their indices: fine. A symbol
	// whose index field is rewritten fails.
	re := bytes.Clone(a[2])
	re[21] = 1
	_, _, err = OpenMessage([][]byte{a[0], re, a[3]}, o)
	if !errors.Is(err, ErrAuth) {
		t.Fatalf("re-indexed symbol: %v", err)
	}
	// Missing symbols.
	_, got, err = OpenMessage([][]byte{a[3], a[1]}, o)
	var me *MissingError
	if !errors.As(err, &me) || got != nil || fmt.Sprint(me.Missing) != "[0 2]" || me.Count != 4 {
		t.Fatalf("missing: %v", err)
	}
	if want := "seal: 2 of 4 QR symbols missing: number 1, 3"; err.Error() != want {
		t.Fatalf("message %q, want %q", err, want)
	}
	// Duplicates are fine.
	if _, _, err := OpenMessage([][]byte{a[0], a[1], a[1], a[2], a[3], a[0]}, o); err != nil {
		t.Fatalf("duplicates: %v", err)
	}
	// Version and foreign data.
	v := bytes.Clone(a[0])
	v[2] = 2
	if _, _, err := OpenMessage([][]byte{v}, o); !errors.Is(err, ErrVersion) {
		t.Fatalf("version 2: %v", err)
	}
	var fe *FormatError
	if _, _, err := OpenMessage([][]byte{[]byte("https://example.com/")}, o); !errors.As(err, &fe) {
		t.Fatalf("foreign QR: %v", err)
	}
}

func TestPayloadBudgets(t *testing.T) {
	// The table in docs/sealing.md ("QR bytes each mode costs").
	want := map[Mode]map[byte]int{
		ModeKey:            {'L': 2905, 'M': 2283, 'Q': 1615, 'H': 1225},
		ModePassphrase:     {'L': 2902, 'M': 2280, 'Q': 1612, 'H': 1222},
		ModeX25519:         {'L': 2873, 'M': 2251, 'Q': 1583, 'H': 1193},
		ModeMLKEM768X25519: {'L': 1785, 'M': 1163, 'Q': 495, 'H': 105},
	}
	for _, p := range sealers(t) {
		for l, c := range capacities {
			if got := PayloadBudget(c, p.s); got != want[p.s.Mode()][l] {
				t.Errorf("%s level %c: budget %d, want %d", p.name, l, got, want[p.s.Mode()][l])
			}
			if Overhead(p.s.Mode()) != c-want[p.s.Mode()][l] {
				t.Errorf("%s: Overhead %d", p.name, Overhead(p.s.Mode()))
			}
		}
	}
}

func TestSealErrorsAndFreshness(t *testing.T) {
	k, _ := GenerateKey()
	s := NewKeySealer(k)
	a, _ := SealMessage(testMeta('M'), []byte("same"), capacities['M'], s)
	b, _ := SealMessage(testMeta('M'), []byte("same"), capacities['M'], s)
	if bytes.Equal(a[0], b[0]) || bytes.Equal(a[0][4:20], b[0][4:20]) {
		t.Fatal("two seals of one payload share a message id or bytes")
	}
	for _, tc := range []struct {
		m        Meta
		capacity int
		want     string
	}{
		{testMeta('M'), Overhead(ModeKey) - 1, "too small"},
		{Meta{Width: 70000, Height: 1}, 2331, "outside 0..65535"},
		{Meta{Width: 1, Height: -1}, 2331, "outside 0..65535"},
		{Meta{Depth: 256}, 2331, "bit depth"},
	} {
		if _, err := SealMessage(tc.m, nil, tc.capacity, s); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("SealMessage(%+v, cap %d): %v, want %q", tc.m, tc.capacity, err, tc.want)
		}
	}
	// The smallest capacity that works holds exactly an empty payload.
	cs, err := SealMessage(testMeta('M'), nil, Overhead(ModeKey), s)
	if err != nil || len(cs) != 1 || len(cs[0]) != Overhead(ModeKey) {
		t.Fatalf("minimal capacity: %v", err)
	}
	if _, err := SealMessage(testMeta('M'), make([]byte, 70000*100), 100, s); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("65,536+ symbols: %v", err)
	}
	if _, err := NewPassphraseSealer("", testArgon2); err == nil {
		t.Error("empty passphrase accepted")
	}
	if _, err := NewPassphraseSealer("p", Argon2Params{Time: 1, MemoryKiB: 1000, Threads: 1}); err == nil {
		t.Error("non-power-of-two memory accepted")
	}
	if _, _, err := OpenMessage(nil, KeyOpener(k)); err == nil {
		t.Error("no containers accepted")
	}
}

// Sealing refuses Argon2id memory below 64 MiB outside tests: the floor is
// lowered only by export_test.go.
func TestArgon2Floor(t *testing.T) {
	old := minSealMemoryKiB
	minSealMemoryKiB = 64 << 10
	defer func() { minSealMemoryKiB = old }()
	if _, err := NewPassphraseSealer("p", testArgon2); err == nil || !strings.Contains(err.Error(), "below the 65536 KiB minimum") {
		t.Fatalf("weak Argon2id accepted: %v", err)
	}
	if _, err := NewPassphraseSealer("p", DefaultArgon2); err != nil {
		t.Fatal(err)
	}
}

func TestEnumNames(t *testing.T) {
	for _, c := range []struct {
		got  fmt.Stringer
		want string
	}{
		{ModeKey, "key"},
		{ModePassphrase, "passphrase"},
		{ModeX25519, "recipient (HPKE X25519)"},
		{ModeMLKEM768X25519, "recipient (HPKE ML-KEM-768+X25519)"},
		{Mode(0), "mode(0)"},
		{ChaCha20Poly1305, "chacha20poly1305"},
		{AES256GCM, "aes256gcm"},
		{AEAD(3), "aead(3)"},
		{SuiteX25519, "x25519"},
		{SuiteMLKEM768X25519, "mlkem768x25519"},
		{Suite(255), "suite(255)"},
	} {
		if s := c.got.String(); s != c.want {
			t.Errorf("%T %d: String() = %q, want %q", c.got, c.got, s, c.want)
		}
	}
	for _, a := range []AEAD{0, 3} {
		if a.valid() {
			t.Errorf("AEAD(%d) is valid", a)
		}
	}
	if Suite(3).valid() || !SuiteX25519.valid() || !AES256GCM.valid() {
		t.Error("valid() disagrees with the named values")
	}
}
