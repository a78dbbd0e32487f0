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
	"strconv"
	"strings"

	"github.com/medqr/medqr/keystream"
)

// HeaderKeyword is the keyword of the PNG tEXt chunk that carries the
// header, e.g.
//
//	medqr-cipherimg: version=1 keystream=chacha20 nonce=<32 hex> width=256
//	    height=256 depth=8 rounds=1 layers=4 permutation=on network=on diffusion=on
//
// The chunk is not authenticated: whoever can change the file can change it.
const HeaderKeyword = "medqr-cipherimg"

// commentText goes into a second tEXt chunk ("Comment") for people who
// open the PNG in an image viewer's metadata panel.
const commentText = "RESEARCH-ONLY medqr cipher image (not the product format, not authenticated)"

// maxPNGBytes bounds what ReadPNG reads: a 16-bit MaxSide x MaxSide image
// stored uncompressed, plus generous room for filters and chunks.
const maxPNGBytes = 2*MaxSide*MaxSide + MaxSide + 1<<20

// MarshalText encodes the header as the tEXt chunk's text.
func (hd Header) MarshalText() ([]byte, error) {
	if err := hd.validate(); err != nil {
		return nil, err
	}
	ks := hd.Keystream.String()
	onOff := func(off bool) string {
		if off {
			return "off"
		}
		return "on"
	}
	return fmt.Appendf(nil, "version=%d keystream=%s nonce=%s width=%d height=%d depth=%d rounds=%d layers=%d permutation=%s network=%s diffusion=%s",
		hd.Version, ks, hex.EncodeToString(hd.Nonce), hd.Width, hd.Height, hd.Depth,
		hd.Rounds, hd.Layers, onOff(hd.NoPermutation), onOff(hd.NoNetwork), onOff(hd.NoDiffusion)), nil
}

// UnmarshalText parses and validates a header. Every field is required
// exactly once; unknown fields are errors.
func (hd *Header) UnmarshalText(text []byte) error {
	var h Header
	seen := map[string]bool{}
	for _, f := range strings.Fields(string(text)) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return fmt.Errorf("%w: header field %q is not key=value", ErrInvalid, f)
		}
		if seen[k] {
			return fmt.Errorf("%w: header field %q repeated", ErrInvalid, k)
		}
		seen[k] = true
		var err error
		switch k {
		case "version":
			h.Version, err = atoi(k, v)
		case "keystream":
			h.Keystream, err = keystream.ParseKind(v)
			if err != nil || v != h.Keystream.String() {
				err = fmt.Errorf("%w: unknown keystream %q", ErrInvalid, v)
			}
		case "nonce":
			h.Nonce, err = hex.DecodeString(v)
			if err != nil || len(v) != 2*NonceSize {
				err = fmt.Errorf("%w: nonce %q is not %d hex bytes", ErrInvalid, v, NonceSize)
			}
		case "width":
			h.Width, err = atoi(k, v)
		case "height":
			h.Height, err = atoi(k, v)
		case "depth":
			h.Depth, err = atoi(k, v)
		case "rounds":
			h.Rounds, err = atoi(k, v)
		case "layers":
			h.Layers, err = atoi(k, v)
		case "permutation":
			h.NoPermutation, err = off(k, v)
		case "network":
			h.NoNetwork, err = off(k, v)
		case "diffusion":
			h.NoDiffusion, err = off(k, v)
		default:
			return fmt.Errorf("%w: unknown header field %q", ErrInvalid, k)
		}
		if err != nil {
			return err
		}
	}
	for _, k := range []string{"version", "keystream", "nonce", "width", "height", "depth", "rounds", "layers", "permutation", "network", "diffusion"} {
		if !seen[k] {
			return fmt.Errorf("%w: header field %q missing", ErrInvalid, k)
		}
	}
	if err := h.validate(); err != nil {
		return err
	}
	*hd = h
	return nil
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
	const afterIHDR = 8 + 8 + 13 + 4
	if len(p) < afterIHDR || string(p[12:16]) != "IHDR" {
		return fmt.Errorf("cipherimg: unexpected PNG encoder output")
	}
	var out bytes.Buffer
	out.Grow(len(p) + len(text) + 200)
	out.Write(p[:afterIHDR])
	writeChunk(&out, "tEXt", append([]byte(HeaderKeyword+"\x00"), text...))
	writeChunk(&out, "tEXt", []byte("Comment\x00"+commentText))
	out.Write(p[afterIHDR:])
	if _, err := w.Write(out.Bytes()); err != nil {
		return fmt.Errorf("cipherimg: failed to write PNG: %w", err)
	}
	return nil
}

func writeChunk(w *bytes.Buffer, typ string, data []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	w.Write(n[:])
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	w.WriteString(typ)
	w.Write(data)
	binary.BigEndian.PutUint32(n[:], crc.Sum32())
	w.Write(n[:])
}

const pngSignature = "\x89PNG\r\n\x1a\n"

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
	if len(data) < len(pngSignature) || string(data[:len(pngSignature)]) != pngSignature {
		return nil, fmt.Errorf("%w: not a PNG file", ErrInvalid)
	}
	var text []byte
	found := false
	for rest := data[len(pngSignature):]; ; {
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
