package attacks

import (
	"fmt"
	"image"
)

// Oracle encrypts a chosen plaintext under the victim's key. Whether the
// nonce repeats between calls is the oracle's business: a scheme used with a
// fixed nonce is a deterministic function of the plaintext, one used with
// fresh nonces is not.
type Oracle func(p *image.Gray) (*image.Gray, error)

// Recovered is what the classical chosen-plaintext attack learns: for every
// cipher position j, the plain position it comes from (Perm[j]) and the byte
// substitution applied there (Sub[j][v] = cipher byte of plain byte v).
type Recovered struct {
	W, H int
	Perm []int
	Sub  [][256]byte
	inv  [][256]int16 // inverse substitution, -1 where none
	// Bijective is the fraction of positions whose substitution is a
	// bijection, and PermValid reports whether Perm is a permutation. Both are
	// 1/true exactly when the cipher is "permute, then substitute each
	// position independently", the model the attack assumes.
	Bijective float64
	PermValid bool
	// Queries is the number of chosen plaintexts the attack encrypted.
	Queries int
}

// ChosenPlaintext runs the classical attack on a w x h scheme behind enc.
// Step 1 encrypts the 256 constant images (0, the all-zero image, up to 255):
// per position this tabulates the substitution. Step 2 encrypts
// ceil(log256(w*h)) index images, whose pixel i holds base-256 digit k of i:
// undoing the substitution reads off, at every cipher position, the index of
// the plain pixel that landed there. This generalises the single-pixel
// impulse probe (one query per pixel) to 258 queries for 256x256, and it
// makes no assumption about XOR versus addition: any per-position byte
// bijection after any permutation is recovered exactly.
func ChosenPlaintext(enc Oracle, w, h int) (*Recovered, error) {
	n := w * h
	r := &Recovered{W: w, H: h, Perm: make([]int, n), Sub: make([][256]byte, n), inv: make([][256]int16, n)}
	for v := 0; v < 256; v++ {
		p := image.NewGray(image.Rect(0, 0, w, h))
		for i := range p.Pix {
			p.Pix[i] = uint8(v)
		}
		c, err := enc(p)
		if err != nil {
			return nil, fmt.Errorf("attacks: chosen plaintext %d: %w", v, err)
		}
		r.Queries++
		if len(c.Pix) != n {
			return nil, fmt.Errorf("attacks: chosen plaintext %d: cipher image has %d pixels, want %d", v, len(c.Pix), n)
		}
		cg := cloneGray(c)
		for j := range n {
			r.Sub[j][v] = cg.Pix[j]
		}
	}
	bij := 0
	for j := range n {
		for v := range r.inv[j] {
			r.inv[j][v] = -1
		}
		ok := true
		for v := 255; v >= 0; v-- { // lowest plain byte wins on a collision
			c := r.Sub[j][v]
			if r.inv[j][c] != -1 {
				ok = false
			}
			r.inv[j][c] = int16(v)
		}
		if ok {
			bij++
		}
	}
	r.Bijective = float64(bij) / float64(n)

	digits := 1
	for m := 256; m < n; m *= 256 {
		digits++
	}
	for k := range digits {
		p := image.NewGray(image.Rect(0, 0, w, h))
		for i := range p.Pix {
			p.Pix[i] = uint8(i >> (8 * k))
		}
		c, err := enc(p)
		if err != nil {
			return nil, fmt.Errorf("attacks: index image %d: %w", k, err)
		}
		r.Queries++
		cg := cloneGray(c)
		for j := range n {
			d := r.inv[j][cg.Pix[j]]
			if d < 0 {
				d = 0
			}
			r.Perm[j] |= int(d) << (8 * k)
		}
	}
	seen := make([]bool, n)
	r.PermValid = true
	for _, i := range r.Perm {
		if i >= n || seen[i] {
			r.PermValid = false
			break
		}
		seen[i] = true
	}
	return r, nil
}

// Decrypt applies the recovered tables to a cipher image the attack never
// saw: plain[Perm[j]] = Sub[j]^-1(c[j]). Positions the tables cannot invert
// or that the permutation does not reach stay 0.
func (r *Recovered) Decrypt(c *image.Gray) (*image.Gray, error) {
	if c.Rect.Dx() != r.W || c.Rect.Dy() != r.H {
		return nil, fmt.Errorf("attacks: cipher image is %dx%d, tables are %dx%d", c.Rect.Dx(), c.Rect.Dy(), r.W, r.H)
	}
	cg := cloneGray(c)
	out := image.NewGray(image.Rect(0, 0, r.W, r.H))
	for j, i := range r.Perm {
		if i >= len(out.Pix) {
			continue
		}
		if v := r.inv[j][cg.Pix[j]]; v >= 0 {
			out.Pix[i] = uint8(v)
		}
	}
	return out, nil
}

// FixedNonceOracle encrypts every query under the same key and nonce.
func FixedNonceOracle(s Scheme, key [32]byte, nonce []byte) Oracle {
	return func(p *image.Gray) (*image.Gray, error) {
		c, err := s.Encrypt(key, nonce, p)
		if err != nil {
			return nil, err
		}
		return c.Image, nil
	}
}

// FreshNonceOracle encrypts every query under the same key and a new nonce.
func FreshNonceOracle(s Scheme, key [32]byte, nonces func() []byte) Oracle {
	return func(p *image.Gray) (*image.Gray, error) {
		c, err := s.Encrypt(key, nonces(), p)
		if err != nil {
			return nil, err
		}
		return c.Image, nil
	}
}
