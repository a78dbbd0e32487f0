package codec

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/jpeg"
	"math"
)

// JPEG is the baseline codec: Go's image/jpeg on the gray image, at the
// largest quality (1..100, found by bisection) whose payload fits the budget.
//
// When the budget is tight, coding a smaller image at a higher quality can
// beat the full-size image at a very low quality (and when even quality 1
// does not fit, it is the only way to fit). Encode therefore also tries the
// image reduced to 3/4, 1/2 and 1/4 of its size (Catmull-Rom), each at its
// own largest fitting quality, and keeps the candidate with the highest PSNR
// against the input after decoding (ties go to the larger size). Decode
// scales a reduced image back up with the same filter.
//
// The JPEG headers are implied rather than stored. Go's encoder always writes
// the same markers for a gray image of a given size and quality (SOI, DQT
// with the Annex K tables scaled by quality, SOF0, the Annex K Huffman
// tables, SOS), about 330 bytes that would otherwise take 14 % of a
// version-40-M symbol. The payload therefore keeps only what varies:
//
//	offset 0  1 byte   layout: 1 = full size, 2 = reduced size
//	offset 1  1 byte   quality, 1..100
//	offset 2  2 bytes  width, big-endian
//	offset 4  2 bytes  height, big-endian
//	layout 2 only:
//	offset 6  2 bytes  coded width, big-endian
//	offset 8  2 bytes  coded height, big-endian
//	then      ...      the entropy-coded scan (bytes between the SOS header and EOI)
//
// Decode regenerates the headers with the same encoder (a 1x1 image at that
// quality, with the SOF0 dimensions patched) and hands the full stream to
// image/jpeg, so the coded pixels are exactly what a standard decoder shows.
type JPEG struct{}

const (
	jpegFull        = 1 // layout byte: coded at full size
	jpegReduced     = 2 // layout byte: coded at reduced size
	jpegHeaderSize  = 6
	jpegReducedSize = 10
	jpegName        = "jpeg"
)

// jpegScales are the candidate reductions, as numerator/4.
var jpegScales = []int{4, 3, 2, 1}

func (JPEG) ID() uint8    { return IDJPEG }
func (JPEG) Name() string { return jpegName }

// Encode codes img (converted to 8-bit gray) at the size and quality with
// the best PSNR whose payload fits budget bytes; budget <= 0 means full size
// at quality 100.
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
		return jpegPayload(g, w, h, 100)
	}
	var best []byte
	bestPSNR := math.Inf(-1)
	minNeed := 0
	for _, s := range jpegScales {
		cw, ch := max(1, (w*s+2)/4), max(1, (h*s+2)/4)
		if s != 4 && (cw == w && ch == h || min(cw, ch) < 8) {
			continue
		}
		src := g
		if s != 4 {
			src = resizeGray(g, cw, ch)
		}
		p, need, err := jpegFit(src, w, h, budget)
		if err != nil {
			return nil, err
		}
		if p == nil {
			if minNeed == 0 || need < minNeed {
				minNeed = need
			}
			continue
		}
		dec, err := JPEG{}.Decode(p)
		if err != nil {
			return nil, fmt.Errorf("codec: jpeg: own payload does not decode: %w", err)
		}
		if v := PSNRGray(g, dec.(*image.Gray)); v > bestPSNR {
			best, bestPSNR = p, v
		}
	}
	if best == nil {
		return nil, fmt.Errorf("%w: jpeg needs at least %d bytes for %dx%d, budget is %d", ErrBudget, minNeed, w, h, budget)
	}
	return best, nil
}

// jpegFit returns the payload of g at the largest quality that fits budget,
// or nil and the size at quality 1 when none does.
func jpegFit(g *image.Gray, w, h, budget int) ([]byte, int, error) {
	// Bisection. JPEG size grows with quality almost everywhere; every
	// candidate is checked, so the result always fits even where the curve
	// is not monotone.
	var best []byte
	lo, hi := 1, 100
	for lo <= hi {
		q := (lo + hi) / 2
		p, err := jpegPayload(g, w, h, q)
		if err != nil {
			return nil, 0, err
		}
		if len(p) <= budget {
			best = p
			lo = q + 1
		} else {
			hi = q - 1
		}
	}
	if best == nil {
		p, err := jpegPayload(g, w, h, 1)
		return nil, len(p), err
	}
	return best, 0, nil
}

// JPEGQuality returns the quality stored in a jpeg payload.
func JPEGQuality(payload []byte) (int, error) {
	if len(payload) < jpegHeaderSize || (payload[0] != jpegFull && payload[0] != jpegReduced) {
		return 0, formatErr(jpegName, "missing or unknown header")
	}
	return int(payload[1]), nil
}

// jpegPayload codes g at quality q; w x h is the size Decode must return.
func jpegPayload(g *image.Gray, w, h, q int) ([]byte, error) {
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
	cw, ch := g.Rect.Dx(), g.Rect.Dy()
	out := make([]byte, jpegHeaderSize, jpegReducedSize+end-start)
	out[0] = jpegFull
	out[1] = byte(q)
	binary.BigEndian.PutUint16(out[2:], uint16(w))
	binary.BigEndian.PutUint16(out[4:], uint16(h))
	if cw != w || ch != h {
		out[0] = jpegReduced
		out = binary.BigEndian.AppendUint16(out, uint16(cw))
		out = binary.BigEndian.AppendUint16(out, uint16(ch))
	}
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
	hsize := jpegHeaderSize
	switch payload[0] {
	case jpegFull:
	case jpegReduced:
		hsize = jpegReducedSize
		if len(payload) < hsize {
			return nil, formatErr(jpegName, "%d bytes is shorter than the %d-byte header", len(payload), hsize)
		}
	default:
		return nil, formatErr(jpegName, "unknown layout %d", payload[0])
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
	cw, ch := w, h
	if payload[0] == jpegReduced {
		cw = int(binary.BigEndian.Uint16(payload[6:]))
		ch = int(binary.BigEndian.Uint16(payload[8:]))
		if cw < 1 || ch < 1 || cw > w || ch > h || (cw == w && ch == h) {
			return nil, formatErr(jpegName, "coded size %dx%d does not reduce %dx%d", cw, ch, w, h)
		}
	}
	// Every 8x8 block costs at least a DC and an end-of-block code (6 bits),
	// so a scan shorter than one byte per 1024 pixels is refused before
	// image/jpeg allocates the image.
	if cw*ch>>10 > len(payload)-hsize {
		return nil, formatErr(jpegName, "%d scan bytes cannot hold %dx%d pixels", len(payload)-hsize, cw, ch)
	}
	hdr, err := jpegHeaders(q, cw, ch)
	if err != nil {
		return nil, fmt.Errorf("codec: jpeg: failed to rebuild headers: %w", err)
	}
	stream := make([]byte, 0, len(hdr)+len(payload)-hsize+2)
	stream = append(stream, hdr...)
	stream = append(stream, payload[hsize:]...)
	stream = append(stream, 0xFF, 0xD9)
	img, err := jpeg.Decode(bytes.NewReader(stream))
	if err != nil {
		return nil, formatErr(jpegName, "%v", err)
	}
	g, ok := img.(*image.Gray)
	if !ok || g.Rect.Dx() != cw || g.Rect.Dy() != ch {
		return nil, formatErr(jpegName, "decoded %T of %v, want %dx%d gray", img, img.Bounds(), cw, ch)
	}
	if cw != w || ch != h {
		g = resizeGray(g, w, h)
	}
	return g, nil
}
