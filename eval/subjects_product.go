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
)

// The product path as package store runs it, minus the files and the QR
// rendering: codec.Encode within the byte budget of one QR symbol
// (seal.PayloadBudget of qr.Capacity(level)), then seal.SealMessage with a
// key sealer. "learned-code" is the codec's output before sealing (not a
// cipher: it shows what the seal has to hide); "product-sealed" is the
// sealed container, the bytes a QR symbol carries.

func init() {
	registerSubject("learned-code", 30, func(env SubjectEnv) (Subject, error) { return productSubject(env, false) })
	registerSubject("product-sealed", 31, func(env SubjectEnv) (Subject, error) { return productSubject(env, true) })
}

func productSubject(env SubjectEnv, sealed bool) (Subject, error) {
	l, err := codec.DefaultLearned()
	if err != nil {
		return Subject{}, fmt.Errorf("product subject: %w", err)
	}
	return productSubjectWith(l, env, sealed)
}

// productSubjectWith builds a product subject around any codec.
func productSubjectWith(c codec.Codec, env SubjectEnv, sealed bool) (Subject, error) {
	lv, err := qr.ParseLevel(env.QRLevel)
	if err != nil {
		return Subject{}, fmt.Errorf("product subject: %w", err)
	}
	capacity := qr.Capacity(lv)
	budget := seal.PayloadBudget(capacity, seal.NewKeySealer(seal.Key{}))
	encode := func(img *image.Gray) ([]byte, error) {
		return learnedMemo.encode(c, img, budget)
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
				return learnedMemo.decode(c, out.Blob.([]byte))
			},
		}, nil
	}
	type blob struct{ containers [][]byte }
	return Subject{
		Name: "product-sealed", Group: "product", FreshNonce: true, Deterministic: false,
		Note: fmt.Sprintf("product path: %s codec + seal (key mode, ChaCha20-Poly1305, random message id), the %d-byte container of one %c-level QR symbol, header included; its 15 clear header bytes other than the message id (magic, version, mode, index, count, codec, size, depth, level) are equal in any two containers, which caps NPCR near %.2f %%, below the critical value", c.Name(), capacity, byte(lv), 100*float64(capacity-15)/float64(capacity)*255/256),
		Encrypt: func(img *image.Gray, key Key, _ []byte, _ io.Reader) (Output, error) {
			p, err := encode(img)
			if err != nil {
				return Output{}, err
			}
			b := img.Bounds()
			m := seal.Meta{Codec: c.ID(), Width: b.Dx(), Height: b.Dy(), Depth: 8, Level: byte(lv)}
			cs, err := seal.SealMessage(m, p, capacity, seal.NewKeySealer(seal.Key(key)))
			if err != nil {
				return Output{}, err
			}
			if len(cs) != 1 {
				return Output{}, fmt.Errorf("sealed payload needs %d symbols, want 1", len(cs))
			}
			return Output{Samples: cs[0], W: len(cs[0]), H: 1, Blob: blob{cs}}, nil
		},
		Decrypt: func(out Output, key Key) (image.Image, error) {
			_, p, err := seal.OpenMessage(out.Blob.(blob).containers, seal.KeyOpener(seal.Key(key)))
			if err != nil {
				return nil, err
			}
			return learnedMemo.decode(c, p)
		},
	}, nil
}

// learnedMemo remembers learned-codec payloads by (pixels, budget): the
// codec is deterministic and the same images are coded by both product
// subjects and again by every key-sensitivity trial.
// Decoded images are remembered by payload for the same reason (both
// subjects decode the same payloads for their fidelity figures); callers
// must not modify them.
var learnedMemo = &codeMemo{m: map[[32]byte][]byte{}, d: map[[32]byte]image.Image{}}

type codeMemo struct {
	mu sync.Mutex
	m  map[[32]byte][]byte
	d  map[[32]byte]image.Image
}

func (cm *codeMemo) decode(c codec.Codec, payload []byte) (image.Image, error) {
	hs := sha256.New()
	fmt.Fprintf(hs, "%d\n", c.ID())
	hs.Write(payload)
	var k [32]byte
	copy(k[:], hs.Sum(nil))
	cm.mu.Lock()
	img, ok := cm.d[k]
	cm.mu.Unlock()
	if ok {
		return img, nil
	}
	img, err := c.Decode(payload)
	if err != nil {
		return nil, err
	}
	cm.mu.Lock()
	if len(cm.d) > 512 {
		clear(cm.d)
	}
	cm.d[k] = img
	cm.mu.Unlock()
	return img, nil
}

func (cm *codeMemo) encode(c codec.Codec, img *image.Gray, budget int) ([]byte, error) {
	pix, w, h := gray8(img)
	hs := sha256.New()
	fmt.Fprintf(hs, "%d %d %d %d\n", c.ID(), w, h, budget)
	hs.Write(pix)
	var k [32]byte
	copy(k[:], hs.Sum(nil))
	cm.mu.Lock()
	p, ok := cm.m[k]
	cm.mu.Unlock()
	if ok {
		return p, nil
	}
	p, err := c.Encode(img, budget)
	if err != nil {
		return nil, err
	}
	cm.mu.Lock()
	if len(cm.m) > 4096 {
		clear(cm.m)
	}
	cm.m[k] = p
	cm.mu.Unlock()
	return p, nil
}
