package qr

import (
	"errors"
	"fmt"
)

// A QR encoder that gives, module for module, the symbol
// github.com/skip2/go-qrcode gives (its segment optimiser, version choice,
// block layout, mask penalties and tie-breaking), several times faster: it
// computes Reed-Solomon codewords with log tables instead of allocated
// polynomials, lays out the function patterns and the data path once per
// symbol instead of once per mask, and scores the masks on flat arrays.
// TestEncodeMatchesGoQRCode compares the two over every version and level.

// Segment modes, ordered as go-qrcode orders them (a mode may absorb a
// neighbouring segment of a lower or equal mode).
const (
	modeNone = 1 << iota
	modeNumeric
	modeAlnum
	modeByte
)

// segment is a run of payload bytes coded in one mode.
type segment struct {
	mode int
	data []byte
}

// encoderClass is one of the three character-count widths: versions 1-9,
// 10-26 and 27-40.
type encoderClass struct {
	minVersion, maxVersion int
	countBits              map[int]int // per mode
}

var encoderClasses = []encoderClass{
	{1, 9, map[int]int{modeNumeric: 10, modeAlnum: 9, modeByte: 8}},
	{10, 26, map[int]int{modeNumeric: 12, modeAlnum: 11, modeByte: 16}},
	{27, 40, map[int]int{modeNumeric: 14, modeAlnum: 13, modeByte: 16}},
}

var errSegmentTooLong = errors.New("segment too long for its character count")

// segmentBits is the coded length of n characters in mode, header included.
func (c encoderClass) segmentBits(mode, n int) (int, error) {
	cb := c.countBits[mode]
	if n > 1<<cb-1 {
		return 0, errSegmentTooLong
	}
	bits := 4 + cb
	switch mode {
	case modeNumeric:
		bits += 10 * (n / 3)
		if n%3 != 0 {
			bits += 1 + 3*(n%3)
		}
	case modeAlnum:
		bits += 11*(n/2) + 6*(n%2)
	default:
		bits += 8 * n
	}
	return bits, nil
}

func classify(b byte) int {
	switch {
	case b >= '0' && b <= '9':
		return modeNumeric
	case b == ' ' || b == '$' || b == '%' || b == '*' || b == '+' || b == '-' || b == '.' || b == '/' || b == ':' || (b >= 'A' && b <= 'Z'):
		return modeAlnum
	}
	return modeByte
}

// segments splits data into runs of one mode, merges each run with the
// following runs of lower or equal mode while that is shorter, and returns
// those segments or, if no longer, one segment of the highest mode.
func (c encoderClass) segments(data []byte) ([]segment, error) {
	var runs []segment
	highest, start, mode := modeNone, 0, modeNone
	for i, b := range data {
		m := classify(b)
		if m != mode {
			if i > 0 {
				runs = append(runs, segment{mode, data[start:i]})
				start = i
			}
			mode = m
		}
		highest = max(highest, m)
	}
	runs = append(runs, segment{mode, data[start:]})
	var merged []segment
	total, pos := 0, 0
	for i := 0; i < len(runs); {
		mode, n := runs[i].mode, len(runs[i].data)
		j := i + 1
		for ; j < len(runs) && runs[j].mode <= mode; j++ {
			both, err := c.segmentBits(mode, n+len(runs[j].data))
			if err != nil {
				return nil, err
			}
			one, err := c.segmentBits(mode, n)
			if err != nil {
				return nil, err
			}
			two, err := c.segmentBits(runs[j].mode, len(runs[j].data))
			if err != nil {
				return nil, err
			}
			if both >= one+two {
				break
			}
			n += len(runs[j].data)
		}
		merged = append(merged, segment{mode, data[pos : pos+n]}) // runs i..j-1
		pos += n
		bits, err := c.segmentBits(mode, n)
		if err != nil {
			return nil, err
		}
		total += bits
		i = j
	}
	single, err := c.segmentBits(highest, len(data))
	if err != nil {
		return nil, err
	}
	if single <= total {
		return []segment{{highest, data}}, nil
	}
	return merged, nil
}

// bitWriter appends bits, most significant first.
type bitWriter struct {
	b []byte
	n int // bits
}

func (w *bitWriter) put(v uint32, bits int) {
	for i := bits - 1; i >= 0; i-- {
		if w.n%8 == 0 {
			w.b = append(w.b, 0)
		}
		if v>>uint(i)&1 != 0 {
			w.b[w.n/8] |= 0x80 >> uint(w.n%8)
		}
		w.n++
	}
}

func alnumValue(b byte) uint32 {
	switch {
	case b >= '0' && b <= '9':
		return uint32(b - '0')
	case b >= 'A' && b <= 'Z':
		return uint32(b-'A') + 10
	}
	const rest = " $%*+-./:"
	for i := range len(rest) {
		if rest[i] == b {
			return 36 + uint32(i)
		}
	}
	panic("qr: not an alphanumeric character")
}

func (c encoderClass) write(w *bitWriter, s segment) {
	w.put(uint32(s.mode>>1), 4) // numeric 0001, alphanumeric 0010, byte 0100
	w.put(uint32(len(s.data)), c.countBits[s.mode])
	d := s.data
	switch s.mode {
	case modeNumeric:
		for i := 0; i < len(d); i += 3 {
			var v uint32
			n := min(3, len(d)-i)
			for _, b := range d[i : i+n] {
				v = v*10 + uint32(b-'0')
			}
			w.put(v, 1+3*n)
		}
	case modeAlnum:
		for i := 0; i < len(d); i += 2 {
			if i+1 < len(d) {
				w.put(alnumValue(d[i])*45+alnumValue(d[i+1]), 11)
			} else {
				w.put(alnumValue(d[i]), 6)
			}
		}
	default:
		for _, b := range d {
			w.put(uint32(b), 8)
		}
	}
}

// Error-correction blocks per version (index 1..40) and level, and the
// codewords of error correction per block (ISO/IEC 18004:2015 Table 9).
var (
	ecBlocks = map[Level][41]int{
		L: {0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8, 8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25},
		M: {0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49},
		Q: {0, 1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20, 23, 23, 25, 27, 29, 34, 34, 35, 38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68},
		H: {0, 1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25, 25, 34, 30, 32, 35, 37, 40, 42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81},
	}
	ecPerBlock = map[Level][41]int{
		L: {0, 7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28, 28, 28, 30, 30, 26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30},
		M: {0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28},
		Q: {0, 13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30, 28, 30, 30, 30, 30, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30},
		H: {0, 17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28, 30, 24, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30},
	}
)

// alignmentCentres returns the row and column coordinates of the
// alignment pattern centres of version v.
func alignmentCentres(v int) []int {
	if v == 1 {
		return nil
	}
	n := v/7 + 2
	step := (v*8 + n*3 + 5) / (n*4 - 4) * 2
	out := make([]int, n)
	out[0] = 6
	for i, pos := n-1, 17+4*v-7; i >= 1; i, pos = i-1, pos-step {
		out[i] = pos
	}
	return out
}

// rawModules is the number of data and error-correction modules of
// version v, remainder bits included.
func rawModules(v int) int {
	r := (16*v+128)*v + 64
	if v >= 2 {
		n := v/7 + 2
		r -= (25*n-10)*n - 55
		if v >= 7 {
			r -= 36
		}
	}
	return r
}

// layout is the block structure of one version and level.
type layout struct {
	version, blocks, ec  int
	short, shortData     int // blocks with shortData data codewords
	dataCodewords, bits  int // all data codewords; their bits
	totalCodewords, rest int // all codewords; remainder bits
}

func newLayout(v int, l Level) layout {
	t := layout{version: v, blocks: ecBlocks[l][v], ec: ecPerBlock[l][v]}
	raw := rawModules(v)
	t.totalCodewords, t.rest = raw/8, raw%8
	t.short = t.blocks - t.totalCodewords%t.blocks
	t.shortData = t.totalCodewords/t.blocks - t.ec
	t.dataCodewords = t.totalCodewords - t.blocks*t.ec
	t.bits = 8 * t.dataCodewords
	return t
}

// GF(256) with the QR polynomial x^8+x^4+x^3+x^2+1.
var gfExp, gfLog = func() (exp [512]byte, log [256]byte) {
	x := 1
	for i := 0; i < 255; i++ {
		exp[i] = byte(x)
		log[x] = byte(i)
		x <<= 1
		if x&0x100 != 0 {
			x ^= 0x11d
		}
	}
	for i := 255; i < 512; i++ {
		exp[i] = exp[i-255]
	}
	return
}()

// rsGenerator returns the coefficients, highest degree first without the
// leading 1, of prod (x - 2^i) for i < n.
func rsGenerator(n int) []byte {
	g := []byte{1}
	for i := 0; i < n; i++ {
		next := make([]byte, len(g)+1)
		for j, c := range g {
			next[j] ^= c
			if c != 0 {
				next[j+1] ^= gfExp[int(gfLog[c])+i]
			}
		}
		g = next
	}
	return g[1:]
}

// rsRemainder returns the n error-correction codewords of data.
func rsRemainder(data, gen []byte) []byte {
	rem := make([]byte, len(gen))
	for _, d := range data {
		f := d ^ rem[0]
		copy(rem, rem[1:])
		rem[len(rem)-1] = 0
		if f != 0 {
			lf := int(gfLog[f])
			for i, g := range gen {
				if g != 0 {
					rem[i] ^= gfExp[lf+int(gfLog[g])]
				}
			}
		}
	}
	return rem
}

// codewords returns the final bit stream of the symbol: the data
// codewords split into blocks, each block's error correction, the blocks
// interleaved, then the remainder bits (as bytes; the caller reads
// 8*totalCodewords+rest bits).
func (t layout) codewords(data []byte) []byte {
	gen := rsGenerator(t.ec)
	out := make([]byte, 0, t.totalCodewords+1)
	var blocks, ecs [][]byte
	off := 0
	for b := 0; b < t.blocks; b++ {
		n := t.shortData
		if b >= t.short {
			n++
		}
		blocks = append(blocks, data[off:off+n])
		ecs = append(ecs, rsRemainder(data[off:off+n], gen))
		off += n
	}
	for i := 0; i <= t.shortData; i++ {
		for _, blk := range blocks {
			if i < len(blk) {
				out = append(out, blk[i])
			}
		}
	}
	for i := 0; i < t.ec; i++ {
		for _, e := range ecs {
			out = append(out, e[i])
		}
	}
	return append(out, 0) // remainder bits (at most 7) are zero
}

// grid is a square of modules without the quiet zone, row-major.
type grid struct {
	n    int
	dark []bool
	used []bool
}

func (g *grid) set(x, y int, v bool) {
	g.dark[y*g.n+x] = v
	g.used[y*g.n+x] = true
}

func (g *grid) pattern(x, y int, rows ...string) {
	for j, r := range rows {
		for i := range len(r) {
			g.set(x+i, y+j, r[i] == '#')
		}
	}
}

// functionPatterns draws what every mask shares, in go-qrcode's order:
// finders and separators, alignment patterns, timing, the format area
// (marked used; its bits depend on the mask), version information.
func functionPatterns(v int) *grid {
	n := 17 + 4*v
	g := &grid{n: n, dark: make([]bool, n*n), used: make([]bool, n*n)}
	finder := []string{"#######", "#.....#", "#.###.#", "#.###.#", "#.###.#", "#.....#", "#######"}
	col := []string{".", ".", ".", ".", ".", ".", ".", "."}
	g.pattern(0, 0, finder...)
	g.pattern(0, 7, "........")
	g.pattern(7, 0, col...)
	g.pattern(n-7, 0, finder...)
	g.pattern(n-8, 7, "........")
	g.pattern(n-8, 0, col...)
	g.pattern(0, n-7, finder...)
	g.pattern(0, n-8, "........")
	g.pattern(7, n-8, col...)
	c := alignmentCentres(v)
	for _, x := range c {
		for _, y := range c {
			if !g.used[y*n+x] {
				g.pattern(x-2, y-2, "#####", "#...#", "#.#.#", "#...#", "#####")
			}
		}
	}
	dark := true
	for i := 8; i < n-7; i++ {
		g.set(i, 6, dark)
		g.set(6, i, dark)
		dark = !dark
	}
	formatCells(n, func(x, y, bit int) { g.set(x, y, false) })
	g.set(8, n-8, true) // the dark module
	if v >= 7 {
		info := bch(uint32(v), 0x1f25, 12)
		for i := 0; i < 18; i++ {
			bit := info>>uint(i)&1 == 1
			g.set(i/3, n-11+i%3, bit)
			g.set(n-11+i%3, i/3, bit)
		}
	}
	return g
}

// formatCells calls f for each module of the two copies of the format
// information with the index of its bit (0 = least significant), in
// go-qrcode's order.
func formatCells(n int, f func(x, y, bit int)) {
	for i := 0; i <= 7; i++ {
		f(n-i-1, 8, i)
	}
	for i := 0; i <= 5; i++ {
		f(8, i, i)
	}
	f(8, 7, 6)
	f(8, 8, 7)
	f(7, 8, 8)
	for i := 9; i <= 14; i++ {
		f(14-i, 8, i)
	}
	for i := 8; i <= 14; i++ {
		f(8, n-15+i, i)
	}
}

// bch returns v followed by the remainder of v*2^bits modulo gen.
func bch(v, gen uint32, bits int) uint32 {
	r := v << uint(bits)
	for i := 31; i >= bits; i-- {
		if r>>uint(i)&1 == 1 {
			r ^= gen << uint(i-bits)
		}
	}
	return v<<uint(bits) | r
}

// formatBits is the 15-bit format information of level l and mask.
func formatBits(l Level, mask int) uint32 {
	id := map[Level]uint32{L: 1, M: 0, Q: 3, H: 2}[l]
	return bch(id<<3|uint32(mask), 0x537, 10) ^ 0x5412
}

// dataPath returns the module indices, in placement order, that the data
// and remainder bits fill: two columns at a time from the right, zigzag,
// skipping the vertical timing pattern and used modules.
func dataPath(g *grid, bits int) []int {
	path := make([]int, 0, bits)
	x, y, off, up := g.n-2, g.n-1, 1, true
	for len(path) < bits {
		path = append(path, y*g.n+x+off)
		if len(path) == bits {
			break
		}
		for {
			if off == 1 {
				off = 0
			} else {
				off = 1
				switch {
				case up && y > 0:
					y--
				case up:
					up = false
					x -= 2
				case y < g.n-1:
					y++
				default:
					up = true
					x -= 2
				}
			}
			if x == 5 {
				x--
			}
			if !g.used[y*g.n+x+off] {
				break
			}
		}
	}
	return path
}

// maskAt reports whether mask pattern m inverts the module in row y,
// column x.
func maskAt(m, x, y int) bool {
	switch m {
	case 0:
		return (y+x)%2 == 0
	case 1:
		return y%2 == 0
	case 2:
		return x%3 == 0
	case 3:
		return (y+x)%3 == 0
	case 4:
		return (y/2+x/3)%2 == 0
	case 5:
		return (y*x)%2+(y*x)%3 == 0
	case 6:
		return ((y*x)%2+(y*x)%3)%2 == 0
	}
	return ((y+x)%2+(y*x)%3)%2 == 0
}

// penalty is go-qrcode's mask score of a symbol of n x n modules: runs
// of six or more in a row or column (4, and 1 per module beyond six), 2x2
// blocks of one colour (3 each), finder-like 1:1:3:1:1 patterns as its
// shift register sees them (40 each), and dark-module imbalance (10 per
// whole 5 %).
func penalty(d []bool, n int) int {
	t := make([]bool, n*n) // transposed: columns as rows
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			t[x*n+y] = d[y*n+x]
		}
	}
	p, darkCount := 0, 0
	for y := 0; y < n; y++ {
		row := d[y*n : (y+1)*n]
		p += linePenalty(row) + linePenalty(t[y*n:(y+1)*n])
		for _, v := range row {
			if v {
				darkCount++
			}
		}
		if y > 0 {
			above := d[(y-1)*n : y*n]
			for x := 1; x < n; x++ {
				c := row[x]
				if c == row[x-1] && c == above[x] && c == above[x-1] {
					p += 3
				}
			}
		}
	}
	dev := n*n/2 - darkCount
	if dev < 0 {
		dev = -dev
	}
	return p + 10*(dev/(n*n/20))
}

// linePenalty scores one row or column: its runs of six or more and the
// finder-like patterns go-qrcode's 11-bit shift register finds in it.
func linePenalty(line []bool) int {
	p := 0
	last, count := line[0], 1
	var buf int16
	for i, v := range line {
		if i > 0 {
			if v != last {
				last, count = v, 1
			} else if count++; count == 6 {
				p += 4
			} else if count > 6 {
				p++
			}
		}
		buf <<= 1
		if v {
			buf |= 1
		}
		switch buf & 0x7ff {
		case 0x05d, 0x5d0:
			p += 40
			buf = 0xff
		default:
			if i == len(line)-1 && buf&0x7f == 0x5d {
				p += 40
				buf = 0xff
			}
		}
	}
	return p
}

// encodeModules returns the symbol of payload at level l as go-qrcode
// renders it: its version and the module grid with the quiet zone.
func encodeModules(payload []byte, l Level) (int, [][]bool, error) {
	var (
		t    layout
		w    bitWriter
		segs []segment
		err  error
		ok   bool
	)
	for _, c := range encoderClasses {
		if segs, err = c.segments(payload); err != nil {
			continue
		}
		bits := 0
		for _, s := range segs {
			b, _ := c.segmentBits(s.mode, len(s.data))
			bits += b
		}
		for v := c.minVersion; v <= c.maxVersion && !ok; v++ {
			if t = newLayout(v, l); t.bits >= bits {
				ok = true
			}
		}
		if ok {
			for _, s := range segs {
				c.write(&w, s)
			}
			break
		}
	}
	if err != nil {
		return 0, nil, fmt.Errorf("qr: %w", err)
	}
	if !ok {
		return 0, nil, fmt.Errorf("qr: %d bytes do not fit a level-%v symbol", len(payload), l)
	}
	w.put(0, min(4, t.bits-w.n)) // terminator
	if w.n < t.bits {
		w.put(0, (8-w.n%8)%8)
		for i := 0; w.n+8 <= t.bits; i++ {
			w.put([2]uint32{0xec, 0x11}[i%2], 8)
		}
	}
	stream := t.codewords(w.b)
	base := functionPatterns(t.version)
	n := base.n
	path := dataPath(base, 8*t.totalCodewords+t.rest)
	var best []bool
	bestScore := 0
	d := make([]bool, n*n)
	for m := 0; m < 8; m++ {
		copy(d, base.dark)
		f := formatBits(l, m)
		formatCells(n, func(x, y, bit int) { d[y*n+x] = f>>uint(bit)&1 == 1 })
		for i, at := range path {
			d[at] = maskAt(m, at%n, at/n) != (stream[i/8]>>uint(7-i%8)&1 == 1)
		}
		if s := penalty(d, n); best == nil || s < bestScore {
			best, bestScore = append(best[:0], d...), s
		}
	}
	size := n + 2*QuietZone
	rows := make([][]bool, size)
	cells := make([]bool, size*size)
	for y := range rows {
		rows[y] = cells[y*size : (y+1)*size]
		if y >= QuietZone && y < QuietZone+n {
			copy(rows[y][QuietZone:], best[(y-QuietZone)*n:(y-QuietZone+1)*n])
		}
	}
	return t.version, rows, nil
}
