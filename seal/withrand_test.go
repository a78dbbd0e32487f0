package seal

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

// seeded returns a deterministic reader, as the attack suite uses.
func seeded(seed byte) io.Reader {
	var s [32]byte
	s[0] = seed
	return rand.NewChaCha8(s)
}

func TestWithRand(t *testing.T) {
	payload := bytes.Repeat([]byte("medqr"), 500) // 2500 bytes: two level-H symbols
	meta := testMeta('H')
	for _, p := range sealers(t) {
		t.Run(p.name, func(t *testing.T) {
			a, err := SealMessage(meta, payload, capacities['H'], WithRand(p.s, seeded(1)))
			if err != nil {
				t.Fatal(err)
			}
			b, err := SealMessage(meta, payload, capacities['H'], WithRand(p.s, seeded(1)))
			if err != nil {
				t.Fatal(err)
			}
			var want [MessageIDSize]byte
			io.ReadFull(seeded(1), want[:])
			for i, msg := range [][][]byte{a, b} {
				h, err := ParseHeader(msg[0])
				if err != nil {
					t.Fatal(err)
				}
				if h.MessageID != want {
					t.Fatalf("message %d: id %x, want the reader's first bytes %x", i, h.MessageID, want)
				}
				_, got, err := OpenMessage(msg, p.o)
				if err != nil || !bytes.Equal(got, payload) {
					t.Fatalf("message %d does not open: %v", i, err)
				}
			}
			// Key and passphrase modes are then byte for byte repeatable;
			// recipient mode is not (HPKE draws its own ephemeral key).
			same := len(a) == len(b)
			for i := range a {
				same = same && bytes.Equal(a[i], b[i])
			}
			if want := p.s.Mode() == ModeKey || p.s.Mode() == ModePassphrase; same != want {
				t.Errorf("identical containers from one seed: %v, want %v", same, want)
			}
			// WithAEAD keeps the reader, and the AEAD choice survives WithRand.
			c, err := SealMessage(meta, payload, capacities['H'], WithAEAD(WithRand(p.s, seeded(1)), AES256GCM))
			if err != nil {
				t.Fatal(err)
			}
			if h, _ := ParseHeader(c[0]); h.MessageID != want || h.AEAD != AES256GCM {
				t.Errorf("WithAEAD(WithRand(...)): id %x aead %v", h.MessageID, h.AEAD)
			}
			// Another seed, another id; the default sealer draws fresh ids.
			d, _ := SealMessage(meta, payload, capacities['H'], WithRand(p.s, seeded(2)))
			e, _ := SealMessage(meta, payload, capacities['H'], p.s)
			f, _ := SealMessage(meta, payload, capacities['H'], p.s)
			hd, _ := ParseHeader(d[0])
			he, _ := ParseHeader(e[0])
			hf, _ := ParseHeader(f[0])
			if hd.MessageID == want || he.MessageID == hf.MessageID || he.MessageID == want {
				t.Errorf("message ids repeat: seed 2 %x, default %x and %x", hd.MessageID, he.MessageID, hf.MessageID)
			}
			// A reader that runs dry fails the seal with no output.
			out, err := SealMessage(meta, payload, capacities['H'], WithRand(p.s, bytes.NewReader(make([]byte, MessageIDSize-1))))
			if err == nil || out != nil || !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("short reader: %d containers, err %v", len(out), err)
			}
		})
	}
}

func TestWithRandNil(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("WithRand(s, nil) did not panic")
		}
	}()
	k, _ := GenerateKey()
	WithRand(NewKeySealer(k), nil)
}
