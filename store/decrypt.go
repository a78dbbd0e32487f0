package store

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // QR photos may be JPEG
	"io"
	"os"
	"slices"

	"github.com/medqr/medqr/codec"
	"github.com/medqr/medqr/data"
	"github.com/medqr/medqr/qr"
	"github.com/medqr/medqr/seal"
)

// MaxQRImagePixels bounds the QR images Decrypt decodes (a 64-megapixel
// photo or scan is far more than any sheet needs).
const MaxQRImagePixels = 1 << 26

// Errors of Decrypt besides those of seal.OpenMessage (seal.ErrAuth,
// *seal.MissingError, seal.ErrMixed, seal.ErrVersion).
var (
	// ErrNotImage: a QR file that is not a PNG or JPEG image.
	ErrNotImage = errors.New("store: not a PNG or JPEG image")
	// ErrNoQR: an image in which no QR code could be read.
	ErrNoQR = errors.New("store: no readable QR code")
	// ErrForeignQR: QR codes that are not medqr symbols (another
	// application's codes, text, URLs).
	ErrForeignQR = errors.New("store: the QR code was not made by medqr")
)

// FileError ties an error to the QR file it came from.
type FileError struct {
	Path string
	Err  error
}

func (e *FileError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }

// Decrypted is the result of Decrypt.
type Decrypted struct {
	Image   image.Image // *image.Gray, or *image.Gray16 for 16-bit lossless
	Meta    seal.Meta
	Codec   string
	Level   string
	Symbols int // symbols in the message
	Payload int // codec payload bytes
	// Others counts the medqr QR codes read that are not part of the
	// opened message: codes of OtherRecords other records (a page or photo
	// holding several), and codes with a damaged header.
	Others       int
	OtherRecords int
}

// Decrypt reads the QR images at paths (any order; separate symbol files,
// sheets or photos of several codes) and opens the message they hold.
func Decrypt(paths []string, o seal.Opener) (*Decrypted, error) {
	if len(paths) == 0 {
		return nil, errors.New("store: no QR images given")
	}
	imgs := make([]image.Image, len(paths))
	for i, p := range paths {
		img, err := readImage(p)
		if err != nil {
			return nil, &FileError{Path: p, Err: err}
		}
		imgs[i] = img
	}
	return decrypt(imgs, paths, o)
}

// DecryptImages is Decrypt for images already in memory.
func DecryptImages(imgs []image.Image, o seal.Opener) (*Decrypted, error) {
	names := make([]string, len(imgs))
	for i := range imgs {
		names[i] = fmt.Sprintf("image %d", i+1)
	}
	return decrypt(imgs, names, o)
}

// decrypt reads an image that is one pixel-exact symbol (a QR PNG as
// Encrypt writes it) with qr.ReadExact, any other with the fast
// single-symbol reader (qr.DecodeLocated) first, and scans an image for
// several codes (qr.DecodeAll, much slower) when the fast reader finds no
// medqr symbol in it, when the symbol it finds covers only
// part of the image (a page or photo that may hold other codes), or when
// symbols are still missing. It then opens the message the opener opens
// among those found (see openFound).
func decrypt(imgs []image.Image, names []string, o seal.Opener) (*Decrypted, error) {
	found := make([][][]byte, len(imgs))
	scanned := make([]bool, len(imgs))
	for i, img := range imgs {
		b := img.Bounds()
		// A QR PNG as Encrypt writes it: one pixel-exact symbol filling
		// the image, read without searching for it.
		if p, err := qr.ReadExact(img); err == nil && isOurs(p) {
			found[i] = [][]byte{p}
			continue
		}
		if b.Dx() <= fastPathMaxSide && b.Dy() <= fastPathMaxSide {
			p, box, err := qr.DecodeLocated(img)
			if err == nil && isOurs(p) {
				found[i] = [][]byte{p}
				if fills(box, b) {
					continue
				}
				// Part of a page: read every code on it, keeping the
				// one already read if the scan misses it.
				if cs, err := symbolsIn(img); err == nil {
					found[i] = appendNew(found[i], cs...)
				}
				scanned[i] = true
				continue
			}
		}
		cs, err := symbolsIn(img)
		if err != nil {
			return nil, &FileError{Path: names[i], Err: err}
		}
		found[i], scanned[i] = cs, true
	}
	if incomplete(found) {
		for i, img := range imgs {
			if scanned[i] {
				continue
			}
			if cs, err := symbolsIn(img); err == nil {
				found[i] = appendNew(found[i], cs...)
			}
		}
	}
	return openFound(found, names, o)
}

// fills reports whether a symbol whose located points span box covers most
// of an image with bounds b, as in a QR PNG written by Encrypt (the finder
// centres span 170 of its 185 modules) or a photo of one code. Anything
// smaller may leave room for other codes beside it.
func fills(box, b image.Rectangle) bool {
	return 10*box.Dx() >= 6*b.Dx() && 10*box.Dy() >= 6*b.Dy()
}

func appendNew(cs [][]byte, more ...[]byte) [][]byte {
	for _, m := range more {
		if !slices.ContainsFunc(cs, func(c []byte) bool { return bytes.Equal(c, m) }) {
			cs = append(cs, m)
		}
	}
	return cs
}

// openFound groups the containers found in the images by message id and
// opens the message that o opens. Several records on one page (or among
// the files given) are normal: a printed sheet or a photo may show codes of
// several encryptions. The others are counted in Decrypted.Others. A
// container whose header is damaged counts as another code when a message
// opens, and is reported as damaged (ErrDamaged) when none does. When o
// opens none of several records, the error is seal.ErrAuth unless one of
// them failed otherwise after authenticating (missing symbols: the key was
// right), which is then returned.
func openFound(found [][][]byte, names []string, o seal.Opener) (*Decrypted, error) {
	type group struct {
		id    [seal.MessageIDSize]byte
		cs    [][]byte
		files []string
	}
	var groups []*group
	var damaged, versionErr error
	nDamaged := 0
	for i, cs := range found {
		for _, c := range cs {
			h, err := seal.ParseHeader(c)
			if err != nil {
				if errors.Is(err, seal.ErrVersion) {
					versionErr = cmp.Or(versionErr, error(&FileError{Path: names[i], Err: err}))
					continue
				}
				nDamaged++
				damaged = cmp.Or(damaged, error(&FileError{Path: names[i], Err: damagedHeader(err)}))
				continue
			}
			k := slices.IndexFunc(groups, func(g *group) bool { return g.id == h.MessageID })
			if k < 0 {
				groups = append(groups, &group{id: h.MessageID})
				k = len(groups) - 1
			}
			g := groups[k]
			g.cs = append(g.cs, c)
			if !slices.Contains(g.files, names[i]) {
				g.files = append(g.files, names[i])
			}
		}
	}
	if len(groups) == 0 {
		if damaged != nil {
			return nil, damaged
		}
		if versionErr != nil {
			return nil, versionErr
		}
		return nil, ErrForeignQR
	}
	var firstErr error
	for k, g := range groups {
		d, err := Open(g.cs, o)
		if err == nil {
			for j, other := range groups {
				if j != k {
					d.Others += len(other.cs)
					d.OtherRecords++
				}
			}
			d.Others += nDamaged
			return d, nil
		}
		if firstErr == nil || (errors.Is(firstErr, seal.ErrAuth) && !errors.Is(err, seal.ErrAuth)) {
			firstErr = err
		}
	}
	if len(groups) > 1 && errors.Is(firstErr, seal.ErrAuth) {
		return nil, fmt.Errorf("%w (tried each of the %d records whose QR codes were read)", seal.ErrAuth, len(groups))
	}
	var me *seal.MissingError
	if damaged != nil && errors.As(firstErr, &me) {
		// The missing symbols are most likely the damaged ones.
		return nil, fmt.Errorf("%w; %v", damaged, firstErr)
	}
	return nil, firstErr
}

// fastPathMaxSide: images larger than this on a side (a version-40 symbol
// at 11 pixels per module) are read with qr.DecodeAll directly. They are
// sheets or photos, which the single-symbol reader would try with every
// pre-filter before failing.
const fastPathMaxSide = 2048

// incomplete reports whether the containers found lack symbols of the
// first message's count (judged from unauthenticated headers, only to
// decide whether a slower scan is worth it).
func incomplete(found [][][]byte) bool {
	seen := map[int]bool{}
	count := 0
	for _, cs := range found {
		for _, c := range cs {
			h, err := seal.ParseHeader(c)
			if err != nil {
				continue
			}
			count = max(count, h.Count)
			seen[h.Index] = true
		}
	}
	return len(seen) < count
}

func readImage(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return decodeImage(f)
}

// maxBilevelBytes bounds the files decodeImage reads into memory to try
// qr.DecodeBilevelPNG.
const maxBilevelBytes = 16 << 20

// decodeImage decodes a PNG or JPEG QR image, checking its size before
// decoding the pixels.
func decodeImage(r io.ReadSeeker) (image.Image, error) {
	cfg, _, err := image.DecodeConfig(r)
	if err != nil {
		return nil, ErrNotImage
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxQRImagePixels/cfg.Height {
		return nil, fmt.Errorf("%w: %dx%d image is larger than %d pixels", data.ErrTooLarge, cfg.Width, cfg.Height, MaxQRImagePixels)
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	// The 1-bit PNGs medqr writes (kilobytes; a sheet of many codes a few
	// megabytes) decode several times faster by qr's reader, to the same
	// pixels. Only that much of a file is held in memory: any other file,
	// or a larger one, streams through image.Decode.
	b, err := io.ReadAll(io.LimitReader(r, maxBilevelBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) <= maxBilevelBytes {
		if g, ok := qr.DecodeBilevelPNG(b); ok {
			return g, nil
		}
	}
	img, _, err := image.Decode(io.MultiReader(bytes.NewReader(b), r))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotImage, err)
	}
	return img, nil
}

// containerMagic starts every medqr container (see package seal).
var containerMagic = []byte("MQ")

// isOurs reports whether a QR payload is a medqr container, or at least
// starts like one: a damaged header is then reported by seal.OpenMessage
// as a damaged medqr symbol rather than as another application's code.
func isOurs(p []byte) bool {
	if _, err := seal.ParseHeader(p); err == nil {
		return true
	}
	return bytes.HasPrefix(p, containerMagic)
}

// symbolsIn returns the medqr containers among the QR codes in img.
func symbolsIn(img image.Image) ([][]byte, error) {
	payloads, err := qr.DecodeAll(img)
	switch {
	case errors.Is(err, qr.ErrNotBinary):
		return nil, fmt.Errorf("%w: it holds text", ErrForeignQR)
	case err != nil:
		return nil, fmt.Errorf("%w: %v", ErrNoQR, err)
	}
	var out [][]byte
	var firstErr error
	for _, p := range payloads {
		if !isOurs(p) {
			if _, err := seal.ParseHeader(p); firstErr == nil {
				firstErr = err
			}
			continue
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		if errors.Is(firstErr, seal.ErrVersion) {
			return nil, firstErr
		}
		return nil, ErrForeignQR
	}
	return out, nil
}

// ErrDamaged: a QR symbol that starts with the medqr magic and a known
// container version but whose header does not parse (an altered mode,
// AEAD, symbol index or count, or a truncated symbol). Any such error also
// matches seal.ErrAuth: after the magic and the version byte, an altered
// header byte is damage or tampering, the same class as a failed
// authentication tag.
var ErrDamaged = errors.New("store: a QR code's header is damaged or tampered with")

type damagedError struct{ detail string }

func (e *damagedError) Error() string { return ErrDamaged.Error() + " (" + e.detail + ")" }
func (e *damagedError) Is(target error) bool {
	return target == ErrDamaged || target == seal.ErrAuth
}

// damagedHeader turns a seal.ParseHeader error of a container that carries
// the medqr magic into a *damagedError; ErrVersion passes through.
func damagedHeader(err error) error {
	var fe *seal.FormatError
	if errors.As(err, &fe) {
		return &damagedError{detail: fe.Msg}
	}
	return err
}

// Open opens the sealed containers of one message and decodes the image.
func Open(containers [][]byte, o seal.Opener) (*Decrypted, error) {
	for _, c := range containers {
		if _, err := seal.ParseHeader(c); err != nil {
			return nil, damagedHeader(err)
		}
	}
	meta, payload, err := seal.OpenMessage(containers, o)
	if err != nil {
		return nil, err
	}
	c, err := codec.Lookup(meta.Codec)
	if err != nil {
		return nil, fmt.Errorf("store: the image was coded with codec %d, which this medqr does not have (made by a newer release?): %w", meta.Codec, err)
	}
	img, err := c.Decode(payload)
	if err != nil {
		return nil, fmt.Errorf("store: failed to decode the %s payload: %w", c.Name(), err)
	}
	if b := img.Bounds(); b.Dx() != meta.Width || b.Dy() != meta.Height {
		return nil, fmt.Errorf("store: the %s payload decodes to %dx%d, the header says %dx%d", c.Name(), b.Dx(), b.Dy(), meta.Width, meta.Height)
	}
	_, wide := img.(*image.Gray16)
	if wide != (meta.Depth == 16) {
		return nil, fmt.Errorf("store: the %s payload decodes to %T, the header says %d-bit", c.Name(), img, meta.Depth)
	}
	var n int
	if h, err := seal.ParseHeader(containers[0]); err == nil {
		n = h.Count
	}
	lv := ""
	if meta.Level != 0 {
		lv = string(rune(meta.Level))
	}
	return &Decrypted{Image: img, Meta: meta, Codec: c.Name(), Level: lv, Symbols: n, Payload: len(payload)}, nil
}

// Reference prepares an original image file for comparison with a
// decrypted image the way Encrypt prepared it: the exact pixels when the
// sizes match and the codec is lossless, else Display and Preprocess to the
// decrypted size (square images only).
func Reference(path string, dec *Decrypted) (image.Image, error) {
	d, err := load(path, data.LoadOptions{})
	if err != nil {
		return nil, err
	}
	b := d.Image.Bounds()
	if dec.Codec == "lossless" && b.Dx() == dec.Meta.Width && b.Dy() == dec.Meta.Height {
		if dec.Meta.Depth == 16 {
			return d.Image, nil
		}
		if g, ok := d.Image.(*image.Gray); ok {
			return g, nil
		}
	}
	if dec.Meta.Width != dec.Meta.Height {
		return nil, fmt.Errorf("store: cannot prepare a reference for a %dx%d image", dec.Meta.Width, dec.Meta.Height)
	}
	return data.Preprocess(d.Display(), dec.Meta.Width), nil
}
