package seal

import (
	"bytes"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"testing/cryptotest"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors from the generator")

// This file is the vector generator. Every vector is built from a fixed
// cryptotest seed, so the same code gives the same bytes: TestVectors
// regenerates them all and compares with the committed files (the seal
// direction of the known answers; TestVectorsOpen is the open direction).
// Regenerate after a deliberate format change with
//
//	go generate ./seal    (runs: go test -run ^TestVectors$ -update .)

const vectorPassphrase = "correct horse battery staple"

type genCase struct {
	name    string
	comment string
	expect  string // success | wrong key | header failure | payload failure
	err     string // error class
	mode    Mode
	aead    AEAD
	level   byte
	size    int // payload bytes; -1 = exactly the one-symbol budget
	// mutate changes the sealed symbols; it may also swap the credential
	// by returning a replacement for the vector's credential fields.
	mutate func(v *vector, syms [][]byte) [][]byte
	// wrong replaces the credential with a fresh one of the same kind.
	wrong   bool
	missing string
}

func flipBit(i, bit int) func(*vector, [][]byte) [][]byte {
	return func(_ *vector, s [][]byte) [][]byte {
		c := bytes.Clone(s[0])
		if i < 0 {
			i += len(c)
		}
		c[i] ^= 1 << bit
		return append([][]byte{c}, s[1:]...)
	}
}

func setByte(i int, val byte) func(*vector, [][]byte) [][]byte {
	return func(_ *vector, s [][]byte) [][]byte {
		c := bytes.Clone(s[0])
		c[i] = val
		return append([][]byte{c}, s[1:]...)
	}
}

func genCases() []genCase {
	return []genCase{
		// Successes.
		{name: "key-chacha20poly1305-L", comment: "key mode, one level-L symbol", expect: "success", err: "none", mode: ModeKey, aead: ChaCha20Poly1305, level: 'L', size: 1000},
		{name: "key-aes256gcm-M", comment: "key mode with AES-256-GCM, one level-M symbol", expect: "success", err: "none", mode: ModeKey, aead: AES256GCM, level: 'M', size: 1000},
		{name: "key-empty-H", comment: "empty payload: the symbol is all padding", expect: "success", err: "none", mode: ModeKey, aead: ChaCha20Poly1305, level: 'H', size: 0},
		{name: "key-full-budget-Q", comment: "payload of exactly PayloadBudget: one byte of padding", expect: "success", err: "none", mode: ModeKey, aead: ChaCha20Poly1305, level: 'Q', size: -1},
		{name: "key-multi-H", comment: "3000 bytes over three level-H symbols", expect: "success", err: "none", mode: ModeKey, aead: ChaCha20Poly1305, level: 'H', size: 3000},
		{name: "key-multi-reordered-H", comment: "symbols given in reverse order with a duplicate", expect: "success", err: "none", mode: ModeKey, aead: ChaCha20Poly1305, level: 'H', size: 3000,
			mutate: func(_ *vector, s [][]byte) [][]byte { return [][]byte{s[2], s[1], s[0], s[1]} }},
		{name: "passphrase-M", comment: "passphrase mode, Argon2id t=1 m=8KiB p=1 (test cost)", expect: "success", err: "none", mode: ModePassphrase, aead: ChaCha20Poly1305, level: 'M', size: 500},
		{name: "passphrase-multi-H", comment: "passphrase mode over two symbols: KDF parameters only in symbol 1", expect: "success", err: "none", mode: ModePassphrase, aead: AES256GCM, level: 'H', size: 2000},
		{name: "x25519-M", comment: "HPKE DHKEM(X25519) recipient mode", expect: "success", err: "none", mode: ModeX25519, aead: ChaCha20Poly1305, level: 'M', size: 1500},
		{name: "x25519-multi-H", comment: "HPKE X25519 over two symbols: the encapsulated key only in symbol 1", expect: "success", err: "none", mode: ModeX25519, aead: ChaCha20Poly1305, level: 'H', size: 2000},
		{name: "mlkem768x25519-L", comment: "HPKE ML-KEM-768+X25519 hybrid recipient mode", expect: "success", err: "none", mode: ModeMLKEM768X25519, aead: ChaCha20Poly1305, level: 'L', size: 1700},

		// Wrong credentials.
		{name: "wrong-key", comment: "another key", expect: "wrong key", err: "auth", mode: ModeKey, aead: ChaCha20Poly1305, level: 'M', size: 100, wrong: true},
		{name: "wrong-passphrase", comment: "another passphrase", expect: "wrong key", err: "auth", mode: ModePassphrase, aead: ChaCha20Poly1305, level: 'M', size: 100, wrong: true},
		{name: "wrong-identity-x25519", comment: "another X25519 identity", expect: "wrong key", err: "auth", mode: ModeX25519, aead: ChaCha20Poly1305, level: 'M', size: 100, wrong: true},
		{name: "wrong-identity-mlkem768x25519", comment: "another hybrid identity", expect: "wrong key", err: "auth", mode: ModeMLKEM768X25519, aead: ChaCha20Poly1305, level: 'M', size: 100, wrong: true},
		{name: "wrong-mode", comment: "a key-mode message opened with a passphrase", expect: "wrong key", err: "mode", mode: ModeKey, aead: ChaCha20Poly1305, level: 'M', size: 100,
			mutate: func(v *vector, s [][]byte) [][]byte {
				delete(v.fields, "key")
				v.order = v.order[:len(v.order)-1]
				v.set("passphrase", vectorPassphrase)
				return s
			}},

		// Header failures.
		{name: "header-magic", comment: "first magic byte changed: not a medqr container", expect: "header failure", err: "format", mode: ModeKey, aead: ChaCha20Poly1305, level: 'M', size: 100, mutate: setByte(0, 'X')},
		{name: "header-version", comment: "format version 2", expect: "header failure", err: "version", mode: ModeKey, aead: ChaCha20Poly1305, level: 'M', size: 100, mutate: setByte(2, 2)},
		{name: "header-aead", comment: "AEAD id switched to AES-256-GCM", expect: "header failure", err: "auth", mode: ModeKey, aead: ChaCha20Poly1305, level: 'M', size: 100, mutate: setByte(3, byte(ModeKey)<<4|byte(AES256GCM))},
		{name: "header-unknown-aead", comment: "AEAD id 7", expect: "header failure", err: "format", mode: ModeKey, aead: ChaCha20Poly1305, level: 'M', size: 100, mutate: setByte(3, byte(ModeKey)<<4|7)},
		{name: "header-message-id", comment: "one message id bit flipped", expect: "header failure", err: "auth", mode: ModeKey, aead: ChaCha20Poly1305, level: 'M', size: 100, mutate: flipBit(10, 3)},
		{name: "header-count", comment: "symbol count 1 -> 2: refused as tampering before symbol 2 is reported missing", expect: "header failure", err: "auth", mode: ModeKey, aead: ChaCha20Poly1305, level: 'M', size: 100, mutate: setByte(23, 2)},
		{name: "header-index-beyond-count", comment: "symbol index 1 of count 1", expect: "header failure", err: "format", mode: ModeKey, aead: ChaCha20Poly1305, level: 'M', size: 100, mutate: setByte(21, 1)},
		{name: "header-codec", comment: "codec id changed", expect: "header failure", err: "auth", mode: ModeKey, aead: ChaCha20Poly1305, level: 'M', size: 100, mutate: setByte(24, 1)},
		{name: "header-width", comment: "image width 256 -> 257", expect: "header failure", err: "auth", mode: ModeKey, aead: ChaCha20Poly1305, level: 'M', size: 100, mutate: setByte(26, 1)},
		{name: "header-depth", comment: "bit depth 8 -> 16", expect: "header failure", err: "auth", mode: ModeKey, aead: ChaCha20Poly1305, level: 'M', size: 100, mutate: setByte(29, 16)},
		{name: "header-level", comment: "QR level M -> H", expect: "header failure", err: "auth", mode: ModeKey, aead: ChaCha20Poly1305, level: 'M', size: 100, mutate: setByte(30, 'H')},
		{name: "header-argon2-time", comment: "Argon2id passes 1 -> 2", expect: "header failure", err: "auth", mode: ModePassphrase, aead: ChaCha20Poly1305, level: 'M', size: 100, mutate: setByte(31, 2)},
		{name: "header-argon2-memory", comment: "Argon2id memory 2^40 KiB: refused before any work", expect: "header failure", err: "format", mode: ModePassphrase, aead: ChaCha20Poly1305, level: 'M', size: 100, mutate: setByte(32, 40)},
		{name: "header-hpke-enc", comment: "one bit of the HPKE encapsulated key flipped", expect: "header failure", err: "auth", mode: ModeX25519, aead: ChaCha20Poly1305, level: 'M', size: 100, mutate: flipBit(40, 0)},
		{name: "header-spliced", comment: "the header of another message on this ciphertext", expect: "header failure", err: "auth", mode: ModeKey, aead: ChaCha20Poly1305, level: 'M', size: 100,
			mutate: func(_ *vector, s [][]byte) [][]byte {
				c := bytes.Clone(s[0])
				for i := 4; i < 20; i++ {
					c[i] = byte(i)
				}
				return [][]byte{c}
			}},
		{name: "multi-missing", comment: "symbols 1 and 3 of three absent", expect: "header failure", err: "missing", mode: ModeKey, aead: ChaCha20Poly1305, level: 'H', size: 3000, missing: "1,3",
			mutate: func(_ *vector, s [][]byte) [][]byte { return [][]byte{s[1]} }},
		{name: "multi-missing-first-passphrase", comment: "passphrase symbol 1 (the KDF parameters) absent", expect: "header failure", err: "missing", mode: ModePassphrase, aead: ChaCha20Poly1305, level: 'H', size: 2000, missing: "1",
			mutate: func(_ *vector, s [][]byte) [][]byte { return [][]byte{s[1]} }},
		{name: "multi-mixed", comment: "a symbol of another message with another id", expect: "header failure", err: "mixed", mode: ModeKey, aead: ChaCha20Poly1305, level: 'H', size: 3000,
			mutate: func(_ *vector, s [][]byte) [][]byte {
				c := bytes.Clone(s[2])
				c[4] ^= 0x80
				return [][]byte{s[0], s[1], c}
			}},
		{name: "multi-relabelled", comment: "symbol 3 relabelled as symbol 2", expect: "header failure", err: "auth", mode: ModeKey, aead: ChaCha20Poly1305, level: 'H', size: 3000,
			mutate: func(_ *vector, s [][]byte) [][]byte {
				c := bytes.Clone(s[2])
				c[21] = 1
				return [][]byte{s[0], c}
			}},
		{name: "truncated-header", comment: "cut to 20 bytes", expect: "header failure", err: "format", mode: ModeKey, aead: ChaCha20Poly1305, level: 'M', size: 100,
			mutate: func(_ *vector, s [][]byte) [][]byte { return [][]byte{s[0][:20]} }},

		// Payload failures.
		{name: "payload-bit", comment: "one ciphertext bit flipped", expect: "payload failure", err: "auth", mode: ModeKey, aead: ChaCha20Poly1305, level: 'M', size: 100, mutate: flipBit(500, 5)},
		{name: "payload-tag", comment: "one tag bit flipped", expect: "payload failure", err: "auth", mode: ModeKey, aead: AES256GCM, level: 'M', size: 100, mutate: flipBit(-1, 7)},
		{name: "payload-truncated", comment: "last byte cut", expect: "payload failure", err: "auth", mode: ModeKey, aead: ChaCha20Poly1305, level: 'M', size: 100,
			mutate: func(_ *vector, s [][]byte) [][]byte { return [][]byte{s[0][:len(s[0])-1]} }},
		{name: "payload-extended", comment: "one zero byte appended", expect: "payload failure", err: "auth", mode: ModeKey, aead: ChaCha20Poly1305, level: 'M', size: 100,
			mutate: func(_ *vector, s [][]byte) [][]byte { return [][]byte{append(bytes.Clone(s[0]), 0)} }},
		{name: "payload-passphrase-bit", comment: "one ciphertext bit flipped, passphrase mode", expect: "payload failure", err: "auth", mode: ModePassphrase, aead: ChaCha20Poly1305, level: 'M', size: 100, mutate: flipBit(1000, 0)},
		{name: "payload-mlkem-bit", comment: "one ciphertext bit flipped, hybrid mode", expect: "payload failure", err: "auth", mode: ModeMLKEM768X25519, aead: ChaCha20Poly1305, level: 'L', size: 100, mutate: flipBit(2000, 1)},
		{name: "payload-multi-swapped-bodies", comment: "ciphertexts of symbols 2 and 3 exchanged under their own headers", expect: "payload failure", err: "auth", mode: ModeKey, aead: ChaCha20Poly1305, level: 'H', size: 3000,
			mutate: func(_ *vector, s [][]byte) [][]byte {
				a := append(bytes.Clone(s[1][:HeaderSize]), s[2][HeaderSize:]...)
				b := append(bytes.Clone(s[2][:HeaderSize]), s[1][HeaderSize:]...)
				return [][]byte{s[0], a, b}
			}},
	}
}

func (g genCase) build(t *testing.T, seed uint64) *vector {
	cryptotest.SetGlobalRandom(t, seed)
	v := &vector{name: g.name, fields: map[string]string{}}
	v.set("expect", g.expect)
	v.set("error", g.err)
	v.set("comment", g.comment)
	v.set("seed", fmt.Sprint(seed))
	var s Sealer
	credential := func() {
		switch g.mode {
		case ModeKey:
			k, err := GenerateKey()
			if err != nil {
				t.Fatal(err)
			}
			s = NewKeySealer(k)
			v.set("key", k.String())
		case ModePassphrase:
			var err error
			s, err = NewPassphraseSealer(vectorPassphrase, testArgon2)
			if err != nil {
				t.Fatal(err)
			}
			v.set("passphrase", vectorPassphrase)
		default:
			suite := SuiteX25519
			if g.mode == ModeMLKEM768X25519 {
				suite = SuiteMLKEM768X25519
			}
			id, err := GenerateIdentity(suite)
			if err != nil {
				t.Fatal(err)
			}
			s = NewRecipientSealer(id.Recipient())
			v.set("identity", id.String())
		}
	}
	credential()
	s = WithAEAD(s, g.aead)
	capacity := capacities[g.level]
	n := g.size
	if n < 0 {
		n = PayloadBudget(capacity, s)
	}
	payload := make([]byte, n)
	for i := range payload {
		payload[i] = byte(i*131 + int(seed))
	}
	m := Meta{Codec: 2, Width: 256, Height: 256, Depth: 8, Level: g.level}
	syms, err := SealMessage(m, payload, capacity, s)
	if err != nil {
		t.Fatal(err)
	}
	if g.expect == "success" {
		v.set("meta", metaString(m))
		v.set("payload", hex.EncodeToString(payload))
	}
	if g.missing != "" {
		v.set("missing", g.missing)
	}
	if g.wrong {
		// A second credential of the same kind replaces the first.
		delete(v.fields, v.order[len(v.order)-1])
		v.order = v.order[:len(v.order)-1]
		if g.mode == ModePassphrase {
			v.set("passphrase", vectorPassphrase+"!")
		} else {
			credential()
		}
	}
	if g.mutate != nil {
		syms = g.mutate(v, syms)
	}
	v.symbols = syms
	return v
}

// TestVectors regenerates every vector from its seed and compares it with
// the committed file byte for byte; with -update it writes the files.
func TestVectors(t *testing.T) {
	dir := filepath.Join("testdata", "vectors")
	cases := genCases()
	want := map[string]bool{}
	for i, g := range cases {
		v := g.build(t, uint64(1000+i))
		got, err := v.marshal()
		if err != nil {
			t.Fatalf("%s: %v", g.name, err)
		}
		path := filepath.Join(dir, g.name)
		want[g.name] = true
		if *update {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		old, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: %v (run go generate ./seal)", g.name, err)
			continue
		}
		if !bytes.Equal(old, got) {
			t.Errorf("%s: sealing from seed %d no longer gives the committed bytes", g.name, 1000+i)
		}
	}
	files := vectorFiles(t)
	for name := range files {
		if !want[name] {
			if *update {
				os.Remove(filepath.Join(dir, name))
			} else {
				t.Errorf("stale vector %s (run go generate ./seal)", name)
			}
		}
	}
}
