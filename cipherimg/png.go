package cipherimg

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/medqr/medqr/internal/pngchunk"
	"github.com/medqr/medqr/keystream"
)

// HeaderKeyword is the keyword of the PNG tEXt chunk that carries the
// header, e.g.
//
//	medqr-cipherimg: version=2 scheme=cipherimg keystream=chacha20 nonce=<32 hex>
//	    width=256 height=256 depth=8 rounds=1 layers=2 permutation=on network=on diffusion=on
//	medqr-cipherimg: version=2 scheme=yang2023 width=256 height=256 depth=8 aux=<128 hex>
//
// Version 1 (no scheme field, otherwise as the first line) is still read.
// The chunk is not authenticated: whoever can change the file can change it.
const HeaderKeyword = "medqr-cipherimg"

// commentText goes into a second tEXt chunk ("Comment") for people who
// open the PNG in an image viewer's metadata panel.
const commentText = "RESEARCH-ONLY medqr cipher image (not the product format, not authenticated)"

// maxPNGBytes bounds what ReadPNG reads: a 16-bit MaxSide x MaxSide image
// stored uncompressed, plus generous room for filters and chunks.
const maxPNGBytes = 2*MaxSide*MaxSide + MaxSide + 1<<20

// MarshalText encodes the header as the tEXt chunk's text. Version 2
// names the scheme right after the version; medqr's own scheme then lists
// its options as version 1 did, the other schemes their size, nonce and
// aux data (hex, each only when the scheme has one).
func (hd Header) MarshalText() ([]byte, error) {
	if err := hd.validate(); err != nil {
		return nil, err
	}
	var b []byte
	b = fmt.Appendf(b, "version=%d ", hd.Version)
	if hd.Version != LegacyVersion {
		b = fmt.Appendf(b, "scheme=%s ", hd.Scheme)
	}
	if hd.SchemeName() != SchemeName {
		b = fmt.Appendf(b, "width=%d height=%d depth=%d", hd.Width, hd.Height, hd.Depth)
		if len(hd.Nonce) > 0 {
			b = fmt.Appendf(b, " nonce=%s", hex.EncodeToString(hd.Nonce))
		}
		if len(hd.Aux) > 0 {
			b = fmt.Appendf(b, " aux=%s", hex.EncodeToString(hd.Aux))
		}
		return b, nil
	}
	onOff := func(off bool) string {
		if off {
			return "off"
		}
		return "on"
	}
	return fmt.Appendf(b, "keystream=%s nonce=%s width=%d height=%d depth=%d rounds=%d layers=%d permutation=%s network=%s diffusion=%s",
		hd.Keystream, hex.EncodeToString(hd.Nonce), hd.Width, hd.Height, hd.Depth,
		hd.Rounds, hd.Layers, onOff(hd.NoPermutation), onOff(hd.NoNetwork), onOff(hd.NoDiffusion)), nil
}

// ownFields are the fields of medqr's own scheme (both versions) and
// otherFields those of every other scheme (version 2 only); version 2 adds
// "scheme". A field outside the set is an error.
var (
	ownFields   = []string{"version", "keystream", "nonce", "width", "height", "depth", "rounds", "layers", "permutation", "network", "diffusion"}
	otherFields = []string{"version", "width", "height", "depth"}
)

// maxHexField bounds a nonce or aux field before decoding it.
const maxHexField = 2 * 1024

// UnmarshalText parses and validates a header. Every field the version and
// scheme require must appear exactly once; unknown fields are errors. A
// version-1 header (no scheme field) is medqr's own scheme.
func (hd *Header) UnmarshalText(text []byte) error {
	fields := map[string]string{}
	for _, f := range strings.Fields(string(text)) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return fmt.Errorf("%w: header field %q is not key=value", ErrInvalid, f)
		}
		if _, dup := fields[k]; dup {
			return fmt.Errorf("%w: header field %q repeated", ErrInvalid, k)
		}
		fields[k] = v
	}
	var h Header
	v, ok := fields["version"]
	if !ok {
		return fmt.Errorf("%w: header field %q missing", ErrInvalid, "version")
	}
	var err error
	if h.Version, err = atoi("version", v); err != nil {
		return err
	}
	if h.Version != LegacyVersion && h.Version != Version {
		return fmt.Errorf("%w: format version %d, this build reads versions %d and %d", ErrInvalid, h.Version, LegacyVersion, Version)
	}
	want := ownFields
	if h.Version == Version {
		if h.Scheme, ok = fields["scheme"]; !ok {
			return fmt.Errorf("%w: header field %q missing", ErrInvalid, "scheme")
		}
		if !validSchemeName(h.Scheme) {
			return fmt.Errorf("%w: scheme name %q", ErrInvalid, h.Scheme)
		}
		if h.Scheme != SchemeName {
			want = otherFields
			if _, ok := fields["nonce"]; ok {
				want = append(want, "nonce")
			}
			if _, ok := fields["aux"]; ok {
				want = append(want, "aux")
			}
		}
		want = append(want, "scheme")
	}
	for k := range fields {
		if !slices.Contains(want, k) {
			return fmt.Errorf("%w: unknown header field %q", ErrInvalid, k)
		}
	}
	ints := map[string]*int{"width": &h.Width, "height": &h.Height, "depth": &h.Depth, "rounds": &h.Rounds, "layers": &h.Layers}
	offs := map[string]*bool{"permutation": &h.NoPermutation, "network": &h.NoNetwork, "diffusion": &h.NoDiffusion}
	for _, k := range want {
		v, ok := fields[k]
		if !ok {
			return fmt.Errorf("%w: header field %q missing", ErrInvalid, k)
		}
		switch {
		case ints[k] != nil:
			*ints[k], err = atoi(k, v)
		case offs[k] != nil:
			*offs[k], err = off(k, v)
		case k == "keystream":
			h.Keystream, err = keystream.ParseKind(v)
			if err != nil || v != h.Keystream.String() {
				err = fmt.Errorf("%w: unknown keystream %q", ErrInvalid, v)
			}
		case k == "nonce":
			h.Nonce, err = hexField(k, v)
			if err == nil && h.SchemeName() == SchemeName && len(v) != 2*NonceSize {
				err = fmt.Errorf("%w: nonce %q is not %d hex bytes", ErrInvalid, v, NonceSize)
			}
		case k == "aux":
			h.Aux, err = hexField(k, v)
		}
		if err != nil {
			return err
		}
	}
	if err := h.validate(); err != nil {
		return err
	}
	*hd = h
	return nil
}

func hexField(k, v string) ([]byte, error) {
	if len(v) > maxHexField {
		return nil, fmt.Errorf("%w: header field %s is longer than %d hex digits", ErrInvalid, k, maxHexField)
	}
	b, err := hex.DecodeString(v)
	if err != nil || len(b) == 0 || hex.EncodeToString(b) != v {
		return nil, fmt.Errorf("%w: header field %s=%q is not lower-case hex", ErrInvalid, k, v)
	}
	return b, nil
}

func atoi(k, v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || strconv.Itoa(n) != v {
		return 0, fmt.Errorf("%w: header field %s=%q is not a decimal number", ErrInvalid, k, v)
	}
	return n, nil
}

func off(k, v string) (bool, error) {
	switch v {
	case "on":
		return false, nil
	case "off":
		return true, nil
	}
	return false, fmt.Errorf("%w: header field %s=%q: want on or off", ErrInvalid, k, v)
}

// WritePNG writes c as a normal 8- or 16-bit grayscale PNG with the header
// in a tEXt chunk right after IHDR.
func WritePNG(w io.Writer, c *Cipher) error {
	if c == nil || c.Image == nil {
		return fmt.Errorf("%w: no image", ErrInvalid)
	}
	text, err := c.Header.MarshalText()
	if err != nil {
		return err
	}
	b := c.Image.Bounds()
	depth := 0
	switch c.Image.(type) {
	case *image.Gray:
		depth = 8
	case *image.Gray16:
		depth = 16
	default:
		return fmt.Errorf("%w: %T, want *image.Gray or *image.Gray16", ErrUnsupported, c.Image)
	}
	if b.Dx() != c.Header.Width || b.Dy() != c.Header.Height || depth != c.Header.Depth {
		return fmt.Errorf("%w: %d-bit %dx%d image with a header for %d-bit %dx%d",
			ErrInvalid, depth, b.Dx(), b.Dy(), c.Header.Depth, c.Header.Width, c.Header.Height)
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, c.Image); err != nil {
		return fmt.Errorf("cipherimg: failed to encode PNG: %w", err)
	}
	p := buf.Bytes()
	if len(p) < pngchunk.IHDREnd || string(p[12:16]) != "IHDR" {
		return fmt.Errorf("cipherimg: unexpected PNG encoder output")
	}
	out := make([]byte, 0, len(p)+len(text)+200)
	out = append(out, p[:pngchunk.IHDREnd]...)
	out = pngchunk.Append(out, "tEXt", pngchunk.Text(HeaderKeyword, string(text)))
	out = pngchunk.Append(out, "tEXt", pngchunk.Text("Comment", commentText))
	out = append(out, p[pngchunk.IHDREnd:]...)
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("cipherimg: failed to write PNG: %w", err)
	}
	return nil
}

// ReadPNG reads a cipher image written by WritePNG. It checks the header
// chunk (present once, CRC, every field valid) and that the PNG's size and
// bit depth agree with it before decoding the pixels. Errors wrap
// ErrInvalid and say what is wrong.
func ReadPNG(r io.Reader) (*Cipher, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxPNGBytes+1))
	if err != nil {
		return nil, fmt.Errorf("cipherimg: failed to read PNG: %w", err)
	}
	if len(data) > maxPNGBytes {
		return nil, fmt.Errorf("%w: file larger than %d bytes", ErrInvalid, maxPNGBytes)
	}
	if len(data) < len(pngchunk.Signature) || string(data[:len(pngchunk.Signature)]) != pngchunk.Signature {
		return nil, fmt.Errorf("%w: not a PNG file", ErrInvalid)
	}
	var text []byte
	found := false
	for rest := data[len(pngchunk.Signature):]; ; {
		if len(rest) < 12 {
			return nil, fmt.Errorf("%w: PNG truncated (no IEND chunk)", ErrInvalid)
		}
		n := binary.BigEndian.Uint32(rest[:4])
		if uint64(n) > uint64(len(rest)-12) {
			return nil, fmt.Errorf("%w: PNG truncated: chunk length %d runs past the end of the file", ErrInvalid, n)
		}
		typ := string(rest[4:8])
		body := rest[8 : 8+n]
		if typ == "tEXt" {
			if binary.BigEndian.Uint32(rest[8+n:12+n]) != crc32.ChecksumIEEE(rest[4:8+n]) {
				return nil, fmt.Errorf("%w: tEXt chunk checksum mismatch", ErrInvalid)
			}
			if k, v, ok := bytes.Cut(body, []byte{0}); ok && string(k) == HeaderKeyword {
				if found {
					return nil, fmt.Errorf("%w: more than one %s chunk", ErrInvalid, HeaderKeyword)
				}
				found, text = true, v
			}
		}
		rest = rest[12+n:]
		if typ == "IEND" {
			break
		}
	}
	if !found {
		return nil, fmt.Errorf("%w: no %q text chunk: not a medqr cipher image, or its metadata was stripped", ErrInvalid, HeaderKeyword)
	}
	var hd Header
	if err := hd.UnmarshalText(text); err != nil {
		return nil, err
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if cfg.Width != hd.Width || cfg.Height != hd.Height {
		return nil, fmt.Errorf("%w: PNG is %dx%d but the header says %dx%d", ErrInvalid, cfg.Width, cfg.Height, hd.Width, hd.Height)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	switch img.(type) {
	case *image.Gray:
		if hd.Depth != 8 {
			return nil, fmt.Errorf("%w: PNG is 8-bit grayscale but the header says %d-bit", ErrInvalid, hd.Depth)
		}
	case *image.Gray16:
		if hd.Depth != 16 {
			return nil, fmt.Errorf("%w: PNG is 16-bit grayscale but the header says %d-bit", ErrInvalid, hd.Depth)
		}
	default:
		return nil, fmt.Errorf("%w: PNG is not plain grayscale (%T); it was probably re-saved by another program", ErrInvalid, img)
	}
	return &Cipher{Image: img, Header: hd}, nil
}
