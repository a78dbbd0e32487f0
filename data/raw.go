package data

// RawFrame is one frame of a DICOM file's pixel data after decompression:
// what gdcmconv --raw stores as Pixel Data.
type RawFrame struct {
	Meta Meta
	// SamplesPerPixel samples per pixel, each a little-endian word of
	// Meta.BitsAllocated bits, interleaved unless PlanarConfiguration is 1.
	SamplesPerPixel     int
	PlanarConfiguration int
	Data                []byte
}

// LoadRaw reads frame o.Frame (default 1) of the DICOM file at path and
// returns its decompressed pixel data, whatever the transfer syntax (big
// endian words are swapped to little endian). Errors name the file.
func LoadRaw(path string, o LoadOptions) (*RawFrame, error) {
	return loadFile(path, o, decodeRaw)
}

func decodeRaw(b []byte, o LoadOptions) (r *RawFrame, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, formatErr("dicom", nil, "malformed pixel data (panic: %v)", p)
		}
	}()
	if sniff(b) != "dicom" {
		return nil, formatErr("", nil, "not a DICOM file: raw pixel data exists only for DICOM")
	}
	h, raw, err := loadFrame(b, o)
	if err != nil {
		return nil, err
	}
	planar := 0
	if h.spp > 1 && !h.pixels.IsEncapsulated {
		planar = h.planar
	}
	return &RawFrame{Meta: h.meta, SamplesPerPixel: h.spp, PlanarConfiguration: planar, Data: raw}, nil
}

// loadFrame reads the header of a DICOM file and returns frame o.Frame of
// its pixel data, decompressed (see rawFrame).
func loadFrame(b []byte, o LoadOptions) (*dicomHeader, []byte, error) {
	// A cheap first pass validates the header (and the size limit) before
	// the pixel data is read.
	h0, err := readDICOMHeader(b, o, true)
	if err != nil {
		return nil, nil, err
	}
	uid := h0.meta.TransferSyntaxUID
	if t, ok := transferSyntaxes[uid]; !ok || !t.decoded {
		return nil, nil, &UnsupportedError{Format: "dicom", TransferSyntax: TransferSyntaxName(uid), UID: uid}
	}
	if _, err := h0.frameNumber(o); err != nil {
		return nil, nil, err
	}
	h, err := readDICOMHeader(b, o, false)
	if err != nil {
		return nil, nil, err
	}
	n, err := h.frameNumber(o)
	if err != nil {
		return nil, nil, err
	}
	raw, err := h.rawFrame(b, n, o)
	if err != nil {
		return nil, nil, err
	}
	h.meta.Frame = n
	return h, raw, nil
}
