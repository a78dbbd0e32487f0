package cipherimg

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"

	"github.com/medqr/medqr/seal"
)

// ParamLabel is the HKDF info string of one scheme parameter set:
// "medqr.org/baselines/<scheme>/v1/<purpose>". Changing how a parameter
// is used must change its label (bump the version).
func ParamLabel(scheme, purpose string) string {
	return "medqr.org/baselines/" + scheme + "/v1/" + purpose
}

// maxParamBytes is what one HKDF-SHA256 expansion can give (255 blocks).
const maxParamBytes = 255 * sha256.Size

// Params hands out a scheme's key-derived parameters: the bytes of
// HKDF-SHA256(secret = key, salt = salt, info = ParamLabel(scheme,
// purpose)), read in order and mapped exactly into the ranges a paper uses.
// The same (key, salt, scheme, purpose) and the same sequence of calls
// always give the same values on every processor. It holds at most
// 8,160 bytes: parameters, not keystreams (use package keystream for those).
type Params struct {
	buf []byte
}

// DeriveParams returns the parameter reader for (key, salt, scheme,
// purpose). salt is the nonce for schemes that have one and nil otherwise.
func DeriveParams(key seal.Key, salt []byte, scheme, purpose string) *Params {
	okm, err := hkdf.Key(sha256.New, key[:], salt, ParamLabel(scheme, purpose), maxParamBytes)
	if err != nil {
		panic("cipherimg: HKDF-SHA256 failed: " + err.Error())
	}
	return &Params{buf: okm}
}

// Bytes returns the next n bytes. It panics when the reader runs out: the
// parameter budget of a scheme is fixed by its code, so that is a bug.
func (p *Params) Bytes(n int) []byte {
	if n < 0 || n > len(p.buf) {
		panic(fmt.Sprintf("cipherimg: parameter reader exhausted (%d bytes asked, %d left)", n, len(p.buf)))
	}
	b := p.buf[:n:n]
	p.buf = p.buf[n:]
	return b
}

// Uint64 returns the next 8 bytes as a big-endian integer.
func (p *Params) Uint64() uint64 { return binary.BigEndian.Uint64(p.Bytes(8)) }

// Unit returns a float64 in the open interval (0, 1): the top 52 bits of
// the next Uint64 as the fraction, with the lowest bit set so that 0 never
// appears. Every value is exact (a multiple of 2^-53).
func (p *Params) Unit() float64 { return Unit(p.Uint64()) }

// Unit maps 64 bits to a float64 in (0, 1) exactly, as Params.Unit does.
func Unit(u uint64) float64 { return float64(u>>11|1) * 0x1p-53 }

// Float returns lo + (hi-lo)*u for u = Unit(), in [lo, hi] for lo < hi.
// The product is rounded on its own (no fused multiply-add), so every
// processor gets the same value.
func (p *Params) Float(lo, hi float64) float64 {
	if !(lo < hi) || math.IsInf(hi-lo, 0) {
		panic(fmt.Sprintf("cipherimg: bad float range [%g, %g]", lo, hi))
	}
	return lo + float64((hi-lo)*p.Unit())
}

// Int returns a uniform integer in [lo, hi] (inclusive), without modulo
// bias (Lemire's multiply-and-reject method on 64-bit draws).
func (p *Params) Int(lo, hi int) int {
	if hi < lo {
		panic(fmt.Sprintf("cipherimg: bad integer range [%d, %d]", lo, hi))
	}
	n := uint64(hi-lo) + 1
	if n == 0 { // the whole 64-bit range
		return lo + int(p.Uint64())
	}
	for {
		hiw, low := bits.Mul64(p.Uint64(), n)
		if low >= n || low >= (-n)%n {
			return lo + int(hiw)
		}
	}
}
