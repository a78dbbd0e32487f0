package data

import (
	"encoding/binary"
	"fmt"

	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// Photometric interpretations decoded (PS3.3 C.7.6.3.1.2): grayscale as
// is, colour reduced to luminance.
var colourPhotometrics = map[string]int{ // samples per pixel
	"MONOCHROME1": 1, "MONOCHROME2": 1, "PALETTE COLOR": 1,
	"RGB": 3, "YBR_FULL": 3, "YBR_FULL_422": 3, "YBR_ICT": 3, "YBR_RCT": 3,
	"YBR_PARTIAL_422": 3, "YBR_PARTIAL_420": 3,
}

// checkColour validates Samples per Pixel against the photometric
// interpretation and reads the palette of a PALETTE COLOR image.
func (h *dicomHeader) checkColour(ds *dicom.Dataset) error {
	pm := h.meta.Photometric
	want, ok := colourPhotometrics[pm]
	switch {
	case pm == "" && h.spp == 1:
		return nil
	case !ok:
		return &UnsupportedError{Format: "dicom", Feature: fmt.Sprintf("photometric interpretation %q with %d samples per pixel", pm, h.spp)}
	case h.spp != want:
		return formatErr("dicom", nil, "photometric interpretation %s with Samples per Pixel %d (want %d)", pm, h.spp, want)
	case want == 3 && h.pixelRep != 0:
		return &UnsupportedError{Format: "dicom", Feature: "signed colour pixels"}
	case h.planar != 0 && h.planar != 1:
		return formatErr("dicom", nil, "invalid Planar Configuration %d", h.planar)
	}
	if pm == "PALETTE COLOR" {
		p, err := readPalette(ds, h.byteOrder)
		if err != nil {
			return err
		}
		h.palette = p
	}
	if want == 3 || pm == "PALETTE COLOR" {
		h.meta.Color = "rgb"
		if pm == "PALETTE COLOR" {
			h.meta.Color = "palette"
		}
		h.meta.Notice = fmt.Sprintf("colour image (%s) reduced to luminance (ITU-R BT.601 weights)", pm)
		// VOI windows apply to grayscale only (PS3.3 C.11.2): the
		// luminance displays over its full range.
		bits := h.bitsStored
		if h.palette != nil {
			bits = h.palette.bits
		}
		if bits == 8 && h.bitsAlloc == 8 {
			h.meta.Window, h.meta.WindowSource = Window{}, "full"
		} else {
			h.meta.Window = Window{Center: float64(int(1) << (bits - 1)), Width: float64(int(1) << bits)}
			h.meta.WindowSource = "colour"
		}
	}
	return nil
}

// paletteLUT holds the red, green and blue palette tables (PS3.3
// C.7.6.3.1.5) already reduced to luminance.
type paletteLUT struct {
	first int     // first stored value mapped
	bits  int     // bits per entry (8 or 16)
	luma  []int32 // one entry per index
}

func readPalette(ds *dicom.Dataset, order binary.ByteOrder) (*paletteLUT, error) {
	descTags := []tag.Tag{{Group: 0x0028, Element: 0x1101}, {Group: 0x0028, Element: 0x1102}, {Group: 0x0028, Element: 0x1103}}
	dataTags := []tag.Tag{{Group: 0x0028, Element: 0x1201}, {Group: 0x0028, Element: 0x1202}, {Group: 0x0028, Element: 0x1203}}
	var chans [3][]int32
	p := &paletteLUT{}
	for c := 0; c < 3; c++ {
		e, err := ds.FindElementByTag(descTags[c])
		if err != nil || e.Value == nil {
			return nil, formatErr("dicom", nil, "PALETTE COLOR image without a palette descriptor (0028,%04X)", descTags[c].Element)
		}
		d, ok := e.Value.GetValue().([]int)
		if !ok || len(d) != 3 {
			return nil, formatErr("dicom", nil, "bad palette descriptor (0028,%04X)", descTags[c].Element)
		}
		entries := d[0] & 0xFFFF
		if entries == 0 {
			entries = 65536
		}
		if d[2] != 8 && d[2] != 16 {
			return nil, formatErr("dicom", nil, "palette entries of %d bits", d[2])
		}
		p.first, p.bits = d[1]&0xFFFF, d[2]
		e, err = ds.FindElementByTag(dataTags[c])
		if err != nil || e.Value == nil {
			return nil, formatErr("dicom", nil, "PALETTE COLOR image without palette data (0028,%04X)", dataTags[c].Element)
		}
		raw, ok := e.Value.GetValue().([]byte)
		if !ok {
			return nil, formatErr("dicom", nil, "unreadable palette data (0028,%04X)", dataTags[c].Element)
		}
		chans[c] = make([]int32, entries)
		switch {
		case len(raw) >= 2*entries:
			for i := range chans[c] {
				v := int32(order.Uint16(raw[2*i:]))
				if p.bits == 8 {
					v &= 0xFF // 8-bit entries stored in 16-bit words
				}
				chans[c][i] = v
			}
		case p.bits == 8 && len(raw) >= entries:
			for i := range chans[c] {
				chans[c][i] = int32(raw[i])
			}
		default:
			return nil, formatErr("dicom", nil, "palette data (0028,%04X) has %d bytes for %d entries", dataTags[c].Element, len(raw), entries)
		}
	}
	if len(chans[1]) != len(chans[0]) || len(chans[2]) != len(chans[0]) {
		return nil, formatErr("dicom", nil, "palette tables of different lengths")
	}
	p.luma = make([]int32, len(chans[0]))
	for i := range p.luma {
		p.luma[i] = luma(chans[0][i], chans[1][i], chans[2][i])
	}
	return p, nil
}

// luma is image/color's BT.601 gray conversion at any bit depth.
func luma(r, g, b int32) int32 {
	return int32((19595*int64(r) + 38470*int64(g) + 7471*int64(b) + 1<<15) >> 16)
}

// word returns sample k of a raw frame (little-endian words).
func (h *dicomHeader) word(raw []byte, k int) uint32 {
	if h.bitsAlloc == 8 {
		return uint32(raw[k])
	}
	return uint32(binary.LittleEndian.Uint16(raw[2*k:]))
}

// rawPhotometric is the colour space of the frame rawFrame returned: the
// DCT JPEG decoder gives full-resolution YCbCr for YBR_FULL_422 and
// YBR_FULL, OpenJPEG applies the inverse component transform of YBR_ICT
// and YBR_RCT, RLE frames come out interleaved.
func (h *dicomHeader) rawPhotometric() string {
	pm := h.meta.Photometric
	switch h.meta.TransferSyntaxUID {
	case tsJPEGBase, tsJPEGExt:
		if h.spp == 3 && pm != "RGB" {
			return "YBR_FULL" // see jpegFrameRaw
		}
	case tsJ2KLossless, tsJ2K, tsHTJ2KLossless, tsHTJ2KRPCL, tsHTJ2K:
		if pm == "YBR_ICT" || pm == "YBR_RCT" {
			return "RGB"
		}
	}
	return pm
}

// frameSamples turns a raw frame into one stored value per pixel: gray
// words shifted to the High Bit, masked to Bits Stored and sign-extended;
// colour pixels reduced to their luminance (Y of YBR, BT.601 luma of RGB
// and of palette entries). For PALETTE COLOR the result has the bit depth
// of the palette entries, which h and its Meta then report.
func (h *dicomHeader) frameSamples(raw []byte) ([]int32, error) {
	n := h.rows * h.cols
	out := make([]int32, n)
	switch pm := h.rawPhotometric(); {
	case h.spp == 1 && h.palette != nil:
		p := h.palette
		for i := range out {
			k := int(h.unpack(h.word(raw, i))) - p.first
			k = max(0, min(k, len(p.luma)-1)) // PS3.3: out-of-range indices take the end entries
			out[i] = p.luma[k]
		}
		h.bitsStored, h.highBit, h.pixelRep = p.bits, p.bits-1, 0
		h.meta.BitDepth, h.meta.Signed = p.bits, false
		if h.bitsAlloc < p.bits {
			h.bitsAlloc, h.meta.BitsAllocated = p.bits, p.bits
		}
	case h.spp == 1:
		for i := range out {
			out[i] = h.unpack(h.word(raw, i))
		}
	case pm == "YBR_FULL_422" || pm == "YBR_PARTIAL_422" || pm == "YBR_PARTIAL_420":
		// Y0 Y1 Cb Cr for each pair of pixels in a row (native data).
		pairs := (h.cols + 1) / 2
		for y := 0; y < h.rows; y++ {
			for x := 0; x < h.cols; x++ {
				out[y*h.cols+x] = h.unpack(h.word(raw, 4*(y*pairs+x/2)+x%2))
			}
		}
	default:
		planar := h.planar == 1 && !h.pixels.IsEncapsulated
		comp := func(i, c int) int32 {
			if planar {
				return h.unpack(h.word(raw, c*n+i))
			}
			return h.unpack(h.word(raw, 3*i+c))
		}
		ycc := pm != "RGB"
		for i := range out {
			if ycc {
				out[i] = comp(i, 0)
			} else {
				out[i] = luma(comp(i, 0), comp(i, 1), comp(i, 2))
			}
		}
	}
	return out, nil
}
