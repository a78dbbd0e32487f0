package qr

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"

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
//   - the file is decoded by image/png, the reader medqr's decrypt uses, and
//     every pixel is checked: each module's pxPerModule x pxPerModule
//     pixels all 0 (dark) or all 255 (light), the quiet zone light, the
//     image exactly a symbol's size;
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
	img, err := png.Decode(bytes.NewReader(file))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrReadBack, err)
	}
	g, ok := img.(*image.Gray)
	if !ok || g.Rect.Min != (image.Point{}) {
		if g, err = toGray(img); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrReadBack, err)
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
			quiet := mx < QuietZone || my < QuietZone || mx >= QuietZone+n || my >= QuietZone+n
			if (v != 0 && v != 0xff) || (quiet && v != 0xff) || bytes.Count(cell, cell[:1]) != px {
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
// of an n x n module grid, requiring exact codewords, and parses the data.
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
	if d := (near ^ 0x5412) >> 10; ecl.String() != l.String() || uint32(ecl.GetBits()) != d>>3 || uint32(fi.GetDataMask()) != d&7 {
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
