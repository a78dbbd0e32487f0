package eval

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"image"
	"io"
	"math/rand/v2"
	"sort"
	"sync"
)

// Key is a 256-bit evaluation key. Evaluation keys are derived from the
// run's seed so that two runs give identical numbers; they protect nothing
// and never leave the evaluation.
type Key [32]byte

// Output is what a subject makes of one image.
type Output struct {
	// Samples are what the statistics see: W*H bytes in row-major order
	// for an image-shaped output, the byte string (H = 1) otherwise.
	Samples []byte
	W, H    int
	// Blob is whatever the subject's Decrypt needs besides the key.
	Blob any
}

// Subject is one construction under evaluation: a control cipher, the
// research scheme, the product path, or the learned codec's code bytes.
type Subject struct {
	Name  string // short identifier used in files and tables
	Group string // "control", "research", "product" or "codec"
	Note  string // one line for the report
	// ImageShaped says Samples have the input's width and height, so the
	// 2-D statistics (vertical and diagonal correlation, 44x44 local
	// entropy blocks) apply.
	ImageShaped bool
	// FreshNonce says every Encrypt draws a new nonce from rnd, so the
	// sensitivity tests compare two independent encryptions and pass
	// whatever the construction.
	FreshNonce bool
	// Deterministic says Encrypt is a function of (image, key, nonce, rnd).
	// A subject that draws its own randomness from crypto/rand is not, and
	// its numbers change from run to run.
	Deterministic bool
	// Encrypt maps img under key and nonce (a 24-byte value; subjects use
	// the prefix they need) to an Output. rnd supplies any randomness the
	// construction draws itself (fresh nonces).
	Encrypt func(img *image.Gray, key Key, nonce []byte, rnd io.Reader) (Output, error)
	// Decrypt inverts Encrypt; nil when the subject has no inverse.
	Decrypt func(out Output, key Key) (image.Image, error)
}

// Info is what results record of s.
func (s Subject) Info() SubjectInfo {
	return SubjectInfo{Name: s.Name, Group: s.Group, Note: s.Note, ImageShaped: s.ImageShaped, FreshNonce: s.FreshNonce, Deterministic: s.Deterministic}
}

// SubjectEnv is what subject constructors may use.
type SubjectEnv struct {
	// QRLevel sizes the product path's payload ("L", "M", "Q", "H").
	QRLevel string
}

type subjectCtor struct {
	order int
	make  func(SubjectEnv) (Subject, error)
}

var (
	subjectsMu sync.Mutex
	subjects   = map[string]subjectCtor{}
)

// registerSubject adds a subject constructor; order sorts the default list.
func registerSubject(name string, order int, mk func(SubjectEnv) (Subject, error)) {
	subjectsMu.Lock()
	defer subjectsMu.Unlock()
	if _, dup := subjects[name]; dup {
		panic("eval: duplicate subject " + name)
	}
	subjects[name] = subjectCtor{order, mk}
}

// SubjectNames lists every registered subject in report order.
func SubjectNames() []string {
	subjectsMu.Lock()
	defer subjectsMu.Unlock()
	names := make([]string, 0, len(subjects))
	for n := range subjects {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := subjects[names[i]], subjects[names[j]]
		if a.order != b.order {
			return a.order < b.order
		}
		return names[i] < names[j]
	})
	return names
}

// NewSubject builds a registered subject by name.
func NewSubject(name string, env SubjectEnv) (Subject, error) {
	subjectsMu.Lock()
	c, ok := subjects[name]
	subjectsMu.Unlock()
	if !ok {
		return Subject{}, fmt.Errorf("eval: unknown subject %q", name)
	}
	return c.make(env)
}

// ---------------------------------------------------------------------------
// Control ciphers over the image's bytes. They exist to show which tests
// can tell a broken construction from a sound one; they are not offered
// anywhere else.

func init() {
	registerSubject("aes-256-gcm", 10, func(SubjectEnv) (Subject, error) { return AESGCMControl(), nil })
	registerSubject("aes-ctr-reused-iv", 11, func(SubjectEnv) (Subject, error) { return AESCTRReusedControl(), nil })
	registerSubject("aes-ecb", 12, func(SubjectEnv) (Subject, error) { return AESECBControl(), nil })
}

func grayFrom(pix []byte, w, h int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	copy(g.Pix, pix)
	return g
}

// AESGCMControl is AES-256-GCM with a fresh 96-bit nonce per encryption
// (the sound construction). Samples are the ciphertext body (as long as the
// image); the 16-byte tag is kept in Blob for decryption.
func AESGCMControl() Subject {
	type blob struct{ nonce, ct []byte }
	return Subject{
		Name: "aes-256-gcm", Group: "control", ImageShaped: true, FreshNonce: true, Deterministic: true,
		Note: "sound: AES-256-GCM, fresh random nonce per encryption (tag excluded from the statistics)",
		Encrypt: func(img *image.Gray, key Key, _ []byte, rnd io.Reader) (Output, error) {
			pix, w, h := gray8(img)
			aead, err := newGCM(key)
			if err != nil {
				return Output{}, err
			}
			nonce := make([]byte, aead.NonceSize())
			if _, err := io.ReadFull(rnd, nonce); err != nil {
				return Output{}, fmt.Errorf("aes-256-gcm: failed to draw a nonce: %w", err)
			}
			ct := aead.Seal(nil, nonce, pix, nil)
			return Output{Samples: ct[:len(pix)], W: w, H: h, Blob: blob{nonce, ct}}, nil
		},
		Decrypt: func(out Output, key Key) (image.Image, error) {
			b := out.Blob.(blob)
			aead, err := newGCM(key)
			if err != nil {
				return nil, err
			}
			pix, err := aead.Open(nil, b.nonce, b.ct, nil)
			if err != nil {
				return nil, fmt.Errorf("aes-256-gcm: %w", err)
			}
			return grayFrom(pix, out.W, out.H), nil
		},
	}
}

func newGCM(key Key) (cipher.AEAD, error) { return cipher.NewGCM(aesBlock(key)) }

// aesBlock is AES-256 under key (a Key is always a valid AES-256 key).
func aesBlock(key Key) cipher.Block {
	blk, err := aes.NewCipher(key[:])
	if err != nil {
		panic("eval: AES-256 refused a 32-byte key: " + err.Error())
	}
	return blk
}

// AESCTRReusedControl is AES-256-CTR with the caller's nonce as the IV: the
// evaluation reuses one IV per key, which is the classic broken
// construction (C1 xor C2 = P1 xor P2).
func AESCTRReusedControl() Subject {
	return Subject{
		Name: "aes-ctr-reused-iv", Group: "control", ImageShaped: true, Deterministic: true,
		Note: "broken: AES-256-CTR with the IV reused across encryptions",
		Encrypt: func(img *image.Gray, key Key, nonce []byte, _ io.Reader) (Output, error) {
			pix, w, h := gray8(img)
			blk := aesBlock(key)
			out := make([]byte, len(pix))
			cipher.NewCTR(blk, nonce[:aes.BlockSize]).XORKeyStream(out, pix)
			return Output{Samples: out, W: w, H: h, Blob: append([]byte(nil), nonce[:aes.BlockSize]...)}, nil
		},
		Decrypt: func(out Output, key Key) (image.Image, error) {
			blk := aesBlock(key)
			pix := make([]byte, len(out.Samples))
			cipher.NewCTR(blk, out.Blob.([]byte)).XORKeyStream(pix, out.Samples)
			return grayFrom(pix, out.W, out.H), nil
		},
	}
}

// AESECBControl is AES-256 in ECB mode over the image bytes with PKCS#7
// padding: equal 16-pixel blocks give equal ciphertext blocks. Samples are
// the first W*H ciphertext bytes; the padding block stays in Blob.
func AESECBControl() Subject {
	return Subject{
		Name: "aes-ecb", Group: "control", ImageShaped: true, Deterministic: true,
		Note: "broken: AES-256-ECB (no IV, equal blocks encrypt equally)",
		Encrypt: func(img *image.Gray, key Key, _ []byte, _ io.Reader) (Output, error) {
			pix, w, h := gray8(img)
			blk := aesBlock(key)
			pad := aes.BlockSize - len(pix)%aes.BlockSize
			buf := make([]byte, len(pix)+pad)
			copy(buf, pix)
			for i := len(pix); i < len(buf); i++ {
				buf[i] = byte(pad)
			}
			for i := 0; i < len(buf); i += aes.BlockSize {
				blk.Encrypt(buf[i:i+aes.BlockSize], buf[i:i+aes.BlockSize])
			}
			return Output{Samples: buf[:len(pix)], W: w, H: h, Blob: buf}, nil
		},
		Decrypt: func(out Output, key Key) (image.Image, error) {
			blk := aesBlock(key)
			ct := out.Blob.([]byte)
			buf := make([]byte, len(ct))
			for i := 0; i < len(buf); i += aes.BlockSize {
				blk.Decrypt(buf[i:i+aes.BlockSize], ct[i:i+aes.BlockSize])
			}
			pad := int(buf[len(buf)-1])
			if pad < 1 || pad > aes.BlockSize || len(buf)-pad != out.W*out.H {
				return nil, fmt.Errorf("aes-ecb: bad padding")
			}
			return grayFrom(buf[:len(buf)-pad], out.W, out.H), nil
		},
	}
}

// ---------------------------------------------------------------------------
// Deterministic randomness.

// newRand returns a ChaCha8 generator seeded by SHA-256 of the run seed and
// the labels, so each purpose has its own stream and adding a subject does
// not shift the others.
func newRand(seed uint64, labels ...string) *rand.Rand {
	return rand.New(newChaCha(seed, labels...))
}

func newChaCha(seed uint64, labels ...string) *rand.ChaCha8 {
	h := sha256.New()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	h.Write([]byte("medqr.org/eval/v1"))
	h.Write(b[:])
	for _, l := range labels {
		binary.LittleEndian.PutUint64(b[:], uint64(len(l)))
		h.Write(b[:])
		h.Write([]byte(l))
	}
	var s [32]byte
	copy(s[:], h.Sum(nil))
	return rand.NewChaCha8(s)
}

// randReader adapts a ChaCha8 generator to io.Reader.
type randReader struct{ c *rand.ChaCha8 }

func (r randReader) Read(p []byte) (int, error) { return r.c.Read(p) }

// deriveKey returns the evaluation key for (seed, subject, index).
func deriveKey(seed uint64, subject string, i int) Key {
	var k Key
	r := newChaCha(seed, "key", subject, fmt.Sprint(i))
	_, _ = r.Read(k[:])
	return k
}
