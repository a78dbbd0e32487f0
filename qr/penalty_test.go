package qr

import (
	"math/rand/v2"
	"testing"
)

// The module-by-module mask scoring that penalty replaced (go-qrcode's
// rules, kept as the reference penalty is checked against).

// penaltyScalar is go-qrcode's mask score of a symbol of n x n modules: runs
// of six or more in a row or column (4, and 1 per module beyond six), 2x2
// blocks of one colour (3 each), finder-like 1:1:3:1:1 patterns as its
// shift register sees them (40 each), and dark-module imbalance (10 per
// whole 5 %).
func penaltyScalar(d []bool, n int) int {
	t := make([]bool, n*n) // transposed: columns as rows
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			t[x*n+y] = d[y*n+x]
		}
	}
	p, darkCount := 0, 0
	for y := 0; y < n; y++ {
		row := d[y*n : (y+1)*n]
		p += linePenaltyScalar(row) + linePenaltyScalar(t[y*n:(y+1)*n])
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

// linePenaltyScalar scores one row or column: its runs of six or more and the
// finder-like patterns go-qrcode's 11-bit shift register finds in it.
func linePenaltyScalar(line []bool) int {
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

// symbolSizes are the module counts of QR versions 1..40.
func symbolSizes() []int {
	var s []int
	for v := 1; v <= 40; v++ {
		s = append(s, 17+4*v)
	}
	return s
}

// finderPieces are module runs that set off go-qrcode's shift register
// (finder-like patterns, and the 1 0111010000 a reset leaves countable),
// so that random lines built from them meet every reset case.
var finderPieces = [][]bool{
	bitsOf("1011101"), bitsOf("0000"), bitsOf("00001011101"), bitsOf("10111010000"),
	bitsOf("0111010000"), bitsOf("011101"), bitsOf("1"), bitsOf("0"), bitsOf("111111"), bitsOf("0000000"),
}

func bitsOf(s string) []bool {
	b := make([]bool, len(s))
	for i := range s {
		b[i] = s[i] == '1'
	}
	return b
}

// randomGrid fills an n x n grid: independent modules (dark with
// probability p), or, with pieces, each row made of random finderPieces.
func randomGrid(r *rand.Rand, n int, p float64, pieces bool) []bool {
	d := make([]bool, n*n)
	for y := range n {
		row := d[y*n : (y+1)*n]
		if !pieces {
			for x := range row {
				row[x] = r.Float64() < p
			}
			continue
		}
		for x := 0; x < n; {
			x += copy(row[x:], finderPieces[r.IntN(len(finderPieces))])
		}
	}
	return d
}

// rowsOf packs an n x n grid into bit rows.
func rowsOf(d []bool, n int) []bitLine {
	rows := make([]bitLine, n)
	for y := range n {
		for x := range n {
			if d[y*n+x] {
				rows[y] = rows[y].set(x)
			}
		}
	}
	return rows
}

// TestPenaltyMatchesScalar: penalty gives the module-by-module score for
// every symbol size, on random grids of several densities, on grids whose
// rows are strung from finder-like pieces (and their transposes, so that
// columns meet them too), and on uniform grids.
func TestPenaltyMatchesScalar(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 21))
	var s penaltyScratch // reused across sizes, as encodeModules reuses it across masks
	for _, n := range symbolSizes() {
		cases := map[string][]bool{
			"light": make([]bool, n*n),
			"dark":  randomGrid(r, n, 1, false),
		}
		for i, p := range []float64{0.5, 0.5, 0.2, 0.8} {
			cases[string(rune('a'+i))+"-random"] = randomGrid(r, n, p, false)
		}
		for i := range 3 {
			g := randomGrid(r, n, 0, true)
			cases[string(rune('a'+i))+"-pieces"] = g
			tr := make([]bool, n*n)
			for y := range n {
				for x := range n {
					tr[x*n+y] = g[y*n+x]
				}
			}
			cases[string(rune('a'+i))+"-pieces-transposed"] = tr
		}
		for name, d := range cases {
			if got, want := s.penalty(rowsOf(d, n)), penaltyScalar(d, n); got != want {
				t.Fatalf("%dx%d %s: penalty %d, module by module %d", n, n, name, got, want)
			}
		}
	}
}

// TestLineScoresExhaustive: every line of 21 modules (the smallest
// symbol) scores as linePenaltyScalar scores it, as a row (rowScore) and
// as a column (colScores, 64*3 columns at a time; it adds them up, so each
// batch's sum is compared), and random lines of every symbol size built
// from finder-like pieces score the same one by one.
func TestLineScoresExhaustive(t *testing.T) {
	const n = 21
	const batch = 64 * lineWords
	var s penaltyScratch
	cols := make([]bitLine, n)
	all, valid := validLine(batch), validLine(n)
	line := make([]bool, n)
	for base := 0; base < 1<<n; base += batch {
		clear(cols)
		sum := 0
		for j := range batch {
			v := base + j
			for i := range n {
				line[i] = v>>uint(i)&1 == 1
				if line[i] {
					cols[i] = cols[i].set(j)
				}
			}
			want := linePenaltyScalar(line)
			if got := rowScore(bitLine{uint64(v)}, n, valid); got != want {
				t.Fatalf("row %0*b (module 0 last): rowScore %d, module by module %d", n, v, got, want)
			}
			sum += want
		}
		if got := s.colScores(cols, all); got != sum {
			t.Fatalf("columns %#x..%#x: colScores %d, module by module %d", base, base+batch-1, got, sum)
		}
	}
	r := rand.New(rand.NewPCG(7, 22))
	for _, n := range symbolSizes() {
		for range 50 {
			l := randomGrid(r, n, 0, true)[:n]
			want := linePenaltyScalar(l)
			var row bitLine
			col := make([]bitLine, n)
			for i, v := range l {
				if v {
					row = row.set(i)
					col[i] = bitLine{1}
				}
			}
			if got := rowScore(row, n, validLine(n)); got != want {
				t.Fatalf("line %v: rowScore %d, module by module %d", l, got, want)
			}
			if got := s.colScores(col, validLine(1)); got != want {
				t.Fatalf("line %v: colScores %d, module by module %d", l, got, want)
			}
		}
	}
}

// FuzzPenalty: for any grid, penalty and the module-by-module score agree.
func FuzzPenalty(f *testing.F) {
	f.Add([]byte("\x5d\x00\xff\x0b\xa0"), uint8(0))
	f.Add([]byte{0xba, 0x0f, 0x5d, 0x00}, uint8(30))
	f.Fuzz(func(t *testing.T, b []byte, v uint8) {
		n := 17 + 4*(1+int(v)%40)
		d := make([]bool, n*n)
		for i := range d {
			if len(b) > 0 {
				d[i] = b[(i/8)%len(b)]>>uint(i%8)&1 == 1
			}
		}
		var s penaltyScratch
		if got, want := s.penalty(rowsOf(d, n)), penaltyScalar(d, n); got != want {
			t.Fatalf("%dx%d: penalty %d, module by module %d", n, n, got, want)
		}
	})
}

// BenchmarkPenalty scores a random version-40 grid with penalty and with
// the module-by-module reference.
func BenchmarkPenalty(b *testing.B) {
	const n = 177
	d := randomGrid(rand.New(rand.NewPCG(7, 23)), n, 0.5, false)
	rows := rowsOf(d, n)
	var s penaltyScratch
	b.Run("bits", func(b *testing.B) {
		for b.Loop() {
			s.penalty(rows)
		}
	})
	b.Run("scalar", func(b *testing.B) {
		for b.Loop() {
			penaltyScalar(d, n)
		}
	})
}
