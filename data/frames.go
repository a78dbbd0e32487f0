package data

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// Transfer syntaxes decoded by the frame codecs (DICOM PS3.5 Annex A.4).
const (
	tsJPEGLossless14 = "1.2.840.10008.1.2.4.57"
	tsJPEGLosslessS1 = "1.2.840.10008.1.2.4.70"
	tsJPEGLSLossless = "1.2.840.10008.1.2.4.80"
	tsJPEGLSNear     = "1.2.840.10008.1.2.4.81"
	tsJ2KLossless    = "1.2.840.10008.1.2.4.90"
	tsJ2K            = "1.2.840.10008.1.2.4.91"
	tsHTJ2KLossless  = "1.2.840.10008.1.2.4.201"
	tsHTJ2KRPCL      = "1.2.840.10008.1.2.4.202"
	tsHTJ2K          = "1.2.840.10008.1.2.4.203"
)

// frameNumber returns the 1-based frame to decode, checked against the
// number of frames in the file.
func (h *dicomHeader) frameNumber(o LoadOptions) (int, error) {
	n := o.Frame
	if n == 0 {
		n = 1
	}
	if n < 1 || n > h.frames {
		return 0, &FrameError{Frame: n, Frames: h.frames}
	}
	return n, nil
}

// FrameError reports a frame number outside 1..Frames.
type FrameError struct{ Frame, Frames int }

func (e *FrameError) Error() string {
	if e.Frames == 1 {
		return fmt.Sprintf("data: frame %d does not exist: the image has 1 frame", e.Frame)
	}
	return fmt.Sprintf("data: frame %d does not exist: the image has frames 1 to %d", e.Frame, e.Frames)
}

// frameSpec describes one frame of h for a codec.
func (h *dicomHeader) frameSpec(o LoadOptions) frameSpec {
	return frameSpec{
		rows: h.rows, cols: h.cols, spp: h.spp, bitsAlloc: h.bitsAlloc, bitsStored: h.bitsStored,
		signed: h.pixelRep == 1, maxPixels: o.maxPixels(),
		syntax: h.meta.TransferSyntax, uid: h.meta.TransferSyntaxUID,
	}
}

// rawFrame returns frame n (1-based) of the pixel data as little-endian
// words of Bits Allocated bits, samples interleaved as stored: exactly what
// gdcmconv --raw writes as Pixel Data. file is the whole DICOM file, used to
// read the Basic Offset Table of encapsulated pixel data.
func (h *dicomHeader) rawFrame(file []byte, n int, o LoadOptions) ([]byte, error) {
	uid := h.meta.TransferSyntaxUID
	switch uid {
	case tsImplicitLE, tsExplicitLE, tsDeflatedLE, tsExplicitBE:
		return h.nativeRaw(n)
	}
	data, err := h.encapsulatedFrame(file, n)
	if err != nil {
		return nil, err
	}
	f := h.frameSpec(o)
	var out []byte
	switch uid {
	case tsRLE:
		out, err = rleFrameRaw(data, f)
	case tsJPEGBase, tsJPEGExt, tsJPEGLossless14, tsJPEGLosslessS1:
		out, err = jpegFrameRaw(data, f)
	default:
		c, ok := frameCodecs[uid]
		if !ok {
			return nil, &UnsupportedError{Format: "dicom", TransferSyntax: TransferSyntaxName(uid), UID: uid}
		}
		out, err = c.decode(data, f)
	}
	// A damaged frame names its transfer syntax and frame number.
	var fe *FormatError
	if errors.As(err, &fe) {
		fe.Msg = fmt.Sprintf("%s (%s) frame %d: %s", h.meta.TransferSyntax, uid, n, fe.Msg)
	}
	return out, err
}

// nativeFrameBytes is the size of one native frame.
func (h *dicomHeader) nativeFrameBytes() int {
	if h.meta.Photometric == "YBR_FULL_422" && h.spp == 3 {
		// Two luminance samples share one Cb and one Cr (PS3.3 C.7.6.3.1.2).
		return h.rows * ((h.cols + 1) / 2) * 4 * h.bitsAlloc / 8
	}
	return h.rows * h.cols * h.spp * h.bitsAlloc / 8
}

// nativeRaw cuts frame n out of native pixel data, swapping big-endian
// words to little endian.
func (h *dicomHeader) nativeRaw(n int) ([]byte, error) {
	if h.pixels.IsEncapsulated {
		return nil, formatErr("dicom", nil, "encapsulated pixel data in a native transfer syntax (%s)", h.meta.TransferSyntaxUID)
	}
	raw := h.pixels.UnprocessedValueData
	size := h.nativeFrameBytes()
	if int64(len(raw)) < int64(n)*int64(size) {
		return nil, formatErr("dicom", nil, "pixel data truncated: %d bytes, frame %d needs %d", len(raw), n, int64(n)*int64(size))
	}
	out := make([]byte, size)
	copy(out, raw[(n-1)*size:])
	if h.byteOrder == binary.BigEndian && h.bitsAlloc == 16 {
		for i := 0; i+1 < len(out); i += 2 {
			out[i], out[i+1] = out[i+1], out[i]
		}
	}
	return out, nil
}

// encapsulatedFrame returns the compressed bytes of frame n: for a
// single-frame image all fragments joined; otherwise the fragments that the
// Basic Offset Table assigns to the frame, or, without one, one fragment
// per frame, or fragments grouped at each codestream start marker.
func (h *dicomHeader) encapsulatedFrame(file []byte, n int) ([]byte, error) {
	if !h.pixels.IsEncapsulated {
		return nil, formatErr("dicom", nil, "native pixel data in an encapsulated transfer syntax (%s)", h.meta.TransferSyntaxUID)
	}
	frags := make([][]byte, len(h.pixels.Frames))
	for i, f := range h.pixels.Frames {
		frags[i] = f.EncapsulatedData.Data
	}
	groups, err := splitFrames(frags, basicOffsetTable(file, frags, h.frames), h.frames)
	if err != nil {
		return nil, err
	}
	return bytes.Join(groups[n-1], nil), nil
}

// splitFrames assigns fragments to frames (DICOM PS3.5 A.4).
func splitFrames(frags [][]byte, bot []uint32, frames int) ([][][]byte, error) {
	if len(frags) == 0 {
		return nil, formatErr("dicom", nil, "encapsulated pixel data has no fragments")
	}
	if frames == 1 {
		return [][][]byte{frags}, nil
	}
	if len(bot) == frames {
		// Offsets count from the first fragment's item tag; each item has
		// an 8-byte header.
		groups := make([][][]byte, frames)
		pos, fr := uint64(0), 0
		for _, f := range frags {
			for fr+1 < frames && pos >= uint64(bot[fr+1]) {
				fr++
			}
			groups[fr] = append(groups[fr], f)
			pos += 8 + uint64(len(f))
		}
		for i, g := range groups {
			if len(g) == 0 {
				return nil, formatErr("dicom", nil, "Basic Offset Table gives frame %d no fragment", i+1)
			}
		}
		return groups, nil
	}
	if len(frags) == frames {
		groups := make([][][]byte, frames)
		for i, f := range frags {
			groups[i] = [][]byte{f}
		}
		return groups, nil
	}
	var groups [][][]byte
	for i, f := range frags {
		if i == 0 || startsCodestream(f) {
			groups = append(groups, nil)
		}
		groups[len(groups)-1] = append(groups[len(groups)-1], f)
	}
	if len(groups) != frames {
		return nil, formatErr("dicom", nil, "cannot assign %d fragments to %d frames (no Basic Offset Table, %d codestream starts)", len(frags), frames, len(groups))
	}
	return groups, nil
}

// startsCodestream reports whether a fragment begins a JPEG, JPEG-LS,
// JPEG 2000 codestream or a JP2 file.
func startsCodestream(f []byte) bool {
	return bytes.HasPrefix(f, []byte{0xFF, 0xD8, 0xFF}) || bytes.HasPrefix(f, []byte{0xFF, 0x4F, 0xFF, 0x51}) ||
		bytes.HasPrefix(f, []byte{0, 0, 0, 0x0C, 'j', 'P', ' ', ' '})
}

// basicOffsetTable finds the Basic Offset Table item that precedes the
// first fragment in file (the dicom library skips it) and returns its
// offsets, or nil when it is empty, absent or does not have one entry per
// frame.
func basicOffsetTable(file []byte, frags [][]byte, frames int) []uint32 {
	if frames < 2 || len(frags) == 0 {
		return nil
	}
	first := frags[0]
	hdr := make([]byte, 8, 8+64)
	copy(hdr, []byte{0xFE, 0xFF, 0x00, 0xE0})
	binary.LittleEndian.PutUint32(hdr[4:], uint32(len(first)))
	pat := append(hdr, first[:min(len(first), 64)]...)
	bot := 8 + 4*frames
	// The top-level pixel data comes last, so search from the end.
	for end := len(file); end > 0; {
		p := bytes.LastIndex(file[:end], pat)
		if p < 0 {
			return nil
		}
		end = p + len(pat) - 1
		q := p - bot
		if q < 0 || !bytes.Equal(file[p+8:min(len(file), p+8+len(first))], first) {
			continue
		}
		if !bytes.Equal(file[q:q+4], []byte{0xFE, 0xFF, 0x00, 0xE0}) || binary.LittleEndian.Uint32(file[q+4:]) != uint32(4*frames) {
			continue
		}
		offs := make([]uint32, frames)
		for i := range offs {
			offs[i] = binary.LittleEndian.Uint32(file[q+8+4*i:])
			if i > 0 && offs[i] <= offs[i-1] {
				return nil
			}
		}
		if offs[0] != 0 {
			return nil
		}
		return offs
	}
	return nil
}

// libraryAliases maps the transfer syntaxes medqr decodes but the dicom
// library (v1.1.0) does not know, and would panic on, to a known syntax of
// the same encoding (Explicit VR Little Endian, encapsulated pixel data)
// whose UID is no longer.
var libraryAliases = map[string]string{
	tsHTJ2KLossless: "1.2.840.10008.1.2.4.100",
	tsHTJ2KRPCL:     "1.2.840.10008.1.2.4.100",
	tsHTJ2K:         "1.2.840.10008.1.2.4.100",
}

// aliasTransferSyntax returns b, or a copy whose file meta names the
// library alias of its transfer syntax, and the original UID to restore
// after parsing ("" when b is unchanged).
func aliasTransferSyntax(b []byte) ([]byte, string) {
	if len(b) < 132 || string(b[128:132]) != "DICM" {
		return b, ""
	}
	for off := 132; off+4 <= len(b) && binary.LittleEndian.Uint16(b[off:]) == 0x0002; {
		e, err := scanElement(b, off, true, binary.LittleEndian)
		if err != nil || e.length == undefinedLength {
			return b, ""
		}
		if e.elem == 0x0010 {
			v := b[e.value : e.value+int(e.length)]
			uid := string(bytes.TrimRight(v, "\x00 "))
			alias, ok := libraryAliases[uid]
			if !ok || len(alias) > len(v) {
				return b, ""
			}
			c := bytes.Clone(b)
			w := c[e.value : e.value+int(e.length)]
			copy(w, alias)
			clear(w[len(alias):])
			return c, uid
		}
		off = e.value + int(e.length)
	}
	return b, ""
}

// restoreTransferSyntax puts the file's own transfer syntax UID back into
// a data set parsed under its alias.
func restoreTransferSyntax(ds *dicom.Dataset, uid string) {
	if uid == "" {
		return
	}
	if e, err := ds.FindElementByTag(tag.TransferSyntaxUID); err == nil {
		if v, err := dicom.NewValue([]string{uid}); err == nil {
			e.Value = v
		}
	}
}
