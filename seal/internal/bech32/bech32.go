// Package bech32 implements the Bech32 encoding of BIP-173
// (https://github.com/bitcoin/bips/blob/master/bip-0173.mediawiki): a
// human-readable part, the separator '1', data in a 32-character alphabet and
// a six-character BCH checksum that detects any error affecting up to four
// characters in strings of up to 90 characters, and random errors with
// probability 1-2^-30 in longer ones.
//
// Encode and Decode lift BIP-173's 90-character limit (as age does for its
// long keys); DecodeStrict applies it and is what the BIP-173 test vectors
// exercise. Strings are all lower case or all upper case; Encode keeps the
// case of the human-readable part and writes data in the same case.
package bech32

import (
	"errors"
	"fmt"
	"strings"
)

const charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

var generator = [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}

func polymod(values []byte) uint32 {
	chk := uint32(1)
	for _, v := range values {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for i := 0; i < 5; i++ {
			if (top>>uint(i))&1 == 1 {
				chk ^= generator[i]
			}
		}
	}
	return chk
}

func hrpExpand(hrp string) []byte {
	h := strings.ToLower(hrp)
	out := make([]byte, 0, 2*len(h)+1)
	for i := 0; i < len(h); i++ {
		out = append(out, h[i]>>5)
	}
	out = append(out, 0)
	for i := 0; i < len(h); i++ {
		out = append(out, h[i]&31)
	}
	return out
}

func verifyChecksum(hrp string, data []byte) bool {
	return polymod(append(hrpExpand(hrp), data...)) == 1
}

func createChecksum(hrp string, data []byte) []byte {
	values := append(hrpExpand(hrp), data...)
	values = append(values, 0, 0, 0, 0, 0, 0)
	mod := polymod(values) ^ 1
	ret := make([]byte, 6)
	for p := 0; p < 6; p++ {
		ret[p] = byte(mod>>uint(5*(5-p))) & 31
	}
	return ret
}

// Sentinel errors; Decode wraps them with a position or count, never with
// the input string itself (callers decode secret keys).
var (
	ErrChecksum  = errors.New("checksum mismatch")
	ErrMixedCase = errors.New("mixed upper and lower case")
	ErrSeparator = errors.New("missing separator '1'")
	ErrCharacter = errors.New("invalid character")
	ErrLength    = errors.New("invalid length")
	ErrPadding   = errors.New("invalid padding")
)

// Encode returns hrp, '1', the data converted to 5-bit groups and the
// checksum. An upper-case hrp gives an all upper-case string. It returns an
// error for an hrp outside ASCII 33..126 or of mixed case.
func Encode(hrp string, data []byte) (string, error) {
	if len(hrp) < 1 {
		return "", fmt.Errorf("bech32: empty human-readable part: %w", ErrLength)
	}
	lower := strings.ToLower(hrp)
	upper := strings.ToUpper(hrp)
	if hrp != lower && hrp != upper {
		return "", fmt.Errorf("bech32: human-readable part: %w", ErrMixedCase)
	}
	for i := 0; i < len(hrp); i++ {
		if hrp[i] < 33 || hrp[i] > 126 {
			return "", fmt.Errorf("bech32: human-readable part: %w", ErrCharacter)
		}
	}
	values, err := ConvertBits(data, 8, 5, true)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.Grow(len(hrp) + 1 + len(values) + 6)
	b.WriteString(lower)
	b.WriteByte('1')
	for _, v := range values {
		b.WriteByte(charset[v])
	}
	for _, v := range createChecksum(lower, values) {
		b.WriteByte(charset[v])
	}
	if hrp == upper && hrp != lower {
		return strings.ToUpper(b.String()), nil
	}
	return b.String(), nil
}

// Decode parses a Bech32 string of any length and returns its hrp (in the
// case it was written) and data as 8-bit bytes.
func Decode(s string) (hrp string, data []byte, err error) {
	hrp, values, err := decode(s, 0)
	if err != nil {
		return "", nil, err
	}
	data, err = ConvertBits(values, 5, 8, false)
	if err != nil {
		return "", nil, err
	}
	return hrp, data, nil
}

// DecodeStrict parses a string under every rule of BIP-173, including the
// 90-character limit, and returns the hrp and the raw 5-bit data values
// (without the checksum).
func DecodeStrict(s string) (hrp string, values []byte, err error) {
	return decode(s, 90)
}

func decode(s string, maxLen int) (string, []byte, error) {
	if maxLen > 0 && len(s) > maxLen {
		return "", nil, fmt.Errorf("bech32: %d characters, at most %d allowed: %w", len(s), maxLen, ErrLength)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 33 || s[i] > 126 {
			return "", nil, fmt.Errorf("bech32: character %d out of range: %w", i+1, ErrCharacter)
		}
	}
	lower := strings.ToLower(s)
	if s != lower && s != strings.ToUpper(s) {
		return "", nil, fmt.Errorf("bech32: %w", ErrMixedCase)
	}
	pos := strings.LastIndexByte(lower, '1')
	if pos < 0 {
		return "", nil, fmt.Errorf("bech32: %w", ErrSeparator)
	}
	if pos < 1 {
		return "", nil, fmt.Errorf("bech32: empty human-readable part: %w", ErrLength)
	}
	if pos+7 > len(s) {
		return "", nil, fmt.Errorf("bech32: data part shorter than the 6-character checksum: %w", ErrLength)
	}
	values := make([]byte, 0, len(s)-pos-1)
	for i := pos + 1; i < len(s); i++ {
		d := strings.IndexByte(charset, lower[i])
		if d < 0 {
			return "", nil, fmt.Errorf("bech32: character %d is not in the Bech32 alphabet: %w", i+1, ErrCharacter)
		}
		values = append(values, byte(d))
	}
	if !verifyChecksum(lower[:pos], values) {
		return "", nil, fmt.Errorf("bech32: %w", ErrChecksum)
	}
	return s[:pos], values[:len(values)-6], nil
}

// ConvertBits regroups data from fromBits-wide to toBits-wide values. With
// pad, a final partial group is zero-padded; without it, leftover bits must
// be fewer than fromBits and zero.
func ConvertBits(data []byte, fromBits, toBits uint, pad bool) ([]byte, error) {
	var acc uint32
	var bits uint
	maxv := uint32(1)<<toBits - 1
	out := make([]byte, 0, len(data)*int(fromBits)/int(toBits)+1)
	for _, v := range data {
		if uint32(v)>>fromBits != 0 {
			return nil, fmt.Errorf("bech32: value out of range: %w", ErrCharacter)
		}
		acc = acc<<fromBits | uint32(v)
		bits += fromBits
		for bits >= toBits {
			bits -= toBits
			out = append(out, byte(acc>>bits&maxv))
		}
	}
	if pad {
		if bits > 0 {
			out = append(out, byte(acc<<(toBits-bits)&maxv))
		}
	} else if bits >= fromBits || acc<<(toBits-bits)&maxv != 0 {
		return nil, fmt.Errorf("bech32: %w", ErrPadding)
	}
	return out, nil
}
