package eval

import (
	"fmt"
	"image"
	"io"

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
	lv, err := qr.ParseLevel(env.QRLevel)
	if err != nil {
		return Subject{}, fmt.Errorf("product subject: %w", err)
	}
	capacity := qr.Capacity(lv)
	l, err := codec.DefaultLearned()
	if err != nil {
		return Subject{}, fmt.Errorf("product subject: %w", err)
	}
	var c codec.Codec = l
	budget := seal.PayloadBudget(capacity, seal.NewKeySealer(seal.Key{}))
	encode := func(img *image.Gray) ([]byte, error) {
		return c.Encode(img, budget)
	}
	if !sealed {
		return Subject{
			Name: "learned-code", Group: "codec", Deterministic: true,
			Note: fmt.Sprintf("learned codec payload before sealing (budget %d bytes for one %c-level QR symbol); not a cipher", budget, byte(lv)),
			Encrypt: func(img *image.Gray, _ Key, _ []byte, _ io.Reader) (Output, error) {
				p, err := encode(img)
				if err != nil {
					return Output{}, err
				}
				return Output{Samples: p, W: len(p), H: 1, Blob: p}, nil
			},
			Decrypt: func(out Output, _ Key) (image.Image, error) {
				return c.Decode(out.Blob.([]byte))
			},
		}, nil
	}
	type blob struct{ containers [][]byte }
	return Subject{
		Name: "product-sealed", Group: "product", FreshNonce: true, Deterministic: false,
		Note: fmt.Sprintf("product path: learned codec + seal (key mode, ChaCha20-Poly1305, random message id), the %d-byte container of one %c-level QR symbol, header included", capacity, byte(lv)),
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
			return c.Decode(p)
		},
	}, nil
}
