package qr

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/common/reedsolomon"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
)

// ErrReadBack means a PNG file is not one pixel-exact, error-free symbol
// (ReadBack).
var ErrReadBack = errors.New("qr: read-back failed")

// ReadBack reads the PNG file of one symbol as Encode and PNG render it
// (pxPerModule pixels per module, a light quiet zone of QuietZone modules,
// pixels 0 or 255) and returns the payload, for a writer that checks what
// it hands out. It is stricter than Decode, which finds a symbol anywhere
// in any image and corrects what it can:
//
//   - the file is decoded to the pixels image/png gives (by image/png, or,
//     for exactly the chunk layout Symbol.PNG writes, by readBilevel,
//     several times faster), and every pixel is checked: each module's
//     pxPerModule x pxPerModule pixels all 0 (dark) or all 255 (light),
//     the quiet zone light, the image exactly a symbol's size;
//   - the module grid is checked against ISO/IEC 18004 with gozxing's
//     tables, not the encoder's: finder, separator, timing and alignment
//     patterns and the dark module exact, both copies of the version
//     information equal to the table's codeword (version 7 and up), both
//     copies of the format information one valid BCH codeword at level l,
//     and every Reed-Solomon block free of errors (all syndromes zero);
//   - the data codewords are then parsed by gozxing's bit-stream decoder,
//     byte segments as ISO-8859-1, as Decode parses them.
//
// Any failure is an error wrapping ErrReadBack (ErrNotBinary for Kanji or
// ECI text); ReadBack never panics.
func ReadBack(file []byte, l Level, pxPerModule int) (payload []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			payload, err = nil, fmt.Errorf("%w: gozxing panicked: %v", ErrReadBack, r)
		}
	}()
	if !l.Valid() {
		return nil, fmt.Errorf("%w %v", ErrLevel, l)
	}
	if pxPerModule < 1 {
		return nil, fmt.Errorf("%w: %d pixels per module", ErrReadBack, pxPerModule)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(file))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrReadBack, err)
	}
	side := cfg.Width
	n := side/pxPerModule - 2*QuietZone
	v := (n - 17) / 4
	if cfg.Height != side || side%pxPerModule != 0 || n < 21 || (n-17)%4 != 0 || v > 40 {
		return nil, fmt.Errorf("%w: a %dx%d image is no symbol at %d pixels per module", ErrReadBack, cfg.Width, cfg.Height, pxPerModule)
	}
	g, ok := readBilevel(file)
	if !ok {
		img, err := png.Decode(bytes.NewReader(file))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrReadBack, err)
		}
		if g, ok = img.(*image.Gray); !ok || g.Rect.Min != (image.Point{}) {
			if g, err = toGray(img); err != nil {
				return nil, fmt.Errorf("%w: %v", ErrReadBack, err)
			}
		}
	}
	bm, err := moduleGrid(g, pxPerModule, n)
	if err != nil {
		return nil, err
	}
	if err := checkFunctionPatterns(bm, v); err != nil {
		return nil, err
	}
	return readExact(bm, v, l)
}

// ReadExact reads an image that is one symbol rendered pixel-exactly as
// Encode renders it, at any module size and level: the image exactly a
// symbol's size, every module's pixels all 0 or all 255, the quiet zone
// light, and the module grid an exact, error-free symbol, as ReadBack
// checks a PNG file. It returns an error wrapping ErrReadBack for any
// other image (a photo, a page, a damaged or resized symbol), which a
// caller then gives to Decode; it is several times faster than Decode on
// the images it reads, and never panics.
func ReadExact(img image.Image) (payload []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			payload, err = nil, fmt.Errorf("%w: gozxing panicked: %v", ErrReadBack, r)
		}
	}()
	if img == nil {
		return nil, fmt.Errorf("%w: nil image", ErrReadBack)
	}
	b := img.Bounds()
	side := b.Dx()
	if b.Dy() != side || side < 21+2*QuietZone {
		return nil, fmt.Errorf("%w: a %dx%d image is no pixel-exact symbol", ErrReadBack, b.Dx(), b.Dy())
	}
	// at is the gray level of the pixel at the centre of module (x, y)
	// at px pixels per module, quiet zone included.
	at := func(x, y, px int) uint8 {
		return color.GrayModel.Convert(img.At(b.Min.X+x*px+px/2, b.Min.Y+y*px+px/2)).(color.Gray).Y
	}
	var g *image.Gray
	err = fmt.Errorf("%w: a %dx%d image is no pixel-exact symbol", ErrReadBack, side, side)
	for v := 1; v <= 40; v++ {
		n := 17 + 4*v
		px := side / (n + 2*QuietZone)
		// The top-left finder's corner module is dark and the module
		// inside it light: a cheap test before any conversion or scan.
		if side%(n+2*QuietZone) != 0 || at(QuietZone, QuietZone, px) != 0 || at(QuietZone+1, QuietZone+1, px) != 0xff {
			continue
		}
		if g == nil {
			var ok bool
			if g, ok = img.(*image.Gray); !ok || g.Rect.Min != (image.Point{}) {
				if g, err = toGray(img); err != nil {
					return nil, fmt.Errorf("%w: %v", ErrReadBack, err)
				}
			}
		}
		bm, e := moduleGrid(g, px, n)
		if e == nil {
			if e = checkFunctionPatterns(bm, v); e == nil {
				return readExact(bm, v, 0)
			}
		}
		err = e
	}
	return nil, err
}

// moduleGrid checks that g (origin 0,0) is a symbol of n x n modules of
// px pixels each inside the quiet zone and returns the modules (set =
// dark).
func moduleGrid(g *image.Gray, px, n int) (*gozxing.BitMatrix, error) {
	size := n + 2*QuietZone
	bm, err := gozxing.NewSquareBitMatrix(n)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrReadBack, err)
	}
	w := size * px
	for my := range size {
		first := g.Pix[my*px*g.Stride:][:w]
		for mx := range size {
			cell := first[mx*px : (mx+1)*px]
			v := cell[0]
			uniform := true
			for _, p := range cell[1:] {
				uniform = uniform && p == v
			}
			quiet := mx < QuietZone || my < QuietZone || mx >= QuietZone+n || my >= QuietZone+n
			if (v != 0 && v != 0xff) || (quiet && v != 0xff) || !uniform {
				return nil, fmt.Errorf("%w: module (%d, %d) is not one uniform %s cell", ErrReadBack, mx, my, map[bool]string{true: "light quiet-zone", false: "dark or light"}[quiet])
			}
			if v == 0 {
				bm.Set(mx-QuietZone, my-QuietZone)
			}
		}
		for y := my*px + 1; y < (my+1)*px; y++ {
			if !bytes.Equal(g.Pix[y*g.Stride:][:w], first) {
				return nil, fmt.Errorf("%w: pixel row %d differs from row %d of its module row", ErrReadBack, y, my*px)
			}
		}
	}
	return bm, nil
}

// checkFunctionPatterns checks the finder patterns with their separators,
// the timing patterns, the alignment patterns (centres from gozxing's
// version table) and the dark module of a version-v symbol.
func checkFunctionPatterns(bm *gozxing.BitMatrix, v int) error {
	n := bm.GetWidth()
	want := func(x, y int, dark bool, what string) error {
		if bm.Get(x, y) != dark {
			return fmt.Errorf("%w: module (%d, %d) of the %s is %s", ErrReadBack, x, y, what, map[bool]string{true: "light", false: "dark"}[dark])
		}
		return nil
	}
	cheb := func(dx, dy int) int { return max(dx, -dx, dy, -dy) }
	// Finders (dark unless at distance 2 from the centre) and the light
	// separator around each, clipped to the symbol.
	for _, o := range [][2]int{{0, 0}, {n - 7, 0}, {0, n - 7}} {
		for dy := -1; dy <= 7; dy++ {
			for dx := -1; dx <= 7; dx++ {
				x, y := o[0]+dx, o[1]+dy
				if x < 0 || y < 0 || x >= n || y >= n {
					continue
				}
				d := cheb(dx-3, dy-3)
				if err := want(x, y, d != 2 && d != 4, "finder pattern"); err != nil {
					return err
				}
			}
		}
	}
	for i := 8; i < n-8; i++ {
		if err := want(i, 6, i%2 == 0, "timing pattern"); err != nil {
			return err
		}
		if err := want(6, i, i%2 == 0, "timing pattern"); err != nil {
			return err
		}
	}
	ver, err := decoder.Version_GetVersionForNumber(v)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrReadBack, err)
	}
	c := ver.GetAlignmentPatternCenters()
	for i, cx := range c {
		for j, cy := range c {
			last := len(c) - 1
			if (i == 0 && j == 0) || (i == 0 && j == last) || (i == last && j == 0) {
				continue // under a finder
			}
			for dy := -2; dy <= 2; dy++ {
				for dx := -2; dx <= 2; dx++ {
					if err := want(cx+dx, cy+dy, cheb(dx, dy) != 1, "alignment pattern"); err != nil {
						return err
					}
				}
			}
		}
	}
	return want(8, n-8, true, "dark module")
}

// readExact reads the version and format information and the codewords
// of an n x n module grid, requiring exact codewords (at level l; 0: any
// level), and parses the data.
func readExact(bm *gozxing.BitMatrix, v int, l Level) ([]byte, error) {
	n := bm.GetWidth()
	if v >= 7 {
		code := uint32(decoder.VERSION_DECODE_INFO[v-7])
		for i := range 18 {
			bit := code>>uint(i)&1 == 1
			if bm.Get(i/3, n-11+i%3) != bit || bm.Get(n-11+i%3, i/3) != bit {
				return nil, fmt.Errorf("%w: version information bit %d is not version %d's", ErrReadBack, i, v)
			}
		}
	}
	// The two copies of the format information: around the top-left
	// finder, and split between the top-right and bottom-left ones.
	var near, split uint32
	formatCells(n, func(x, y, bit int) {
		if !bm.Get(x, y) {
			return
		}
		if x <= 8 && y <= 8 {
			near |= 1 << uint(bit)
		} else {
			split |= 1 << uint(bit)
		}
	})
	if near != split || gf2Mod(near^0x5412, 0x537) != 0 {
		return nil, fmt.Errorf("%w: format information %015b / %015b is not one valid codeword", ErrReadBack, near, split)
	}
	parser, err := decoder.NewBitMatrixParser(bm)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrReadBack, err)
	}
	ver, err := parser.ReadVersion()
	if err != nil || ver.GetVersionNumber() != v {
		return nil, fmt.Errorf("%w: version %v, want %d (%v)", ErrReadBack, ver, v, err)
	}
	fi, err := parser.ReadFormatInformation()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrReadBack, err)
	}
	ecl := fi.GetErrorCorrectionLevel()
	if d := (near ^ 0x5412) >> 10; (l != 0 && ecl.String() != l.String()) || uint32(ecl.GetBits()) != d>>3 || uint32(fi.GetDataMask()) != d&7 {
		return nil, fmt.Errorf("%w: format information says level %v mask %d, want level %v", ErrReadBack, ecl, fi.GetDataMask(), l)
	}
	codewords, err := parser.ReadCodewords()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrReadBack, err)
	}
	blocks, err := decoder.DataBlock_GetDataBlocks(codewords, ver, ecl)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrReadBack, err)
	}
	var data []byte
	var rs *rsCheck
	for i, b := range blocks {
		cw, nd := b.GetCodewords(), b.GetNumDataCodewords()
		if rs == nil || rs.ec != len(cw)-nd {
			rs = newRSCheck(len(cw) - nd) // the same for every block of a symbol
		}
		if !rs.clean(cw) {
			return nil, fmt.Errorf("%w: Reed-Solomon block %d has errors", ErrReadBack, i+1)
		}
		data = append(data, cw[:nd]...)
	}
	res, err := decoder.DecodedBitStreamParser_Decode(data, ver, ecl, hints(strategy{}))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrReadBack, err)
	}
	return textBytes(res.GetText())
}

// rsCheck tests Reed-Solomon codewords of one ec length: syndrome i of
// a codeword cw (data then ec check bytes, first byte the highest power)
// is cw(alpha^i) in QR's field (gozxing's), by Horner's rule with a table
// of the products by alpha^i.
type rsCheck struct {
	ec  int
	mul [][256]byte // mul[i][x] = x * alpha^i
}

func newRSCheck(ec int) *rsCheck {
	f := reedsolomon.GenericGF_QR_CODE_FIELD_256
	c := &rsCheck{ec: ec, mul: make([][256]byte, ec)}
	for i := range ec {
		a := f.Exp(i + f.GetGeneratorBase())
		for x := range 256 {
			c.mul[i][x] = byte(f.Multiply(x, a))
		}
	}
	return c
}

// clean reports whether every syndrome of cw is zero.
func (c *rsCheck) clean(cw []byte) bool {
	for i := range c.ec {
		m, s := &c.mul[i], byte(0)
		for _, b := range cw {
			s = m[s] ^ b
		}
		if s != 0 {
			return false
		}
	}
	return true
}

// gf2Mod is the remainder of the polynomial v divided by gen over GF(2)
// (bit i = the coefficient of x^i).
func gf2Mod(v, gen uint32) uint32 {
	deg := 31
	for gen>>uint(deg)&1 == 0 {
		deg--
	}
	for i := 31; i >= deg; i-- {
		if v>>uint(i)&1 == 1 {
			v ^= gen << uint(i-deg)
		}
	}
	return v
}

// DecodeBilevelPNG decodes a PNG file laid out as Symbol.PNG, PNG and
// EncodePNG write black-and-white images (1-bit gray) several times
// faster than image/png, to the pixels image/png gives; it reports false,
// having decoded nothing, for any other file (decode those with
// image/png).
func DecodeBilevelPNG(file []byte) (*image.Gray, bool) { return readBilevel(file) }

// readBilevel decodes file if it is laid out exactly as Symbol.PNG and
// qr.PNG write 1-bit images: the PNG signature, an IHDR chunk (1-bit
// grayscale, no interlace), IDAT chunks, an empty IEND chunk and nothing
// after it, every CRC right, and a zlib stream (checksum verified) of
// exactly the image's rows, each unfiltered or filtered with Up. It
// reports false for anything else, which the caller gives to image/png:
// so it never accepts a file image/png would refuse, and gives the pixels
// image/png gives (0 or 255; FuzzReadBilevel checks both). It is several
// times faster than image/png, which sets 1-bit pixels one at a time.
func readBilevel(file []byte) (*image.Gray, bool) {
	const sig = "\x89PNG\r\n\x1a\n"
	if !bytes.HasPrefix(file, []byte(sig)) {
		return nil, false
	}
	rest := file[len(sig):]
	// chunk returns the next chunk's type and data if its CRC is right.
	chunk := func() (string, []byte, bool) {
		if len(rest) < 12 {
			return "", nil, false
		}
		n := binary.BigEndian.Uint32(rest)
		if n > uint32(len(rest)-12) {
			return "", nil, false
		}
		typ, data := string(rest[4:8]), rest[8:8+n]
		if crc32.ChecksumIEEE(rest[4:8+n]) != binary.BigEndian.Uint32(rest[8+n:]) {
			return "", nil, false
		}
		rest = rest[12+n:]
		return typ, data, true
	}
	typ, ihdr, ok := chunk()
	if !ok || typ != "IHDR" || len(ihdr) != 13 || !bytes.Equal(ihdr[8:], []byte{1, 0, 0, 0, 0}) {
		return nil, false
	}
	w, h := int(binary.BigEndian.Uint32(ihdr)), int(binary.BigEndian.Uint32(ihdr[4:]))
	if w <= 0 || h <= 0 || int64(w)*int64(h) > MaxPixels {
		return nil, false
	}
	var idat [][]byte
	for {
		typ, data, ok := chunk()
		switch {
		case !ok:
			return nil, false
		case typ == "IDAT":
			idat = append(idat, data)
			continue
		case typ != "IEND" || len(data) != 0 || len(rest) != 0 || len(idat) == 0:
			return nil, false
		}
		break
	}
	// A bytes.Reader is an io.ByteReader, so zlib reads no further than
	// its stream's end and any IDAT bytes after it are left in br.
	br := bytes.NewReader(bytes.Join(idat, nil))
	zr, err := zlib.NewReader(br)
	if err != nil {
		return nil, false
	}
	stride := (w + 7) / 8
	raw := make([]byte, h*(1+stride))
	if _, err := io.ReadFull(zr, raw); err != nil {
		return nil, false
	}
	// The stream must end here, its checksum right, and fill the IDAT
	// chunks exactly (image/png refuses more data after it).
	if n, err := zr.Read(make([]byte, 1)); n != 0 || err != io.EOF || br.Len() != 0 {
		return nil, false
	}
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		line := raw[y*(1+stride):][:1+stride]
		row := g.Pix[y*w : (y+1)*w]
		switch {
		case line[0] == 2 && y > 0:
			// Up: each byte plus the one above (unfiltered in place, so
			// the next row adds to these).
			prev := raw[(y-1)*(1+stride)+1:][:stride]
			if allZero(line[1:]) {
				copy(line[1:], prev)
				copy(row, g.Pix[(y-1)*w:y*w]) // the row above
				continue
			}
			for i := range stride {
				line[1+i] += prev[i]
			}
		case line[0] == 2:
			// Up on the first row adds zeros: the bytes as stored.
		case line[0] != 0:
			return nil, false // Sub, Average, Paeth: left to image/png
		}
		for x := range row {
			row[x] = -(line[1+x/8] >> uint(7-x%8) & 1) // 1 -> 255, 0 -> 0
		}
	}
	return g, true
}

func allZero(b []byte) bool {
	for _, v := range b {
		if v != 0 {
			return false
		}
	}
	return true
}
