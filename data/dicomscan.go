package data

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/suyashkumar/dicom/pkg/tag"
)

// scanDICOM walks every element of a DICOM file before the dicom library
// sees it and checks that each defined value length fits in the bytes that
// remain. The library allocates an element's declared length before reading
// it, so without this check an 8 KiB file could make it allocate gigabytes.
// The walk is linear: sequences and items of undefined length are entered
// (their contents use the same encoding), items inside encapsulated pixel
// data are skipped by their length.
func scanDICOM(b []byte, maxBytes int64) error {
	off := 0
	explicit, order := true, binary.ByteOrder(binary.LittleEndian)
	uid := ""
	if len(b) >= 132 && string(b[128:132]) == "DICM" {
		off = 132
		// File meta group: explicit VR little endian, group 0002.
		for off+4 <= len(b) && binary.LittleEndian.Uint16(b[off:]) == 0x0002 {
			e, err := scanElement(b, off, true, binary.LittleEndian)
			if err != nil {
				return err
			}
			if e.group == 0x0002 && e.elem == 0x0010 && e.length != undefinedLength {
				uid = string(bytes.TrimRight(b[e.value:e.value+int(e.length)], "\x00 "))
			}
			off = e.value + int(e.length)
		}
		switch uid {
		case tsImplicitLE:
			explicit = false
		case tsExplicitBE:
			order = binary.BigEndian
		case tsDeflatedLE:
			r := flate.NewReader(bytes.NewReader(b[off:]))
			inflated, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
			if err != nil {
				return formatErr("dicom", err, "bad deflated data set")
			}
			if int64(len(inflated)) > maxBytes {
				return fmt.Errorf("%w: deflated data set inflates past %d bytes", ErrTooLarge, maxBytes)
			}
			b, off = inflated, 0
		}
	} else {
		// ACR-NEMA: the same guess as readDICOMHeader.
		explicit = len(b) >= 6 && isUpper(b[4]) && isUpper(b[5])
		if explicit && b[0] == 0 && b[1] != 0 {
			order = binary.BigEndian
		}
	}
	inPixels := false // inside encapsulated pixel data
	for off < len(b) {
		if len(b)-off < 8 {
			// The library stops at trailing padding shorter than a header.
			return nil
		}
		e, err := scanElement(b, off, explicit, order)
		if err != nil {
			return err
		}
		isItemTag := e.group == 0xFFFE
		switch {
		case e.length == undefinedLength:
			if e.group == 0x7FE0 && e.elem == 0x0010 {
				inPixels = true
			}
			off = e.value // enter the sequence, item or pixel data
		case isItemTag && e.elem == 0xE000 && !inPixels:
			off = e.value // an item of a sequence: its elements follow
		case isItemTag && e.elem == 0xE0DD:
			inPixels = false
			off = e.value + int(e.length)
		case !isItemTag && e.vrSQ:
			off = e.value // a defined-length sequence: its items follow
		default:
			off = e.value + int(e.length)
		}
	}
	return nil
}

const undefinedLength = 0xFFFFFFFF

type scannedElement struct {
	group, elem uint16
	length      uint32
	value       int // offset of the value
	vrSQ        bool
}

// scanElement reads one element header at off and checks its length.
func scanElement(b []byte, off int, explicit bool, order binary.ByteOrder) (scannedElement, error) {
	var e scannedElement
	if len(b)-off < 8 {
		return e, formatErr("dicom", nil, "truncated element header at byte %d", off)
	}
	e.group, e.elem = order.Uint16(b[off:]), order.Uint16(b[off+2:])
	if e.group == 0xFFFE { // items and delimiters: tag + 4-byte length, no VR
		e.length = order.Uint32(b[off+4:])
		e.value = off + 8
	} else if explicit {
		vr := string(b[off+4 : off+6])
		switch vr {
		case "OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV":
			if len(b)-off < 12 {
				return e, formatErr("dicom", nil, "truncated element header at byte %d", off)
			}
			e.length = order.Uint32(b[off+8:])
			e.value = off + 12
		default:
			e.length = uint32(order.Uint16(b[off+6:]))
			e.value = off + 8
		}
		e.vrSQ = vr == "SQ"
	} else {
		e.length = order.Uint32(b[off+4:])
		e.value = off + 8
		if info, err := tag.Find(tag.Tag{Group: e.group, Element: e.elem}); err == nil {
			e.vrSQ = len(info.VRs) > 0 && info.VRs[0] == "SQ"
		}
	}
	if e.length != undefinedLength && int64(e.length) > int64(len(b)-e.value) {
		return e, formatErr("dicom", nil, "element (%04X,%04X) at byte %d declares %d bytes but only %d remain", e.group, e.elem, off, e.length, len(b)-e.value)
	}
	return e, nil
}
