package eval

import (
	"crypto/sha256"
	"fmt"
	"image"
	"io"
	"sync"

	"github.com/medqr/medqr/codec"
	"github.com/medqr/medqr/qr"
	"github.com/medqr/medqr/seal"
	"github.com/medqr/medqr/store"
)

// The product path as package store runs it for `medqr encrypt`, minus the
// files and the QR rendering: the default codec (store.DefaultCodec(),
// "iwave" in this build) codes the image within the byte budget of one QR
// symbol (seal.PayloadBudget of qr.Capacity(level)), then seal.SealMessage
// seals it with a key sealer.
//
//   - "product-sealed" is the sealed container of the default codec's
//     payload: the bytes a QR symbol carries, header included.
//   - "iwave-code" is the iwave codec's payload before sealing (the default
//     codec's, in this build), and "learned-code" the conv autoencoder's
//     (codec "learned", trained with a decorrelation loss on its latents), both
//     under the same budget. They are not ciphers: they show what the seal has
//     to hide.

func init() {
	registerSubject("learned-code", 30, func(env SubjectEnv) (Subject, error) {
		l, err := codec.DefaultLearned()
		if err != nil {
			return Subject{}, fmt.Errorf("learned-code subject: %w", err)
		}
		return productSubjectWith(l, env, false)
	})
	registerSubject("iwave-code", 31, func(env SubjectEnv) (Subject, error) {
		c, err := codec.ByName("iwave")
		if err != nil {
			return Subject{}, fmt.Errorf("iwave-code subject: %w", err)
		}
		return productSubjectWith(c, env, false)
	})
	registerSubject("product-sealed", 32, func(env SubjectEnv) (Subject, error) {
		c, err := ProductCodec()
		if err != nil {
			return Subject{}, fmt.Errorf("product-sealed subject: %w", err)
		}
		return productSubjectWith(c, env, true)
	})
}

// ProductCodec returns the codec that `medqr encrypt` uses by default
// (store.DefaultCodec()), the one the "product-sealed" subject runs.
func ProductCodec() (codec.Codec, error) {
	return codec.ByName(store.DefaultCodec())
}

// productSubjectWith builds a product subject around any codec: its
// payload before sealing (named after the codec, "<name>-code") or, with
// sealed, the sealed container ("product-sealed").
func productSubjectWith(c codec.Codec, env SubjectEnv, sealed bool) (Subject, error) {
	lv, err := qr.ParseLevel(env.QRLevel)
	if err != nil {
		return Subject{}, fmt.Errorf("product subject: %w", err)
	}
	capacity := qr.Capacity(lv)
	budget := seal.PayloadBudget(capacity, seal.NewKeySealer(seal.Key{}))
	encode := func(img *image.Gray) ([]byte, error) {
		return payloadMemo.encode(c, img, budget)
	}
	if !sealed {
		return Subject{
			Name: c.Name() + "-code", Group: "codec", Deterministic: true,
			Note: fmt.Sprintf("%s codec payload before sealing (budget %d bytes for one %c-level QR symbol); not a cipher", c.Name(), budget, byte(lv)),
			Encrypt: func(img *image.Gray, _ Key, _ []byte, _ io.Reader) (Output, error) {
				p, err := encode(img)
				if err != nil {
					return Output{}, err
				}
				return Output{Samples: p, W: len(p), H: 1, Blob: p}, nil
			},
			Decrypt: func(out Output, _ Key) (image.Image, error) {
				return payloadMemo.decode(c, out.Blob.([]byte))
			},
		}, nil
	}
	type blob struct{ containers [][]byte }
	return Subject{
		Name: "product-sealed", Group: "product", FreshNonce: true, Deterministic: true,
		Note: fmt.Sprintf("product path: %s codec (codec id %d) + seal (key mode, ChaCha20-Poly1305, random message id; here drawn from the run's seeded generator so that results repeat, where medqr encrypt draws it from crypto/rand), the %d-byte container of one %c-level QR symbol, header included; its 15 clear header bytes other than the message id (magic, version, mode, index, count, codec, size, depth, level) are equal in any two containers, which caps NPCR near %.2f %%, below the critical value", c.Name(), c.ID(), capacity, byte(lv), 100*float64(capacity-15)/float64(capacity)*255/256),
		Encrypt: func(img *image.Gray, key Key, _ []byte, rnd io.Reader) (Output, error) {
			p, err := encode(img)
			if err != nil {
				return Output{}, err
			}
			b := img.Bounds()
			m := seal.Meta{Codec: c.ID(), Width: b.Dx(), Height: b.Dy(), Depth: 8, Level: byte(lv)}
			sealer := seal.NewKeySealer(seal.Key(key))
			if rnd != nil { // nil: crypto/rand, as the product
				sealer = seal.WithRand(sealer, rnd)
			}
			cs, err := seal.SealMessage(m, p, capacity, sealer)
			if err != nil {
				return Output{}, err
			}
			if len(cs) != 1 {
				return Output{}, fmt.Errorf("sealed payload needs %d symbols, want 1", len(cs))
			}
			return Output{Samples: cs[0], W: len(cs[0]), H: 1, Blob: blob{cs}}, nil
		},
		Decrypt: func(out Output, key Key) (image.Image, error) {
			m, p, err := seal.OpenMessage(out.Blob.(blob).containers, seal.KeyOpener(seal.Key(key)))
			if err != nil {
				return nil, err
			}
			if m.Codec != c.ID() {
				return nil, fmt.Errorf("sealed message names codec id %d, want %d (%s)", m.Codec, c.ID(), c.Name())
			}
			return payloadMemo.decode(c, p)
		},
	}, nil
}

// payloadMemo remembers codec payloads by (codec id, pixels, budget): the
// codecs are deterministic, and the same images are coded by a codec's
// "-code" subject and "product-sealed" (when it runs the same codec) and
// again by every key-sensitivity trial. Decoded images are remembered by
// (codec id, payload) for the same reason (both subjects decode the same
// payloads for their fidelity figures); callers must not modify them.
var payloadMemo = newCodeMemo()

// codeMemo holds payloads by (codec id, size, budget, pixels) and decoded
// images by (codec id, payload), each cleared when it outgrows its bound.
type codeMemo struct {
	enc memo[[]byte]
	dec memo[image.Image]
}

func newCodeMemo() *codeMemo {
	return &codeMemo{enc: memo[[]byte]{max: 4096}, dec: memo[image.Image]{max: 512}}
}

func (cm *codeMemo) decode(c codec.Codec, payload []byte) (image.Image, error) {
	k := memoKey(fmt.Sprintf("%d\n", c.ID()), payload)
	return cm.dec.get(k, func() (image.Image, error) { return c.Decode(payload) })
}

func (cm *codeMemo) encode(c codec.Codec, img *image.Gray, budget int) ([]byte, error) {
	pix, w, h := gray8(img)
	k := memoKey(fmt.Sprintf("%d %d %d %d\n", c.ID(), w, h, budget), pix)
	return cm.enc.get(k, func() ([]byte, error) { return c.Encode(img, budget) })
}

// memoKey is the SHA-256 of a header line and data.
func memoKey(header string, data []byte) [32]byte {
	hs := sha256.New()
	hs.Write([]byte(header))
	hs.Write(data)
	var k [32]byte
	copy(k[:], hs.Sum(nil))
	return k
}

// memo is a concurrent map of computed values, emptied when it holds more
// than max.
type memo[V any] struct {
	mu  sync.Mutex
	m   map[[32]byte]V
	max int
}

// get returns the value under k, computing and keeping it on a miss;
// errors are not kept.
func (m *memo[V]) get(k [32]byte, compute func() (V, error)) (V, error) {
	m.mu.Lock()
	v, ok := m.m[k]
	m.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := compute()
	if err != nil {
		var zero V
		return zero, err
	}
	m.mu.Lock()
	if m.m == nil || len(m.m) > m.max {
		m.m = map[[32]byte]V{}
	}
	m.m[k] = v
	m.mu.Unlock()
	return v, nil
}

// len is the number of values held.
func (m *memo[V]) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.m)
}
