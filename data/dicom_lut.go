package data

import (
	"encoding/binary"
	"math"

	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// LUT is a DICOM lookup table (PS3.3 C.11.1.1 Modality LUT, C.11.2.1.1 VOI
// LUT): input First maps to Data[0]; inputs below First take the first
// entry and inputs past the end the last one.
type LUT struct {
	First int      // first input value mapped
	Bits  int      // bits per output entry (8 to 16)
	Data  []uint16 // output values
}

// At returns the table's output for input v.
func (l *LUT) At(v int) int {
	i := v - l.First
	return int(l.Data[max(0, min(i, len(l.Data)-1))])
}

var (
	tagModalityLUTSeq = tag.Tag{Group: 0x0028, Element: 0x3000}
	tagVOILUTSeq      = tag.Tag{Group: 0x0028, Element: 0x3010}
	tagLUTDescriptor  = tag.Tag{Group: 0x0028, Element: 0x3002}
	tagLUTData        = tag.Tag{Group: 0x0028, Element: 0x3006}
)

// readLUTs reads the first item of the Modality LUT Sequence and of the
// VOI LUT Sequence, if present. A VOI LUT is used for display only when
// the file has no Window Center/Width (WindowSource "voilut").
func (h *dicomHeader) readLUTs(ds *dicom.Dataset) error {
	var err error
	if h.meta.ModalityLUT, err = readLUTSeq(ds, tagModalityLUTSeq, h.pixelRep == 1, h.byteOrder); err != nil {
		return err
	}
	if h.meta.VOILUT, err = readLUTSeq(ds, tagVOILUTSeq, h.pixelRep == 1 && h.meta.ModalityLUT == nil, h.byteOrder); err != nil {
		return err
	}
	if h.meta.VOILUT != nil && h.meta.WindowSource == "" {
		h.meta.WindowSource = "voilut"
	}
	return nil
}

func readLUTSeq(ds *dicom.Dataset, t tag.Tag, signedInput bool, order binary.ByteOrder) (*LUT, error) {
	e, err := ds.FindElementByTag(t)
	if err != nil || e.Value == nil {
		return nil, nil
	}
	items, ok := e.Value.GetValue().([]*dicom.SequenceItemValue)
	if !ok || len(items) == 0 {
		return nil, nil
	}
	elems, _ := items[0].GetValue().([]*dicom.Element)
	var desc []int
	var raw []byte
	var words []int
	for _, el := range elems {
		if el.Value == nil {
			continue
		}
		switch el.Tag {
		case tagLUTDescriptor:
			desc, _ = el.Value.GetValue().([]int)
		case tagLUTData:
			switch v := el.Value.GetValue().(type) {
			case []byte:
				raw = v
			case []int:
				words = v
			}
		}
	}
	name := "Modality LUT"
	if t == tagVOILUTSeq {
		name = "VOI LUT"
	}
	if len(desc) != 3 {
		return nil, formatErr("dicom", nil, "%s without a 3-value LUT Descriptor", name)
	}
	n := desc[0] & 0xFFFF
	if n == 0 {
		n = 65536
	}
	l := &LUT{First: desc[1] & 0xFFFF, Bits: desc[2]}
	if signedInput && l.First >= 0x8000 {
		l.First -= 0x10000
	}
	if l.Bits < 8 || l.Bits > 16 {
		return nil, formatErr("dicom", nil, "%s entries of %d bits", name, l.Bits)
	}
	l.Data = make([]uint16, n)
	switch {
	case len(words) >= n:
		for i := range l.Data {
			l.Data[i] = uint16(words[i])
		}
	case len(raw) >= 2*n:
		for i := range l.Data {
			l.Data[i] = order.Uint16(raw[2*i:])
		}
	case l.Bits == 8 && len(raw) >= n:
		for i := range l.Data {
			l.Data[i] = uint16(raw[i])
		}
	default:
		return nil, formatErr("dicom", nil, "%s Data has %d bytes for %d entries", name, max(len(raw), 2*len(words)), n)
	}
	mask := uint16(1<<l.Bits - 1)
	for i := range l.Data {
		l.Data[i] &= mask
	}
	return l, nil
}

// modalityValue maps a stored value to its modality value: through the
// Modality LUT when the file has one, else Rescale Slope/Intercept.
func (m *Meta) modalityValue(stored int) float64 {
	if m.ModalityLUT != nil {
		return float64(m.ModalityLUT.At(stored))
	}
	slope := m.RescaleSlope
	if slope == 0 {
		slope = 1
	}
	return modality(slope, stored, m.RescaleIntercept)
}

// displayValue renders one stored value as Display does: modality value,
// then the VOI LUT (scaled as DCMTK renders it) or the linear window,
// MONOCHROME1 inverted.
func (m *Meta) displayValue(stored int) uint8 {
	mv := m.modalityValue(stored)
	if m.WindowSource == "voilut" && m.VOILUT != nil {
		l := m.VOILUT
		// As DCMTK renders a VOI LUT (dimoopxt.h, no presentation LUT):
		// low + v*(high-low+1)/2^Bits, truncated, with (low, high) =
		// (0, 255), or (255, 0) for MONOCHROME1.
		v := float64(l.At(int(math.Floor(mv))))
		low, rng := 0.0, 256.0
		if m.Inverted {
			low, rng = 255, -254
		}
		return uint8(float64(low) + float64(v*rng)/float64(int(1)<<l.Bits))
	}
	return windowLinear(mv, m.Window, m.Inverted)
}
