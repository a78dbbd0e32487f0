package attacks

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"testing"
)

// toyContainer is the negative control: a header (magic, message id, index,
// count) and an AES-CTR body with no authentication at all. The harness must
// flag it; the MAC variant must pass.
type toyContainer struct {
	key [32]byte
	mac bool
}

var errToy = errors.New("toy: refused")

func (t toyContainer) seal(id uint32, payload []byte, parts int) [][]byte {
	var out [][]byte
	step := (len(payload) + parts - 1) / parts
	for i := range parts {
		chunk := payload[i*step : min(len(payload), (i+1)*step)]
		h := make([]byte, 12)
		copy(h, "TOY1")
		binary.BigEndian.PutUint32(h[4:], id)
		h[8], h[9] = byte(i), byte(parts)
		blk, _ := aes.NewCipher(t.key[:])
		iv := make([]byte, 16)
		copy(iv, h)
		body := make([]byte, len(chunk))
		cipher.NewCTR(blk, iv).XORKeyStream(body, chunk)
		c := append(h, body...)
		if t.mac {
			m := sha256.Sum256(append(t.key[:], c...)) // keyed hash, fine for a test control
			c = append(c, m[:16]...)
		}
		out = append(out, c)
	}
	return out
}

func (t toyContainer) open(cs [][]byte) ([]byte, error) {
	if len(cs) == 0 {
		return nil, errToy
	}
	var id uint32
	parts := make([][]byte, 0)
	for n, c := range cs {
		if t.mac {
			if len(c) < 28 {
				return nil, errToy
			}
			m := sha256.Sum256(append(append([]byte{}, t.key[:]...), c[:len(c)-16]...))
			if !bytes.Equal(m[:16], c[len(c)-16:]) {
				return nil, errToy
			}
			c = c[:len(c)-16]
		}
		if len(c) < 12 || string(c[:4]) != "TOY1" {
			return nil, errToy
		}
		if n == 0 {
			id = binary.BigEndian.Uint32(c[4:])
			parts = make([][]byte, c[9])
		}
		if binary.BigEndian.Uint32(c[4:]) != id || int(c[9]) != len(parts) || int(c[8]) >= len(parts) || parts[c[8]] != nil {
			return nil, errToy
		}
		blk, _ := aes.NewCipher(t.key[:])
		iv := make([]byte, 16)
		copy(iv, c[:12])
		body := make([]byte, len(c)-12)
		cipher.NewCTR(blk, iv).XORKeyStream(body, c[12:])
		parts[c[8]] = body
	}
	var out []byte
	for _, p := range parts {
		if p == nil {
			return nil, errToy
		}
		out = append(out, p...)
	}
	return out, nil
}

func TestTamperFlagsNonAuthenticatingContainer(t *testing.T) {
	rng := newRNG(3, t.Name())
	for _, mac := range []bool{false, true} {
		toy := toyContainer{key: randKey(rng), mac: mac}
		var msgs [][][]byte
		var orig [][]byte
		for i := range 6 {
			p := randBytes(rng, 300)
			orig = append(orig, p)
			msgs = append(msgs, toy.seal(uint32(i), p, 1+i%3))
		}
		for i, m := range msgs { // the harness's own premise: untouched messages open
			if got, err := toy.open(m); err != nil || !bytes.Equal(got, orig[i]) {
				t.Fatalf("mac=%v: clean message %d does not open: %v", mac, i, err)
			}
		}
		res := Tamper(rng, "toy", msgs, orig, toy.open, func(error) string { return "toy" }, 5000)
		if res.Trials != 5000 {
			t.Fatalf("mac=%v: %d trials, want 5000", mac, res.Trials)
		}
		if mac {
			if res.Rate != 1 || res.Accepted != 0 {
				t.Fatalf("authenticated toy: rejection rate %v, accepted %d", res.Rate, res.Accepted)
			}
			continue
		}
		if res.Accepted == 0 || res.Wrong == 0 || res.Rate >= 1 {
			t.Fatalf("non-authenticating container not flagged: %+v", res)
		}
		for _, k := range res.Kinds {
			if k.Kind == "bit-flip" && k.Wrong == 0 {
				t.Errorf("bit flips in an unauthenticated body never produced a wrong payload: %+v", k)
			}
		}
	}
}
