package data

import (
	"encoding/binary"
	"fmt"
)

// frameCodec decodes one compressed frame of an encapsulated transfer
// syntax whose decoder is a third-party library (JPEG 2000 through
// OpenJPEG, JPEG-LS through CharLS). Each library sits behind this small
// interface in a file with a cgo build tag, and a twin file without cgo
// registers a codec that refuses the syntax naming the missing decoder, so
// a CGO_ENABLED=0 build still builds.
type frameCodec struct {
	// library names the decoder, e.g. "OpenJPEG 2.5.0".
	library string
	// decode returns the frame as little-endian words of f.bitsAlloc bits,
	// samples of a pixel interleaved (Planar Configuration 0), which is
	// what gdcmconv --raw stores as Pixel Data. It must check the frame's
	// declared size against f before it allocates the output.
	decode func(data []byte, f frameSpec) ([]byte, error)
}

// frameSpec is what the DICOM header promises about one frame.
type frameSpec struct {
	rows, cols, spp, bitsAlloc, bitsStored int
	signed                                 bool
	maxPixels                              int64
	syntax                                 string // transfer syntax name, for errors
	uid                                    string
}

// frameCodecs maps a transfer syntax UID to its codec; the cgo and no-cgo
// files fill it in init.
var frameCodecs = map[string]frameCodec{}

func registerFrameCodec(c frameCodec, uids ...string) {
	for _, u := range uids {
		frameCodecs[u] = c
	}
}

// CodecLibrary returns the library that decodes a transfer syntax's pixel
// data in this build ("" for syntaxes decoded by medqr's own Go code or not
// decoded at all).
func CodecLibrary(uid string) string {
	return frameCodecs[uid].library
}

// check compares a decoded frame's geometry with the header and the pixel
// limit; it runs before the frame's buffer is allocated.
func (f frameSpec) check(lib string, cols, rows, comps, prec int) error {
	if cols != f.cols || rows != f.rows {
		return formatErr("dicom", nil, "%s frame is %dx%d but the header says %dx%d", lib, cols, rows, f.cols, f.rows)
	}
	if comps != f.spp {
		return formatErr("dicom", nil, "%s frame has %d components but Samples per Pixel is %d", lib, comps, f.spp)
	}
	if prec < 1 || prec > f.bitsAlloc {
		return formatErr("dicom", nil, "%s frame has %d-bit samples but Bits Allocated is %d", lib, prec, f.bitsAlloc)
	}
	return checkPixels(f.cols, f.rows, 1, f.maxPixels)
}

// putWords stores samples as little-endian words of bitsAlloc bits; values
// are truncated to the word (two's complement for negative values, as
// DICOM stores signed pixels).
func putWords(dst []byte, i int, v int32, bitsAlloc int) {
	if bitsAlloc == 8 {
		dst[i] = byte(v)
		return
	}
	binary.LittleEndian.PutUint16(dst[2*i:], uint16(v))
}

// noCgoCodec is registered for a syntax when the build has no cgo.
func noCgoCodec(library, pkg string) frameCodec {
	return frameCodec{
		library: "",
		decode: func(_ []byte, f frameSpec) ([]byte, error) {
			return nil, &UnsupportedError{
				Format:         "dicom",
				TransferSyntax: f.syntax,
				UID:            f.uid,
				Feature: fmt.Sprintf("this medqr was built without cgo, and the %s decoder needs it: rebuild with CGO_ENABLED=1 after installing Debian's %s (scripts/deps.sh build)",
					library, pkg),
			}
		},
	}
}
