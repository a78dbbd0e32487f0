package qr

import (
	"errors"
	"fmt"
	"math/bits"
	"sync"
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

// penalty is go-qrcode's mask score of a symbol of n x n modules given
// as bit rows (n <= 64*lineWords): runs of six or more in a row or column
// (4, and 1 per module beyond six), 2x2 blocks of one colour (3 each),
// finder-like 1:1:3:1:1 patterns as its shift register sees them (40
// each), and dark-module imbalance (10 per whole 5 %). Rows are scored a
// word at a time (rowScore), columns all at once with word operations
// across the rows (colScores); TestPenaltyMatchesScalar checks the total
// against go-qrcode's module-by-module scoring.
func (s *penaltyScratch) penalty(rows []bitLine) int {
	n := len(rows)
	valid := validLine(n)
	p := s.colScores(rows, valid)
	darkCount := 0
	for y, r := range rows {
		p += rowScore(r, n, valid)
		darkCount += r.count()
		if y > 0 {
			// Module x (1 <= x < n) closes a 2x2 block of one colour when
			// it equals its left neighbour, the one above, and the one
			// above equals its own left neighbour.
			a := rows[y-1]
			same := r.eq(a).and(r.eq(r.shl(1))).and(a.eq(a.shl(1)))
			same[0] &^= 1
			p += 3 * same.and(valid).count()
		}
	}
	dev := n*n/2 - darkCount
	if dev < 0 {
		dev = -dev
	}
	return p + 10*(dev/(n*n/20))
}

// lineWords is the number of 64-bit words a bit line of up to 192
// modules (version 40 has 177) takes.
const lineWords = 3

// bitLine is one row of modules (or one bit of each of several lines),
// bit i of word i/64 for module i (1 = dark).
type bitLine [lineWords]uint64

// validLine has the first n bits set.
func validLine(n int) bitLine {
	var v bitLine
	for i := range n {
		v[i>>6] |= 1 << uint(i&63)
	}
	return v
}

func (a bitLine) set(i int) bitLine {
	a[i>>6] |= 1 << uint(i&63)
	return a
}

func (a bitLine) has(i int) bool { return a[i>>6]>>uint(i&63)&1 == 1 }

func (a bitLine) and(b bitLine) bitLine {
	return bitLine{a[0] & b[0], a[1] & b[1], a[2] & b[2]}
}

func (a bitLine) or(b bitLine) bitLine {
	return bitLine{a[0] | b[0], a[1] | b[1], a[2] | b[2]}
}

func (a bitLine) xor(b bitLine) bitLine {
	return bitLine{a[0] ^ b[0], a[1] ^ b[1], a[2] ^ b[2]}
}

func (a bitLine) andNot(b bitLine) bitLine {
	return bitLine{a[0] &^ b[0], a[1] &^ b[1], a[2] &^ b[2]}
}

func (a bitLine) not() bitLine { return bitLine{^a[0], ^a[1], ^a[2]} }

// eq has a bit set where a and b agree.
func (a bitLine) eq(b bitLine) bitLine {
	return bitLine{^(a[0] ^ b[0]), ^(a[1] ^ b[1]), ^(a[2] ^ b[2])}
}

// shl moves every module k places up (module i to i+k, 0 < k < 64),
// shifting in zeros.
func (a bitLine) shl(k uint) bitLine {
	return bitLine{a[0] << k, a[1]<<k | a[0]>>(64-k), a[2]<<k | a[1]>>(64-k)}
}

func (a bitLine) count() int {
	return bits.OnesCount64(a[0]) + bits.OnesCount64(a[1]) + bits.OnesCount64(a[2])
}

func (a bitLine) zero() bool { return a[0]|a[1]|a[2] == 0 }

// penaltyScratch holds colScores' per-row patterns between masks.
type penaltyScratch struct {
	s6, core, z4 []bitLine
}

// go-qrcode's shift register (linePenalty in penalty_test.go) starts at
// zero, takes one module per step (1 = dark) and counts 40 whenever its
// last 11 modules are 0000 1011101 or 1011101 0000, and at the end of a
// line when its last 7 are 1011101; after each count it is set to 0xff.
// Worked through bit by bit, that reset means: the 9 modules after a
// count cannot count, the 10th counts exactly when the 10 modules after
// the count are 0111010000 (the leading 1 a leftover of 0xff), and the
// end-of-line check 6 modules after a count holds exactly when those 6
// are 011101; from the 11th module on (the 7th for the end check) the
// register holds real modules again. The patterns below, for the run of
// modules ending at module i, are built from those parts:
//
//	s6:    modules i-5..i are 011101
//	core:  modules i-6..i are 1011101 (the end-of-line pattern)
//	z4:    modules i-3..i are light (modules before the line count as light)
//	before = core(i) and z4(i-7), after = core(i-4) and z4(i),
//	fake   = s6(i-4) and z4(i) (the 10th module after a count)

// rowScore scores one row of n modules: go-qrcode's run penalties and 40
// per finder-like pattern its register counts.
func rowScore(r bitLine, n int, valid bitLine) int {
	// e: module x equals module x-1 (x >= 1); a run reaches six at x when
	// e holds at x-4..x, and seven or more when also at x-5.
	r1 := r.shl(1)
	e := r.eq(r1).and(valid)
	e[0] &^= 1
	e2 := e.and(e.shl(1))   // e at x-1..x
	e4 := e2.and(e2.shl(2)) // e at x-3..x
	c6 := e4.and(e.shl(4))
	c7 := e4.and(e2.shl(4))
	p := 4*c6.andNot(c7).count() + c7.count()

	// Modules before the line are light: shifting r brings in zeros, so
	// light modules are taken as the complement of a shifted r.
	d3 := r.and(r1).and(r.shl(2)) // dark at x-2..x
	s6 := r.shl(5).or(r1).not().and(d3.shl(2)).and(r)
	core := s6.and(r.shl(6))
	any2 := r.or(r1)
	any4 := any2.or(any2.shl(2)) // a dark module at x-3..x
	z4 := any4.not()
	z4at7 := any4.shl(7).not()
	real := core.and(z4at7).or(core.shl(4).and(z4)).and(valid)
	last := n - 1
	if real.zero() {
		if core.has(last) {
			p += 40
		}
		return p
	}
	fake := s6.shl(4).and(z4)
	reset := -11 // the module of the last count
	for w, word := range real.or(fake).and(valid) {
		for word != 0 {
			x := w*64 + bits.TrailingZeros64(word)
			word &= word - 1
			switch k := x - reset; {
			case k == 10 && fake.has(x), k > 10 && real.has(x):
				p += 40
				reset = x
			}
		}
	}
	switch k := last - reset; {
	case k <= 5:
	case k == 6:
		if s6.has(last) {
			p += 40
		}
	default:
		if core.has(last) {
			p += 40
		}
	}
	return p
}

// colScores scores the n columns of the n rows ls at once (column x is
// bit x of every row), as rowScore scores a row; rows before the first
// are light. The register's resets are tracked per column with masks:
// counted[i%11] holds the columns that counted at row i.
func (s *penaltyScratch) colScores(ls []bitLine, valid bitLine) int {
	n := len(ls)
	if cap(s.s6) < n {
		s.s6, s.core, s.z4 = make([]bitLine, n), make([]bitLine, n), make([]bitLine, n)
	}
	s6s, cores, z4s := s.s6[:n], s.core[:n], s.z4[:n]
	at := func(i int) bitLine {
		if i < 0 {
			return bitLine{}
		}
		return ls[i]
	}
	p := 0
	var counted [11]bitLine
	var e [6]bitLine // e[i%6]: columns where row i equals row i-1
	for i, r := range ls {
		if i > 0 {
			e[i%6] = r.eq(ls[i-1]).and(valid)
		} else {
			e[0] = bitLine{}
		}
		if i >= 5 {
			c6 := e[i%6].and(e[(i+5)%6]).and(e[(i+4)%6]).and(e[(i+3)%6]).and(e[(i+2)%6])
			c7 := c6.and(e[(i+1)%6])
			p += 4*c6.andNot(c7).count() + c7.count()
		}
		s6 := at(i - 5).or(at(i - 1)).not().and(at(i - 4)).and(at(i - 3)).and(at(i - 2)).and(r)
		core := s6.and(at(i - 6))
		z4 := r.or(at(i - 1)).or(at(i - 2)).or(at(i - 3)).not()
		s6s[i], cores[i], z4s[i] = s6, core, z4
		z4at7 := bitLine{^uint64(0), ^uint64(0), ^uint64(0)}
		if i >= 7 {
			z4at7 = z4s[i-7]
		}
		real := core.and(z4at7)
		var fake bitLine
		if i >= 4 {
			real = real.or(cores[i-4].and(z4))
			fake = s6s[i-4].and(z4)
		}
		real = real.and(valid)
		var sup bitLine // counted within the last 9 rows
		for k := 1; k <= 9 && i-k >= 0; k++ {
			sup = sup.or(counted[(i-k)%11])
		}
		var at10 bitLine
		if i >= 10 {
			at10 = counted[(i-10)%11]
		}
		c := real.andNot(sup).andNot(at10).or(at10.and(fake))
		counted[i%11] = c
		p += 40 * c.count()
	}
	last := n - 1
	var sup bitLine
	for k := 1; k <= 5; k++ {
		sup = sup.or(counted[(last-k)%11])
	}
	at6 := counted[(last-6)%11]
	end := cores[last].andNot(sup).andNot(at6).or(at6.and(s6s[last])).and(valid)
	return p + 40*end.andNot(counted[last%11]).count()
}

// maskRows returns, for mask pattern m, the modules it inverts in rows y
// with y%12 = 0..11: every pattern repeats every 12 rows.
var maskRows = sync.OnceValue(func() (t [8][12]bitLine) {
	for m := range 8 {
		for y := range 12 {
			for x := range 64 * lineWords {
				if maskAt(m, x, y) {
					t[m][y] = t[m][y].set(x)
				}
			}
		}
	}
	return t
})

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
	if n > 64*lineWords {
		return 0, nil, fmt.Errorf("qr: %d-module symbol", n)
	}
	// The symbol before masking as bit rows (function patterns, the format
	// area light, data and remainder bits), and the modules masks invert:
	// those on the data path.
	unmasked, data := make([]bitLine, n), make([]bitLine, n)
	for y := range n {
		for x, dark := range base.dark[y*n : (y+1)*n] {
			if dark {
				unmasked[y] = unmasked[y].set(x)
			}
		}
	}
	for i, at := range dataPath(base, 8*t.totalCodewords+t.rest) {
		y := int(uint32(at) / uint32(n)) // 32-bit division: a third of the 64-bit one's cycles
		x := at - y*n
		data[y] = data[y].set(x)
		if stream[i/8]>>uint(7-i%8)&1 == 1 {
			unmasked[y] = unmasked[y].set(x)
		}
	}
	masks := maskRows()
	var ps penaltyScratch
	g, best := make([]bitLine, n), make([]bitLine, n)
	bestScore := -1
	for m := range 8 {
		for y := range n {
			g[y] = unmasked[y].xor(masks[m][y%12].and(data[y]))
		}
		f := formatBits(l, m)
		formatCells(n, func(x, y, bit int) {
			if f>>uint(bit)&1 == 1 {
				g[y] = g[y].set(x)
			}
		})
		if s := ps.penalty(g); bestScore < 0 || s < bestScore {
			copy(best, g)
			bestScore = s
		}
	}
	size := n + 2*QuietZone
	rows := make([][]bool, size)
	cells := make([]bool, size*size)
	for y := range rows {
		rows[y] = cells[y*size : (y+1)*size]
		if y >= QuietZone && y < QuietZone+n {
			for x := range n {
				rows[y][QuietZone+x] = best[y-QuietZone].has(x)
			}
		}
	}
	return t.version, rows, nil
}
