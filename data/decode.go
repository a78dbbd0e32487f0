package data

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/medqr/medqr/internal/jpegx"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
)

// DefaultMaxPixels is the default limit on Width*Height*Frames of one image
// (64 Mi pixels: 128 MiB as 16-bit gray).
const DefaultMaxPixels = 1 << 26

// DefaultMaxBytes is the default limit on the size of one input file.
const DefaultMaxBytes = 1 << 30

// LoadOptions controls decoding. The zero value is valid and uses the
// defaults.
type LoadOptions struct {
	// IncludePatient fills Meta.Patient with the DICOM patient attributes
	// (name, ID, birth date, sex, age, ...). Off by default: patient data
	// must never reach outputs, logs or QR codes unless a user asks.
	IncludePatient bool
	// MaxPixels bounds Width*Height*Frames; 0 means DefaultMaxPixels.
	MaxPixels int64
	// MaxBytes bounds the input size; 0 means DefaultMaxBytes.
	MaxBytes int64
	// Frame is the 1-based frame of a multi-frame DICOM to decode; 0 means
	// the first. A frame past the last gives a *FrameError.
	Frame int
}

func (o LoadOptions) maxPixels() int64 {
	if o.MaxPixels > 0 {
		return o.MaxPixels
	}
	return DefaultMaxPixels
}

func (o LoadOptions) maxBytes() int64 {
	if o.MaxBytes > 0 {
		return o.MaxBytes
	}
	return DefaultMaxBytes
}

// Window is a DICOM VOI linear window (PS3.3 C.11.2.1.2), in modality units
// (after Rescale Slope/Intercept).
type Window struct{ Center, Width float64 }

// Meta describes a decoded image. Pixel-related fields are always set;
// DICOM-only fields are empty for other formats.
type Meta struct {
	Format   string // "png", "jpeg" or "dicom"
	Width    int
	Height   int
	BitDepth int // significant bits per stored sample (DICOM Bits Stored)
	// Samples per pixel and colour of the source; gray output is always
	// produced. "gray", "rgb", "palette", "ycbcr", "cmyk" for PNG/JPEG.
	Color string
	// Signed is true for DICOM Pixel Representation 1.
	Signed bool
	// Inverted is true when the source was MONOCHROME1 and the pixels in
	// Decoded.Image were inverted to the MONOCHROME2 sense.
	Inverted bool
	// RescaleSlope and RescaleIntercept map stored values to modality values
	// (1 and 0 when absent).
	RescaleSlope, RescaleIntercept float64
	// Window is the VOI window that Display applies. WindowSource says where
	// it came from: "file" (first Window Center/Width in the DICOM),
	// "voilut" (the VOI LUT Sequence, when the DICOM has no window),
	// "colour" (a DICOM colour image's luminance over its full range),
	// "minmax" (DICOM without a window: minimum and maximum modality value of
	// the frame) or "full" (PNG/JPEG: 8-bit images display unchanged, 16-bit
	// ones keep their high byte).
	Window       Window
	WindowSource string

	// DICOM only.
	Photometric       string // e.g. "MONOCHROME1", "MONOCHROME2"
	TransferSyntax    string // name, e.g. "Explicit VR Little Endian"
	TransferSyntaxUID string // e.g. "1.2.840.10008.1.2.1"
	BitsAllocated     int
	Frames            int    // frames in the file
	Frame             int    // the frame Decoded holds (1-based)
	Modality          string // e.g. "CR", "CT"
	HasPart10Header   bool   // false for ACR-NEMA style files
	// ModalityLUT and VOILUT are the first tables of the Modality LUT
	// Sequence and the VOI LUT Sequence, nil when absent; a Modality LUT
	// replaces Rescale Slope/Intercept, a VOI LUT is used for display when
	// the file has no window (WindowSource "voilut").
	ModalityLUT, VOILUT *LUT
	// Notice says how the pixels were changed on the way to gray, for the
	// user to read (e.g. a colour image reduced to luminance); "" if not.
	Notice string
	// Patient holds patient attributes only when LoadOptions.IncludePatient
	// was set; nil otherwise.
	Patient map[string]string
}

// Decoded is a decoded image with its metadata.
type Decoded struct {
	// Image is an *image.Gray (8-bit sources) or *image.Gray16. Values are the
	// stored values in MONOCHROME2 sense: for DICOM, signed values are offset
	// by 2^(BitDepth-1) and MONOCHROME1 values v become 2^BitDepth-1-v; see
	// StoredValue.
	Image image.Image
	Meta  Meta
}

// StoredValue maps a sample of d.Image back to the value stored in the file
// (before Rescale Slope/Intercept): it undoes the MONOCHROME1 inversion and
// the offset of signed values.
func (d *Decoded) StoredValue(q int) int {
	bits := d.Meta.BitDepth
	if d.Meta.Inverted {
		q = (1<<bits - 1) - q
	}
	if d.Meta.Signed {
		q -= 1 << (bits - 1)
	}
	return q
}

// ModalityValue maps a sample of d.Image to its modality value (for CT,
// Hounsfield units): slope*stored + intercept.
func (d *Decoded) ModalityValue(q int) float64 {
	return modality(d.Meta.RescaleSlope, d.StoredValue(q), d.Meta.RescaleIntercept)
}

func modality(slope float64, stored int, intercept float64) float64 {
	// float64() keeps the product from being fused into an FMA, so every CPU
	// computes the same value.
	return float64(slope*float64(stored)) + intercept
}

// Load reads and decodes the file at path (PNG, JPEG or DICOM, sniffed from
// the content) with default options. Errors name the file.
func Load(path string) (*Decoded, error) {
	return LoadWith(path, LoadOptions{})
}

// LoadWith is Load with options.
func LoadWith(path string, o LoadOptions) (*Decoded, error) {
	return loadFile(path, o, decodeBytes)
}

// loadFile reads the file at path (up to o's byte limit) and decodes it;
// a decoding error names the file.
func loadFile[T any](path string, o LoadOptions, decode func([]byte, LoadOptions) (T, error)) (T, error) {
	var zero T
	b, err := readFileLimited(path, o.maxBytes())
	if err != nil {
		return zero, err
	}
	d, err := decode(b, o)
	if err != nil {
		return zero, fmt.Errorf("failed to decode %s: %w", path, err)
	}
	return d, nil
}

func readFileLimited(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("failed to open image: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("failed to open image: %w", err)
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("failed to read %s: is a directory, not an image file", path)
	}
	if fi.Size() > max {
		return nil, fmt.Errorf("failed to read %s: %w: file is %d bytes, limit %d", path, ErrTooLarge, fi.Size(), max)
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("failed to read %s: %w", path, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("failed to read %s: %w: file is larger than %d bytes", path, ErrTooLarge, max)
	}
	return b, nil
}

// Decode reads an image from r with default options.
func Decode(r io.Reader) (*Decoded, error) {
	return DecodeWith(r, LoadOptions{})
}

// DecodeWith reads an image from r with options.
func DecodeWith(r io.Reader, o LoadOptions) (*Decoded, error) {
	max := o.maxBytes()
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("failed to read image: %w", err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%w: input is larger than %d bytes", ErrTooLarge, max)
	}
	return decodeBytes(b, o)
}

// DecodeConfig returns the format and metadata of the image in r without
// decoding its pixels (for DICOM, without reading the pixel data). The
// DICOM window is the file's, if any (WindowSource "file"), since the
// min-max default needs the pixels.
func DecodeConfig(r io.Reader) (Meta, error) {
	b, err := io.ReadAll(io.LimitReader(r, DefaultMaxBytes+1))
	if err != nil {
		return Meta{}, fmt.Errorf("failed to read image: %w", err)
	}
	if len(b) > DefaultMaxBytes {
		return Meta{}, fmt.Errorf("%w: input is larger than %d bytes", ErrTooLarge, int64(DefaultMaxBytes))
	}
	return configBytes(b, LoadOptions{})
}

// LoadConfig is DecodeConfig for a file, with options (IncludePatient fills
// Meta.Patient for DICOM). It also describes DICOM files whose pixel data
// this package does not decode. Errors name the file.
func LoadConfig(path string, o LoadOptions) (Meta, error) {
	b, err := readFileLimited(path, o.maxBytes())
	if err != nil {
		return Meta{}, err
	}
	m, err := configBytes(b, o)
	if err != nil {
		return Meta{}, fmt.Errorf("failed to read %s: %w", path, err)
	}
	return m, nil
}

func configBytes(b []byte, o LoadOptions) (Meta, error) {
	switch sniff(b) {
	case "png", "jpeg":
		name := sniff(b)
		cfg, err := stdConfig(b, name)
		if err != nil {
			return Meta{}, err
		}
		m := Meta{Format: name, Width: cfg.Width, Height: cfg.Height, RescaleSlope: 1, WindowSource: "full"}
		m.BitDepth, m.Color = modelInfo(cfg.ColorModel)
		m.Window = Window{Center: 128, Width: 256}
		if m.BitDepth == 16 {
			m.Window = Window{Center: 32768, Width: 65536}
		}
		return m, nil
	case "dicom":
		return dicomConfig(b, o)
	}
	if len(b) == 0 {
		return Meta{}, formatErr("", nil, "empty file")
	}
	return Meta{}, &FormatError{Msg: "unknown format", Err: ErrUnknownFormat}
}

var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// sniff names the format of b from its first bytes: "png", "jpeg", "dicom"
// or "".
func sniff(b []byte) string {
	switch {
	case bytes.HasPrefix(b, pngMagic):
		return "png"
	case len(b) >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff:
		return "jpeg"
	case len(b) >= 132 && string(b[128:132]) == "DICM":
		return "dicom"
	case looksLikeACRNEMA(b):
		return "dicom"
	}
	return ""
}

// looksLikeACRNEMA recognises a DICOM data set without the Part-10 preamble:
// it must start with an element of group 0x0000, 0x0002 or 0x0008 (little or
// big endian) whose explicit VR is two upper-case letters or whose implicit
// length fits in the file.
func looksLikeACRNEMA(b []byte) bool {
	if len(b) < 8 {
		return false
	}
	le := uint16(b[0]) | uint16(b[1])<<8
	be := uint16(b[0])<<8 | uint16(b[1])
	if le != 0x0000 && le != 0x0002 && le != 0x0008 && be != 0x0008 && be != 0x0002 {
		return false
	}
	if isUpper(b[4]) && isUpper(b[5]) {
		return true
	}
	vl := uint32(b[4]) | uint32(b[5])<<8 | uint32(b[6])<<16 | uint32(b[7])<<24
	return int64(vl) <= int64(len(b)-8)
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

func decodeBytes(b []byte, o LoadOptions) (*Decoded, error) {
	switch sniff(b) {
	case "png":
		return decodeStd(b, "png", o)
	case "jpeg":
		return decodeStd(b, "jpeg", o)
	case "dicom":
		return decodeDICOM(b, o)
	}
	if len(b) == 0 {
		return nil, formatErr("", nil, "empty file")
	}
	return nil, &FormatError{Msg: "unknown format", Err: ErrUnknownFormat}
}

// stdConfig reads the header of a PNG or JPEG (format "png" or "jpeg").
func stdConfig(b []byte, format string) (image.Config, error) {
	decode := jpegx.DecodeConfig
	if format == "png" {
		decode = png.DecodeConfig
	}
	cfg, err := decode(bytes.NewReader(b))
	if err != nil {
		return cfg, stdErr(format, err)
	}
	return cfg, nil
}

// decodeStd decodes PNG and JPEG with the standard library, after checking
// the dimensions from the header against the limit.
func decodeStd(b []byte, format string, o LoadOptions) (*Decoded, error) {
	cfg, err := stdConfig(b, format)
	if err != nil {
		return nil, err
	}
	if err := checkPixels(cfg.Width, cfg.Height, 1, o.maxPixels()); err != nil {
		return nil, err
	}
	depth, colour := modelInfo(cfg.ColorModel)
	var g image.Image
	if format == "png" && depth == 16 {
		// Straight to 16-bit gray, without an RGBA64 image in between
		// (bounded peak memory); nil for the PNGs png.Decode handles.
		if g16, ok := decodePNGGray16(b); ok {
			g = g16
		}
	}
	if g == nil {
		var img image.Image
		if format == "png" {
			img, err = png.Decode(bytes.NewReader(b))
		} else {
			img, err = jpegx.Decode(bytes.NewReader(b))
		}
		if err != nil {
			return nil, stdErr(format, err)
		}
		g = toGray(img, depth)
	}
	m := Meta{
		Format:           format,
		Width:            cfg.Width,
		Height:           cfg.Height,
		BitDepth:         depth,
		Color:            colour,
		RescaleSlope:     1,
		RescaleIntercept: 0,
		WindowSource:     "full",
	}
	if depth == 16 {
		m.Window = Window{Center: 32768, Width: 65536}
	} else {
		m.Window = Window{Center: 128, Width: 256}
	}
	return &Decoded{Image: g, Meta: m}, nil
}

func stdErr(format string, err error) error {
	var ue png.UnsupportedError
	var ue2 jpegx.UnsupportedError
	switch {
	case errors.As(err, &ue), errors.As(err, &ue2):
		return &UnsupportedError{Format: format, Feature: err.Error()}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return formatErr(format, err, "truncated file")
	}
	return formatErr(format, err, "failed to decode")
}

func checkPixels(w, h, frames int, max int64) error {
	if w <= 0 || h <= 0 {
		return formatErr("", nil, "invalid dimensions %dx%d", w, h)
	}
	if frames < 1 {
		frames = 1
	}
	// Each factor is at most 2^31 here, so compare step by step to avoid
	// overflow.
	n := int64(w) * int64(h)
	if n > max || n*int64(frames) > max || n*int64(frames) < 0 {
		return fmt.Errorf("%w: %dx%d pixels x %d frames exceeds the limit of %d pixels", ErrTooLarge, w, h, frames, max)
	}
	return nil
}

// modelInfo gives the bit depth and colour name of a standard colour model.
func modelInfo(cm color.Model) (int, string) {
	switch cm {
	case color.GrayModel:
		return 8, "gray"
	case color.Gray16Model:
		return 16, "gray"
	case color.RGBAModel, color.NRGBAModel:
		return 8, "rgb"
	case color.RGBA64Model, color.NRGBA64Model:
		return 16, "rgb"
	case color.YCbCrModel:
		return 8, "ycbcr"
	case color.CMYKModel:
		return 8, "cmyk"
	}
	if _, ok := cm.(color.Palette); ok {
		return 8, "palette"
	}
	return 8, "other"
}

// toGray converts img to *image.Gray (depth 8) or *image.Gray16 (depth 16)
// with a zero-based origin. Gray images are copied exactly; YCbCr uses the
// Y plane (the luma the encoder stored); other colour images use the
// BT.601 luma of image/color.
func toGray(img image.Image, depth int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if depth == 16 {
		out := image.NewGray16(image.Rect(0, 0, w, h))
		if src, ok := img.(*image.Gray16); ok {
			for y := 0; y < h; y++ {
				copy(out.Pix[y*out.Stride:y*out.Stride+2*w], src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):])
			}
			return out
		}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				out.SetGray16(x, y, color.Gray16Model.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray16))
			}
		}
		return out
	}
	out := image.NewGray(image.Rect(0, 0, w, h))
	switch src := img.(type) {
	case *image.Gray:
		for y := 0; y < h; y++ {
			copy(out.Pix[y*out.Stride:y*out.Stride+w], src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):])
		}
		return out
	case *image.YCbCr:
		for y := 0; y < h; y++ {
			copy(out.Pix[y*out.Stride:y*out.Stride+w], src.Y[src.YOffset(b.Min.X, b.Min.Y+y):])
		}
		return out
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			out.Pix[y*out.Stride+x] = color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y
		}
	}
	return out
}
