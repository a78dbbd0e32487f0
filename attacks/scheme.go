package attacks

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"fmt"
	"image"

	"golang.org/x/crypto/chacha20"
)

// Scheme is an image cipher under attack: 8-bit gray in, cipher image of the
// same size out. The nonce is chosen by the caller, so an attack decides
// whether the key and nonce repeat. Ciphertext carries whatever the scheme
// needs besides the key to decrypt (its header); an attack damages only
// Ciphertext.Image.
type Scheme interface {
	Name() string
	NonceSize() int
	Encrypt(key [32]byte, nonce []byte, p *image.Gray) (*Ciphertext, error)
	Decrypt(key [32]byte, c *Ciphertext) (*image.Gray, error)
}

// Ciphertext is a cipher image plus the scheme's own header.
type Ciphertext struct {
	Image  *image.Gray
	header any
}

// withImage returns a copy of c carrying img (a damaged cipher image).
func (c *Ciphertext) withImage(img *image.Gray) *Ciphertext {
	return &Ciphertext{Image: img, header: c.header}
}

// AESCTR is the reference curve: each pixel XORed with one byte of an
// AES-256-CTR keystream (the nonce is the 16-byte initial counter block). A
// damaged cipher pixel damages exactly one plain pixel, so it bounds from
// above what any scheme can keep under pixel noise.
type AESCTR struct{}

func (AESCTR) Name() string   { return "AES-256-CTR (reference)" }
func (AESCTR) NonceSize() int { return aes.BlockSize }

func (AESCTR) Encrypt(key [32]byte, nonce []byte, p *image.Gray) (*Ciphertext, error) {
	out, err := aesctrXOR(key, nonce, p)
	if err != nil {
		return nil, err
	}
	return &Ciphertext{Image: out, header: append([]byte(nil), nonce...)}, nil
}

func (AESCTR) Decrypt(key [32]byte, c *Ciphertext) (*image.Gray, error) {
	nonce, ok := c.header.([]byte)
	if !ok {
		return nil, fmt.Errorf("attacks: aes-ctr: ciphertext has no nonce")
	}
	return aesctrXOR(key, nonce, c.Image)
}

func aesctrXOR(key [32]byte, nonce []byte, g *image.Gray) (*image.Gray, error) {
	if len(nonce) != aes.BlockSize {
		return nil, fmt.Errorf("attacks: aes-ctr: nonce is %d bytes, want %d", len(nonce), aes.BlockSize)
	}
	blk, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	out := cloneGray(g)
	cipher.NewCTR(blk, nonce).XORKeyStream(out.Pix, out.Pix)
	return out, nil
}

// PermXOR is a deliberately weak cipher: a keyed pixel permutation followed
// by XOR with an XChaCha20 keystream, c[j] = p[perm[j]] ^ k[j]. Both the
// permutation and the keystream depend only on (key, nonce), with no
// diffusion, so one chosen-plaintext batch under a repeated nonce breaks it
// completely. It is the positive control of the plaintext attacks.
type PermXOR struct{}

func (PermXOR) Name() string   { return "permutation + XOR (weak control)" }
func (PermXOR) NonceSize() int { return chacha20.NonceSizeX }

func (s PermXOR) Encrypt(key [32]byte, nonce []byte, p *image.Gray) (*Ciphertext, error) {
	perm, ks, err := permXORTables(key, nonce, p.Rect.Dx()*p.Rect.Dy())
	if err != nil {
		return nil, err
	}
	src := cloneGray(p)
	out := image.NewGray(src.Rect)
	for j, i := range perm {
		out.Pix[j] = src.Pix[i] ^ ks[j]
	}
	return &Ciphertext{Image: out, header: append([]byte(nil), nonce...)}, nil
}

func (s PermXOR) Decrypt(key [32]byte, c *Ciphertext) (*image.Gray, error) {
	nonce, ok := c.header.([]byte)
	if !ok {
		return nil, fmt.Errorf("attacks: perm-xor: ciphertext has no nonce")
	}
	src := cloneGray(c.Image)
	perm, ks, err := permXORTables(key, nonce, len(src.Pix))
	if err != nil {
		return nil, err
	}
	out := image.NewGray(src.Rect)
	for j, i := range perm {
		out.Pix[i] = src.Pix[j] ^ ks[j]
	}
	return out, nil
}

// permXORTables derives the permutation (Fisher-Yates, unbiased rejection
// sampling on 32-bit draws) and the XOR keystream from one XChaCha20 stream.
func permXORTables(key [32]byte, nonce []byte, n int) (perm []int, ks []byte, err error) {
	st, err := chacha20.NewUnauthenticatedCipher(key[:], nonce)
	if err != nil {
		return nil, nil, fmt.Errorf("attacks: perm-xor: %w", err)
	}
	ks = make([]byte, n)
	st.XORKeyStream(ks, ks)
	// Draws come from a buffered stream: one XORKeyStream call per 4 bytes
	// would dominate the cost on large images.
	buf := make([]byte, 4096)
	pos := len(buf)
	next := func() uint32 {
		if pos == len(buf) {
			clear(buf)
			st.XORKeyStream(buf, buf)
			pos = 0
		}
		v := binary.LittleEndian.Uint32(buf[pos:])
		pos += 4
		return v
	}
	perm = make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	for i := n - 1; i > 0; i-- {
		bound := uint32(i + 1)
		limit := ^uint32(0) - (^uint32(0) % bound) // largest multiple of bound
		v := next()
		for v >= limit {
			v = next()
		}
		j := int(v % bound)
		perm[i], perm[j] = perm[j], perm[i]
	}
	return perm, ks, nil
}
