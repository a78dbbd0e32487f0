// Package pngchunk writes the chunks of a PNG file (PNG specification,
// third edition, section 5.3; ISO/IEC 15948): a 4-byte big-endian length of
// the data, the 4-byte chunk type, the data, and the CRC-32 of type and data
// (ISO 3309, hash/crc32's IEEE polynomial). A PNG file is Signature followed
// by chunks, IHDR first and IEND last. It is the one chunk writer of qr's
// 1-bit PNG writer, cipherimg's header chunks, medqr convert's tEXt notice
// and the PNGs tests build byte by byte.
package pngchunk

import (
	"encoding/binary"
	"hash/crc32"
)

// Signature is the 8 bytes a PNG file starts with.
const Signature = "\x89PNG\r\n\x1a\n"

// IHDREnd is where the chunk after IHDR starts in a PNG file: IHDR comes
// right after the signature, and its data is 13 bytes long.
const IHDREnd = len(Signature) + 12 + 13

// Append appends the chunk of type typ holding data to b and returns the
// extended slice. typ must be 4 bytes long; Append panics otherwise (a
// programmer mistake: chunk types are constants).
func Append(b []byte, typ string, data []byte) []byte {
	if len(typ) != 4 {
		panic("pngchunk: chunk type " + typ + " is not 4 bytes long")
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	start := len(b)
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[start:]))
}

// IHDR returns the 13 data bytes of an IHDR chunk (section 11.2.1): width,
// height, bit depth and colour type (0 gray, 2 RGB, 3 palette, 4 gray and
// alpha, 6 RGBA), then compression method 0 (deflate), filter method 0
// (adaptive) and interlace method 0 (none).
func IHDR(width, height uint32, depth, colorType byte) []byte {
	b := binary.BigEndian.AppendUint32(make([]byte, 0, 13), width)
	b = binary.BigEndian.AppendUint32(b, height)
	return append(b, depth, colorType, 0, 0, 0)
}

// Text returns the data of a tEXt chunk (section 11.3.3.2): the keyword
// (1-79 Latin-1 characters), a zero byte, then the text.
func Text(keyword, text string) []byte {
	return append(append([]byte(keyword), 0), text...)
}
