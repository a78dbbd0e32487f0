package data

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"math"
	"strconv"
	"strings"

	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// Transfer syntax UIDs (DICOM PS3.6 Annex A).
const (
	tsImplicitLE = "1.2.840.10008.1.2"
	tsExplicitLE = "1.2.840.10008.1.2.1"
	tsDeflatedLE = "1.2.840.10008.1.2.1.99"
	tsExplicitBE = "1.2.840.10008.1.2.2"
	tsJPEGBase   = "1.2.840.10008.1.2.4.50"
	tsJPEGExt    = "1.2.840.10008.1.2.4.51"
	tsRLE        = "1.2.840.10008.1.2.5"
)

// transferSyntaxes names the transfer syntaxes this package knows and says
// whether their pixel data is decoded.
var transferSyntaxes = map[string]struct {
	name    string
	decoded bool
}{
	tsImplicitLE:              {"Implicit VR Little Endian", true},
	tsExplicitLE:              {"Explicit VR Little Endian", true},
	tsDeflatedLE:              {"Deflated Explicit VR Little Endian", true},
	tsExplicitBE:              {"Explicit VR Big Endian", true},
	tsJPEGBase:                {"JPEG Baseline (Process 1)", true},
	tsJPEGExt:                 {"JPEG Extended (Process 2 & 4)", true}, // 8- and 12-bit
	"1.2.840.10008.1.2.4.57":  {"JPEG Lossless, Non-Hierarchical (Process 14)", true},
	"1.2.840.10008.1.2.4.70":  {"JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 SV1)", true},
	"1.2.840.10008.1.2.4.80":  {"JPEG-LS Lossless Image Compression", true}, // CharLS (cgo)
	"1.2.840.10008.1.2.4.81":  {"JPEG-LS Lossy (Near-Lossless) Image Compression", true},
	"1.2.840.10008.1.2.4.90":  {"JPEG 2000 Image Compression (Lossless Only)", true}, // OpenJPEG (cgo)
	"1.2.840.10008.1.2.4.91":  {"JPEG 2000 Image Compression", true},
	"1.2.840.10008.1.2.4.92":  {"JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)", false},
	"1.2.840.10008.1.2.4.93":  {"JPEG 2000 Part 2 Multi-component Image Compression", false},
	"1.2.840.10008.1.2.4.100": {"MPEG2 Main Profile / Main Level", false},
	"1.2.840.10008.1.2.4.201": {"High-Throughput JPEG 2000 (Lossless Only)", true}, // OpenJPEG >= 2.5
	"1.2.840.10008.1.2.4.202": {"High-Throughput JPEG 2000 with RPCL Options (Lossless Only)", true},
	"1.2.840.10008.1.2.4.203": {"High-Throughput JPEG 2000", true},
	tsRLE:                     {"RLE Lossless", true},
}

// TransferSyntaxName returns the name of a DICOM transfer syntax UID, or
// "unknown transfer syntax".
func TransferSyntaxName(uid string) string {
	if t, ok := transferSyntaxes[uid]; ok {
		return t.name
	}
	return "unknown transfer syntax"
}

// dicomHeader holds the attributes needed to decode and display pixels.
type dicomHeader struct {
	meta                                   Meta
	rows, cols, bitsAlloc, bitsStored      int
	highBit, pixelRep, spp, frames, planar int
	windows                                []Window
	pixels                                 *dicom.PixelDataInfo
	byteOrder                              binary.ByteOrder
	palette                                *paletteLUT // PALETTE COLOR only
}

// checkTransferSyntax refuses a Part 10 file whose file meta names a
// transfer syntax this package does not know, before the data set is
// parsed (the dicom library cannot parse a data set in an encoding it does
// not know, and panicked on some). The error names the UID when it is a
// well-formed UID and says what is read.
func checkTransferSyntax(b []byte) error {
	if len(b) < 132 || string(b[128:132]) != "DICM" {
		return nil
	}
	for off := 132; off+4 <= len(b) && binary.LittleEndian.Uint16(b[off:]) == 0x0002; {
		e, err := scanElement(b, off, true, binary.LittleEndian)
		if err != nil || e.length == undefinedLength {
			return nil // scanDICOM reports the damage
		}
		if e.elem == 0x0010 {
			uid := strings.TrimRight(string(b[e.value:e.value+int(e.length)]), "\x00 ")
			if _, ok := transferSyntaxes[uid]; ok || uid == "" {
				return nil
			}
			if len(uid) > 64 || strings.Trim(uid, "0123456789.") != "" {
				uid = "a malformed UID"
			}
			return &UnsupportedError{Format: "dicom", TransferSyntax: "unknown", UID: uid,
				Feature: "medqr reads the uncompressed, deflated, RLE, JPEG, JPEG-LS and JPEG 2000 transfer syntaxes of DICOM Part 5 (\"medqr info\" names a file's)"}
		}
		off = e.value + int(e.length)
	}
	return nil
}

// parseDICOM runs the dicom library, converting panics into FormatErrors.
func parseDICOM(b []byte, skipPixels bool, maxBytes int64) (ds dicom.Dataset, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = formatErr("dicom", nil, "malformed data set (parser panic: %v)", r)
		}
	}()
	if err := checkTransferSyntax(b); err != nil {
		return ds, err
	}
	if err := scanDICOM(b, maxBytes); err != nil {
		return ds, err
	}
	opts := []dicom.ParseOption{
		dicom.AllowMissingMetaElementGroupLength(),
		dicom.AllowUnknownSpecificCharacterSet(),
	}
	if skipPixels {
		opts = append(opts, dicom.SkipPixelData())
	} else {
		opts = append(opts, dicom.SkipProcessingPixelDataValue())
	}
	b, alias := aliasTransferSyntax(b) // HTJ2K: unknown to the library
	ds, err = dicom.Parse(bytes.NewReader(b), int64(len(b)), nil, opts...)
	if err != nil {
		return ds, formatErr("dicom", err, "failed to parse data set")
	}
	restoreTransferSyntax(&ds, alias)
	return ds, nil
}

func findStrings(ds *dicom.Dataset, t tag.Tag) []string {
	e, err := ds.FindElementByTag(t)
	if err != nil || e.Value == nil {
		return nil
	}
	if v, ok := e.Value.GetValue().([]string); ok {
		return v
	}
	return nil
}

func findString(ds *dicom.Dataset, t tag.Tag) string {
	v := findStrings(ds, t)
	if len(v) == 0 {
		return ""
	}
	return strings.TrimSpace(v[0])
}

// findInt reads a US/SS/UL/IS attribute; ok is false when it is absent or
// not a number.
func findInt(ds *dicom.Dataset, t tag.Tag) (int, bool) {
	e, err := ds.FindElementByTag(t)
	if err != nil || e.Value == nil {
		return 0, false
	}
	switch v := e.Value.GetValue().(type) {
	case []int:
		if len(v) > 0 {
			return v[0], true
		}
	case []string:
		if len(v) > 0 {
			n, err := strconv.Atoi(strings.TrimSpace(v[0]))
			return n, err == nil
		}
	}
	return 0, false
}

// findFloats reads a DS/FD/FL attribute with any number of values.
func findFloats(ds *dicom.Dataset, t tag.Tag) []float64 {
	e, err := ds.FindElementByTag(t)
	if err != nil || e.Value == nil {
		return nil
	}
	switch v := e.Value.GetValue().(type) {
	case []float64:
		return v
	case []string:
		var out []float64
		for _, s := range v {
			f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return nil
			}
			out = append(out, f)
		}
		return out
	}
	return nil
}

// readDICOMHeader parses b and checks the pixel attributes.
func readDICOMHeader(b []byte, o LoadOptions, skipPixels bool) (*dicomHeader, error) {
	ds, err := parseDICOM(b, skipPixels, o.maxBytes())
	if err != nil {
		return nil, err
	}
	h := &dicomHeader{byteOrder: binary.LittleEndian}
	m := &h.meta
	m.Format = "dicom"
	m.HasPart10Header = len(b) >= 132 && string(b[128:132]) == "DICM"
	uid := strings.TrimRight(findString(&ds, tag.TransferSyntaxUID), "\x00 ")
	if uid == "" {
		// ACR-NEMA style (or a Part-10 file missing the attribute): the
		// library infers the encoding; we infer it the same way from the
		// first element.
		uid = tsImplicitLE
		if len(b) >= 6 && !m.HasPart10Header && isUpper(b[4]) && isUpper(b[5]) {
			uid = tsExplicitLE
			if b[0] == 0 && b[1] != 0 {
				uid = tsExplicitBE
			}
		}
	}
	m.TransferSyntaxUID = uid
	m.TransferSyntax = TransferSyntaxName(uid)
	if uid == tsExplicitBE {
		h.byteOrder = binary.BigEndian
	}
	m.Photometric = strings.ToUpper(findString(&ds, tag.PhotometricInterpretation))
	m.Modality = findString(&ds, tag.Modality)
	var ok bool
	if h.rows, ok = findInt(&ds, tag.Rows); !ok {
		return nil, formatErr("dicom", nil, "missing Rows (0028,0010): no image in this file")
	}
	if h.cols, ok = findInt(&ds, tag.Columns); !ok {
		return nil, formatErr("dicom", nil, "missing Columns (0028,0011)")
	}
	if h.bitsAlloc, ok = findInt(&ds, tag.BitsAllocated); !ok {
		return nil, formatErr("dicom", nil, "missing Bits Allocated (0028,0100)")
	}
	if h.bitsStored, ok = findInt(&ds, tag.BitsStored); !ok {
		h.bitsStored = h.bitsAlloc
	}
	if h.highBit, ok = findInt(&ds, tag.HighBit); !ok {
		h.highBit = h.bitsStored - 1
	}
	h.pixelRep, _ = findInt(&ds, tag.PixelRepresentation)
	if h.spp, ok = findInt(&ds, tag.SamplesPerPixel); !ok {
		h.spp = 1
	}
	h.planar, _ = findInt(&ds, tag.PlanarConfiguration)
	if h.frames, ok = findInt(&ds, tag.NumberOfFrames); !ok || h.frames < 1 {
		h.frames = 1
	}
	m.Width, m.Height = h.cols, h.rows
	m.BitDepth = h.bitsStored
	m.BitsAllocated = h.bitsAlloc
	m.Frames = h.frames
	m.Signed = h.pixelRep == 1
	m.Inverted = m.Photometric == "MONOCHROME1"
	m.RescaleSlope, m.RescaleIntercept = 1, 0
	if v := findFloats(&ds, tag.RescaleSlope); len(v) > 0 && v[0] != 0 {
		m.RescaleSlope = v[0]
	}
	if v := findFloats(&ds, tag.RescaleIntercept); len(v) > 0 {
		m.RescaleIntercept = v[0]
	}
	wc := findFloats(&ds, tag.WindowCenter)
	ww := findFloats(&ds, tag.WindowWidth)
	for i := 0; i < len(wc) && i < len(ww); i++ {
		if ww[i] >= 1 {
			h.windows = append(h.windows, Window{Center: wc[i], Width: ww[i]})
		}
	}
	if len(h.windows) > 0 {
		m.Window = h.windows[0]
		m.WindowSource = "file"
	}
	if o.IncludePatient {
		m.Patient = patientFields(&ds)
	}
	if err := h.readLUTs(&ds); err != nil {
		return nil, err
	}

	// Validate what the pixel decoders rely on.
	switch {
	case h.rows <= 0 || h.cols <= 0 || h.rows > 65535 || h.cols > 65535:
		return nil, formatErr("dicom", nil, "invalid dimensions %dx%d", h.cols, h.rows)
	case h.bitsAlloc != 8 && h.bitsAlloc != 16:
		return nil, &UnsupportedError{Format: "dicom", Feature: fmt.Sprintf("Bits Allocated %d (only 8 and 16 are decoded)", h.bitsAlloc)}
	case h.bitsStored < 1 || h.bitsStored > h.bitsAlloc:
		return nil, formatErr("dicom", nil, "Bits Stored %d does not fit Bits Allocated %d", h.bitsStored, h.bitsAlloc)
	case h.highBit < h.bitsStored-1 || h.highBit >= h.bitsAlloc:
		return nil, formatErr("dicom", nil, "High Bit %d inconsistent with Bits Stored %d and Bits Allocated %d", h.highBit, h.bitsStored, h.bitsAlloc)
	case h.pixelRep != 0 && h.pixelRep != 1:
		return nil, formatErr("dicom", nil, "invalid Pixel Representation %d", h.pixelRep)
	}
	if err := h.checkColour(&ds); err != nil {
		return nil, err
	}
	// Only the first frame is decoded, so the limit applies to one frame
	// (the whole pixel data is already bounded by the file size limit).
	if err := checkPixels(h.cols, h.rows, 1, o.maxPixels()); err != nil {
		return nil, err
	}
	if !skipPixels {
		e, err := ds.FindElementByTag(tag.PixelData)
		if err != nil {
			return nil, formatErr("dicom", nil, "no Pixel Data (7FE0,0010)")
		}
		pi, ok := e.Value.GetValue().(dicom.PixelDataInfo)
		if !ok {
			return nil, formatErr("dicom", nil, "unreadable Pixel Data (7FE0,0010)")
		}
		h.pixels = &pi
	}
	return h, nil
}

// patientFields returns the group 0x0010 (patient) attributes as text.
func patientFields(ds *dicom.Dataset) map[string]string {
	out := map[string]string{}
	for _, e := range ds.Elements {
		if e.Tag.Group != 0x0010 || e.Value == nil {
			continue
		}
		name := fmt.Sprintf("(%04X,%04X)", e.Tag.Group, e.Tag.Element)
		if info, err := tag.Find(e.Tag); err == nil && info.Keyword != "" {
			name = info.Keyword
		}
		if v, ok := e.Value.GetValue().([]string); ok {
			out[name] = strings.TrimSpace(strings.Join(v, "\\"))
		}
	}
	return out
}

// dicomConfig reads the DICOM header only.
func dicomConfig(b []byte, o LoadOptions) (Meta, error) {
	h, err := readDICOMHeader(b, o, true)
	if err != nil {
		return Meta{}, err
	}
	// Metadata is returned even for transfer syntaxes whose pixels are not
	// decoded: Meta.TransferSyntax tells the caller.
	return h.meta, nil
}

// decodeDICOM decodes frame o.Frame (default 1) of a DICOM file.
func decodeDICOM(b []byte, o LoadOptions) (d *Decoded, err error) {
	defer func() {
		if r := recover(); r != nil {
			d, err = nil, formatErr("dicom", nil, "malformed pixel data (panic: %v)", r)
		}
	}()
	h, raw, err := loadFrame(b, o)
	if err != nil {
		return nil, err
	}
	samples, err := h.frameSamples(raw)
	if err != nil {
		return nil, err
	}
	return h.finish(samples), nil
}

// unpack extracts a stored sample from a raw allocated word: shift down to
// the High Bit, mask to Bits Stored, sign-extend when signed.
func (h *dicomHeader) unpack(raw uint32) int32 {
	shift := h.highBit - h.bitsStored + 1
	v := (raw >> uint(shift)) & (1<<uint(h.bitsStored) - 1)
	if h.pixelRep == 1 && v&(1<<uint(h.bitsStored-1)) != 0 {
		return int32(v) - int32(1)<<uint(h.bitsStored)
	}
	return int32(v)
}

// finish converts stored samples to the MONOCHROME2-sense image and fills
// the default window.
func (h *dicomHeader) finish(samples []int32) *Decoded {
	m := h.meta
	bits := h.bitsStored
	offset := int32(0)
	if m.Signed {
		offset = 1 << uint(bits-1)
	}
	maxv := int32(1)<<uint(bits) - 1
	var img image.Image
	lo, hi := int32(math.MaxInt32), int32(math.MinInt32)
	if h.bitsAlloc == 8 && !m.Signed {
		g := image.NewGray(image.Rect(0, 0, h.cols, h.rows))
		for i, s := range samples {
			q := s + offset
			if m.Inverted {
				q = maxv - q
			}
			g.Pix[i] = uint8(q)
			lo, hi = min(lo, s), max(hi, s)
		}
		img = g
	} else {
		g := image.NewGray16(image.Rect(0, 0, h.cols, h.rows))
		for i, s := range samples {
			q := s + offset
			if m.Inverted {
				q = maxv - q
			}
			g.Pix[2*i] = uint8(q >> 8)
			g.Pix[2*i+1] = uint8(q)
			lo, hi = min(lo, s), max(hi, s)
		}
		img = g
	}
	if m.WindowSource == "" {
		// Default window: the minimum and maximum modality value of the
		// frame map to 0 and 255.
		a := m.modalityValue(int(lo))
		b := m.modalityValue(int(hi))
		if a > b {
			a, b = b, a
		}
		m.Window = Window{Center: (a+b)/2 + 0.5, Width: b - a + 1}
		m.WindowSource = "minmax"
	}
	return &Decoded{Image: img, Meta: m}
}
