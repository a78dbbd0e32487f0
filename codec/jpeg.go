package codec

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/jpeg"
)

// JPEG is the baseline codec: Go's image/jpeg on the gray image, at the
// largest quality (1..100, found by bisection) whose payload fits the budget.
//
// The JPEG headers are implied rather than stored. Go's encoder always writes
// the same markers for a gray image of a given size and quality (SOI, DQT
// with the Annex K tables scaled by quality, SOF0, the Annex K Huffman
// tables, SOS), about 330 bytes that would otherwise take 14 % of a
// version-40-M symbol. The payload therefore keeps only what varies:
//
//	offset 0  1 byte   format version (1)
//	offset 1  1 byte   quality, 1..100
//	offset 2  2 bytes  width, big-endian
//	offset 4  2 bytes  height, big-endian
//	offset 6  ...      the entropy-coded scan (bytes between the SOS header and EOI)
//
// Decode regenerates the headers with the same encoder (a 1x1 image at that
// quality, with the SOF0 dimensions patched) and hands the full stream to
// image/jpeg, so the pixels are exactly what a standard decoder would show.
type JPEG struct{}

const (
	jpegVersion    = 1
	jpegHeaderSize = 6
	jpegName       = "jpeg"
)

func (JPEG) ID() uint8    { return IDJPEG }
func (JPEG) Name() string { return jpegName }

// Encode codes img (converted to 8-bit gray) at the largest quality whose
// payload fits budget bytes; budget <= 0 means quality 100.
func (JPEG) Encode(img image.Image, budget int) ([]byte, error) {
	g := toGray(img)
	w, h := g.Rect.Dx(), g.Rect.Dy()
	if err := checkDims(jpegName, w, h); err != nil {
		return nil, err
	}
	if w > 65535 || h > 65535 {
		return nil, fmt.Errorf("codec: jpeg: image %dx%d exceeds 65535 pixels on a side", w, h)
	}
	if budget <= 0 {
		return jpegPayload(g, 100)
	}
	// Bisection for the largest quality that fits. JPEG size grows with
	// quality almost everywhere; every candidate is checked, so the result
	// always fits even where the curve is not monotone.
	var best []byte
	lo, hi := 1, 100
	for lo <= hi {
		q := (lo + hi) / 2
		p, err := jpegPayload(g, q)
		if err != nil {
			return nil, err
		}
		if len(p) <= budget {
			best = p
			lo = q + 1
		} else {
			hi = q - 1
		}
	}
	if best == nil {
		p, _ := jpegPayload(g, 1)
		return nil, fmt.Errorf("%w: jpeg needs %d bytes at quality 1 for %dx%d, budget is %d", ErrBudget, len(p), w, h, budget)
	}
	return best, nil
}

// JPEGQuality returns the quality stored in a jpeg payload.
func JPEGQuality(payload []byte) (int, error) {
	if len(payload) < jpegHeaderSize || payload[0] != jpegVersion {
		return 0, formatErr(jpegName, "missing or unknown header")
	}
	return int(payload[1]), nil
}

func jpegPayload(g *image.Gray, q int) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, g, &jpeg.Options{Quality: q}); err != nil {
		return nil, fmt.Errorf("codec: jpeg: failed to encode: %w", err)
	}
	full := buf.Bytes()
	start, _, err := jpegScanStart(full)
	if err != nil {
		return nil, fmt.Errorf("codec: jpeg: unexpected encoder output: %w", err)
	}
	end := len(full) - 2 // EOI
	out := make([]byte, jpegHeaderSize, jpegHeaderSize+end-start)
	out[0] = jpegVersion
	out[1] = byte(q)
	binary.BigEndian.PutUint16(out[2:], uint16(g.Rect.Dx()))
	binary.BigEndian.PutUint16(out[4:], uint16(g.Rect.Dy()))
	return append(out, full[start:end]...), nil
}

// jpegScanStart walks the marker segments of a JPEG stream and returns the
// offset where the entropy-coded scan begins and the offset of the SOF0
// segment's marker.
func jpegScanStart(b []byte) (scan, sof int, err error) {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return 0, 0, fmt.Errorf("no SOI marker")
	}
	sof = -1
	for p := 2; p+4 <= len(b); {
		if b[p] != 0xFF {
			return 0, 0, fmt.Errorf("no marker at offset %d", p)
		}
		m := b[p+1]
		n := int(binary.BigEndian.Uint16(b[p+2:]))
		if n < 2 || p+2+n > len(b) {
			return 0, 0, fmt.Errorf("bad segment length at offset %d", p)
		}
		if m == 0xC0 {
			sof = p
		}
		if m == 0xDA {
			if sof < 0 {
				return 0, 0, fmt.Errorf("no SOF0 before SOS")
			}
			return p + 2 + n, sof, nil
		}
		p += 2 + n
	}
	return 0, 0, fmt.Errorf("no SOS marker")
}

// jpegHeaders returns Go's JPEG headers (SOI through the SOS header) for a
// w x h gray image at quality q.
func jpegHeaders(q, w, h int) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1)), &jpeg.Options{Quality: q}); err != nil {
		return nil, err
	}
	full := buf.Bytes()
	scan, sof, err := jpegScanStart(full)
	if err != nil {
		return nil, err
	}
	hdr := append([]byte(nil), full[:scan]...)
	// SOF0: FF C0, length(2), precision(1), height(2), width(2), ...
	binary.BigEndian.PutUint16(hdr[sof+5:], uint16(h))
	binary.BigEndian.PutUint16(hdr[sof+7:], uint16(w))
	return hdr, nil
}

// Decode rebuilds the JPEG stream from the payload and decodes it to an
// *image.Gray of the stored dimensions.
func (JPEG) Decode(payload []byte) (image.Image, error) {
	if len(payload) < jpegHeaderSize {
		return nil, formatErr(jpegName, "%d bytes is shorter than the %d-byte header", len(payload), jpegHeaderSize)
	}
	if payload[0] != jpegVersion {
		return nil, formatErr(jpegName, "unknown format version %d", payload[0])
	}
	q := int(payload[1])
	if q < 1 || q > 100 {
		return nil, formatErr(jpegName, "quality %d out of range 1..100", q)
	}
	w := int(binary.BigEndian.Uint16(payload[2:]))
	h := int(binary.BigEndian.Uint16(payload[4:]))
	if err := checkDims(jpegName, w, h); err != nil {
		return nil, err
	}
	hdr, err := jpegHeaders(q, w, h)
	if err != nil {
		return nil, fmt.Errorf("codec: jpeg: failed to rebuild headers: %w", err)
	}
	stream := make([]byte, 0, len(hdr)+len(payload)-jpegHeaderSize+2)
	stream = append(stream, hdr...)
	stream = append(stream, payload[jpegHeaderSize:]...)
	stream = append(stream, 0xFF, 0xD9)
	img, err := jpeg.Decode(bytes.NewReader(stream))
	if err != nil {
		return nil, formatErr(jpegName, "%v", err)
	}
	g, ok := img.(*image.Gray)
	if !ok || g.Rect.Dx() != w || g.Rect.Dy() != h {
		return nil, formatErr(jpegName, "decoded %T of %v, want %dx%d gray", img, img.Bounds(), w, h)
	}
	return g, nil
}
