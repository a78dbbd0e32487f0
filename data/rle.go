package data

import "encoding/binary"

// decodeRLE decodes one frame of DICOM RLE Lossless (PS3.5 Annex G): a
// 64-byte header of 16 little-endian uint32 (segment count, then up to 15
// segment offsets) followed by PackBits-coded segments. The frame must have
// exactly nseg segments (bytes per sample, most significant byte first),
// each decoding to n bytes.
func decodeRLE(data []byte, nseg, n int) ([][]byte, error) {
	if len(data) < 64 {
		return nil, formatErr("dicom", nil, "RLE frame shorter than its 64-byte header")
	}
	count := int(binary.LittleEndian.Uint32(data))
	if count != nseg {
		return nil, formatErr("dicom", nil, "RLE frame has %d segments, expected %d", count, nseg)
	}
	offs := make([]int, count+1)
	for i := 0; i < count; i++ {
		o := binary.LittleEndian.Uint32(data[4+4*i:])
		if o < 64 || int64(o) > int64(len(data)) || (i > 0 && int(o) < offs[i-1]) {
			return nil, formatErr("dicom", nil, "RLE segment %d offset %d out of range", i, o)
		}
		offs[i] = int(o)
	}
	offs[count] = len(data)
	segs := make([][]byte, count)
	for i := 0; i < count; i++ {
		s, err := unpackBits(data[offs[i]:offs[i+1]], n)
		if err != nil {
			return nil, formatErr("dicom", err, "RLE segment %d", i)
		}
		segs[i] = s
	}
	return segs, nil
}

// errRLE is the cause of a malformed PackBits segment.
type errRLE string

func (e errRLE) Error() string { return string(e) }

// unpackBits decodes a PackBits segment to exactly n bytes. A control byte
// c in 0..127 copies the next c+1 bytes; -127..-1 repeats the next byte
// 1-c times; -128 does nothing. Trailing bytes after n outputs (padding) are
// ignored; a segment that ends early is an error.
func unpackBits(src []byte, n int) ([]byte, error) {
	out := make([]byte, 0, n)
	i := 0
	for len(out) < n {
		if i >= len(src) {
			return nil, errRLE("segment ends before the frame is complete")
		}
		c := int8(src[i])
		i++
		switch {
		case c >= 0:
			k := int(c) + 1
			if i+k > len(src) {
				return nil, errRLE("literal run past the end of the segment")
			}
			if len(out)+k > n {
				return nil, errRLE("literal run past the end of the frame")
			}
			out = append(out, src[i:i+k]...)
			i += k
		case c != -128:
			k := 1 - int(c)
			if i >= len(src) {
				return nil, errRLE("replicate run past the end of the segment")
			}
			if len(out)+k > n {
				return nil, errRLE("replicate run past the end of the frame")
			}
			v := src[i]
			i++
			for j := 0; j < k; j++ {
				out = append(out, v)
			}
		}
	}
	return out, nil
}

// rleFrameRaw decodes an RLE Lossless frame to little-endian words of
// f.bitsAlloc bits: one segment per byte of each sample, most significant
// byte first, components in order (PS3.5 G.2). Samples come out
// interleaved, whatever the Planar Configuration, as GDCM writes them.
func rleFrameRaw(data []byte, f frameSpec) ([]byte, error) {
	if err := checkPixels(f.cols, f.rows, 1, f.maxPixels); err != nil {
		return nil, err
	}
	bps := f.bitsAlloc / 8
	n := f.rows * f.cols
	segs, err := decodeRLE(data, f.spp*bps, n)
	if err != nil {
		return nil, err
	}
	out := make([]byte, n*f.spp*bps)
	for c := 0; c < f.spp; c++ {
		for i := 0; i < n; i++ {
			dst := i*f.spp + c
			for k := 0; k < bps; k++ {
				// Little-endian word: the most significant segment goes last.
				out[dst*bps+bps-1-k] = segs[c*bps+k][i]
			}
		}
	}
	return out, nil
}
