package qr

import (
	"errors"
	"fmt"
	"image"
	"unicode/utf8"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// ErrNotBinary means a symbol was read but holds text outside ISO-8859-1
// (Kanji mode or an ECI designator), so it is not one of our byte payloads.
var ErrNotBinary = errors.New("qr: symbol holds non-ISO-8859-1 text, not a binary payload")

// MaxPixels bounds the images Decode and DecodeAll accept (about a 16k x 16k
// photo); larger ones fail before any work.
const MaxPixels = 1 << 28

// charset forces gozxing to decode byte segments as ISO-8859-1, which maps
// each byte to the rune of the same value, instead of guessing UTF-8 or
// Shift_JIS (which corrupts binary payloads).
const charset = "ISO-8859-1"

type binarizerKind int

const (
	hybrid binarizerKind = iota
	globalHist
)

// strategy is one way of reading an image: an optional pre-filter, a
// binarizer and gozxing hints.
type strategy struct {
	name   string
	filter func(*image.Gray) *image.Gray // nil: the image as given
	bin    binarizerKind
	pure   bool
	harder bool
}

// strategies are tried in order until one reads a symbol; cheap ones that
// read clean renderings come first. The pre-filters target failure modes
// seen in the damage study (results/qr): isolated noise pixels (median),
// blur that defeats gozxing's local binarizer (a global Otsu threshold),
// and modules of about 2 pixels (upsampling before thresholding).
var strategies = []strategy{
	{name: "default"},
	{name: "pure", pure: true},
	{name: "harder", harder: true},
	{name: "median3", filter: median3, harder: true},
	{name: "otsu", filter: otsu, harder: true},
	{name: "global", bin: globalHist, harder: true},
	{name: "median3+otsu", filter: func(g *image.Gray) *image.Gray { return otsu(median3(g)) }, harder: true},
	{name: "double+otsu", filter: func(g *image.Gray) *image.Gray { return otsu(double(g)) }, harder: true}, // otsu(nil) is nil: double refuses large images
	{name: "median3+pure", filter: median3, pure: true},
	{name: "half", filter: halve, harder: true},
	{name: "double", filter: double, harder: true},
	{name: "median5", filter: median5, harder: true},
}

// Decode reads one QR symbol from img and returns its payload bytes
// exactly. It returns ErrNotFound (wrapped) when no strategy reads a symbol
// and ErrNotBinary when the symbol holds non-byte text.
func Decode(img image.Image) ([]byte, error) {
	b, _, err := decodeWith(img, strategies)
	return b, err
}

// DecodeStrategy is like Decode and also names the strategy that read the
// symbol ("default", "pure", "harder", "median3", ...); it exists for the
// damage study and for diagnostics.
func DecodeStrategy(img image.Image) ([]byte, string, error) {
	return decodeWith(img, strategies)
}

// DecodeLocated is like Decode and also returns where the symbol lies: the
// bounding box, in img's coordinates, of the centres of the points gozxing
// located (the three finder patterns, which lie 3.5 modules inside the
// symbol's corners, and the alignment pattern). A caller compares it with
// the image's bounds to tell an image that is one symbol from a page that
// may hold several.
func DecodeLocated(img image.Image) ([]byte, image.Rectangle, error) {
	b, _, box, err := decodeLocated(img, strategies)
	return b, box, err
}

func decodeWith(img image.Image, ss []strategy) ([]byte, string, error) {
	b, name, _, err := decodeLocated(img, ss)
	return b, name, err
}

func decodeLocated(img image.Image, ss []strategy) ([]byte, string, image.Rectangle, error) {
	g, err := toGray(img)
	if err != nil {
		return nil, "", image.Rectangle{}, err
	}
	filtered := map[string]*image.Gray{}
	var lastErr error
	for _, s := range ss {
		src := g
		if s.filter != nil {
			src = cached(filtered, s, g)
		}
		if src == nil {
			continue
		}
		res, err := readGray(src, s)
		if err != nil {
			lastErr = err
			continue
		}
		b, err := textBytes(res.GetText())
		return b, s.name, locate(res, g, src, img.Bounds().Min), err
	}
	if lastErr != nil {
		return nil, "", image.Rectangle{}, fmt.Errorf("%w (last attempt: %v)", ErrNotFound, lastErr)
	}
	return nil, "", image.Rectangle{}, ErrNotFound
}

// locate maps the result points found in src (g filtered, possibly scaled)
// back to the original image's coordinates (g has its origin at 0,0; the
// original's is at min) and returns their bounding box.
func locate(res *gozxing.Result, g, src *image.Gray, min image.Point) image.Rectangle {
	pts := res.GetResultPoints()
	if len(pts) == 0 {
		return image.Rectangle{}
	}
	sx := float64(g.Rect.Dx()) / float64(src.Rect.Dx())
	sy := float64(g.Rect.Dy()) / float64(src.Rect.Dy())
	var r image.Rectangle
	for i, p := range pts {
		if p == nil {
			continue
		}
		x, y := int(p.GetX()*sx), int(p.GetY()*sy)
		pr := image.Rect(x, y, x+1, y+1)
		if i == 0 || r.Empty() {
			r = pr
		} else {
			r = r.Union(pr)
		}
	}
	return r.Add(min)
}

// cached applies s.filter once per filter name (median3 feeds three
// strategies).
func cached(c map[string]*image.Gray, s strategy, g *image.Gray) *image.Gray {
	key := s.name
	switch s.name {
	case "median3", "median3+pure":
		key = "median3"
	}
	if f, ok := c[key]; ok {
		return f
	}
	f := s.filter(g)
	c[key] = f
	return f
}

// textBytes maps gozxing's ISO-8859-1 text back to bytes rune by rune.
func textBytes(text string) ([]byte, error) {
	out := make([]byte, 0, len(text))
	for i, r := range text {
		if r > 0xff || (r == utf8.RuneError && !validAt(text, i)) {
			return nil, fmt.Errorf("%w (rune %U at byte %d)", ErrNotBinary, r, i)
		}
		out = append(out, byte(r))
	}
	return out, nil
}

func validAt(s string, i int) bool {
	r, size := utf8.DecodeRuneInString(s[i:])
	return r != utf8.RuneError || size > 1
}

func hints(s strategy) map[gozxing.DecodeHintType]interface{} {
	h := map[gozxing.DecodeHintType]interface{}{
		gozxing.DecodeHintType_CHARACTER_SET: charset,
	}
	if s.pure {
		h[gozxing.DecodeHintType_PURE_BARCODE] = true
	}
	if s.harder {
		h[gozxing.DecodeHintType_TRY_HARDER] = true
	}
	return h
}

// bitmap wraps a compact *image.Gray (Stride == width) for gozxing without
// copying it.
func bitmap(g *image.Gray, kind binarizerKind) (*gozxing.BinaryBitmap, error) {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	src, err := gozxing.NewPlanarYUVLuminanceSource(g.Pix, w, h, 0, 0, w, h, false)
	if err != nil {
		return nil, err
	}
	var b gozxing.Binarizer
	if kind == globalHist {
		b = gozxing.NewGlobalHistgramBinarizer(src)
	} else {
		b = gozxing.NewHybridBinarizer(src)
	}
	return gozxing.NewBinaryBitmap(b)
}

// readGray runs one gozxing attempt, turning a panic inside gozxing into an
// error so that no image can crash the caller.
func readGray(g *image.Gray, s strategy) (res *gozxing.Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("qr: gozxing panicked: %v", r)
		}
	}()
	bm, err := bitmap(g, s.bin)
	if err != nil {
		return nil, err
	}
	return qrcode.NewQRCodeReader().Decode(bm, hints(s))
}

// toGray converts img to a compact 8-bit gray image with its origin at
// (0, 0), compositing transparent pixels over white (QR codes are often
// drawn as dark modules on a transparent background).
func toGray(img image.Image) (*image.Gray, error) {
	if img == nil {
		return nil, fmt.Errorf("%w: nil image", ErrNotFound)
	}
	r := img.Bounds()
	w, h := r.Dx(), r.Dy()
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("%w: empty %dx%d image", ErrNotFound, w, h)
	}
	if int64(w)*int64(h) > MaxPixels {
		return nil, fmt.Errorf("qr: %dx%d image exceeds the %d-pixel limit", w, h, MaxPixels)
	}
	g := image.NewGray(image.Rect(0, 0, w, h))
	switch src := img.(type) {
	case *image.Gray:
		for y := 0; y < h; y++ {
			copy(g.Pix[y*w:(y+1)*w], src.Pix[src.PixOffset(r.Min.X, r.Min.Y+y):])
		}
		return g, nil
	case *image.Gray16:
		for y := 0; y < h; y++ {
			o := src.PixOffset(r.Min.X, r.Min.Y+y)
			for x := 0; x < w; x++ {
				g.Pix[y*w+x] = src.Pix[o+2*x]
			}
		}
		return g, nil
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			cr, cg, cb, ca := img.At(r.Min.X+x, r.Min.Y+y).RGBA()
			// Rec. 601 luma of the premultiplied colour, over white.
			lum := (19595*cr + 38470*cg + 7471*cb + 1<<15) >> 16
			lum += 0xffff - ca
			if lum > 0xffff {
				lum = 0xffff
			}
			g.Pix[y*w+x] = uint8(lum >> 8)
		}
	}
	return g, nil
}
