package iwave

import (
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

// stripes returns a w x h image of long vertical structures: each column
// a level of its own plus a slow vertical ramp, the content whose HL
// bands a vertical split compacts (a leg radiograph's bone cortex and
// soft-tissue edges).
func stripes(w, h int, seed uint64) *image.Gray {
	r := rand.New(rand.NewPCG(seed, 1))
	g := image.NewGray(image.Rect(0, 0, w, h))
	level := 128.0
	for x := range w {
		if r.IntN(6) == 0 {
			level = 40 + 160*r.Float64()
		}
		for y := range h {
			g.Pix[y*g.Stride+x] = uint8(level + 20*float64(y)/float64(h))
		}
	}
	return g
}

// TestPackMask: the stream's split bits give back every mask of HL and LH
// bands, and bits of other bands are not carried; the deep bits (one per
// split band) give back its deep bits.
func TestPackMask(t *testing.T) {
	for levels := 1; levels <= MaxLevels; levels++ {
		all := candMask(levels)
		if n := maskBits(levels); countBits(all) != n || all>>(3*levels) != 0 {
			t.Fatalf("levels %d: candidates %b, want %d bits of the first %d", levels, all, n, 3*levels)
		}
		for v := uint32(0); v < 1<<maskBits(levels); v++ {
			m := unpackMask(v, levels)
			if m&^all != 0 {
				t.Fatalf("levels %d: bits %b unpack to %b, outside the candidates %b", levels, v, m, all)
			}
			if got := packMask(m, levels); got != v {
				t.Fatalf("levels %d: bits %b -> mask %b -> bits %b", levels, v, m, got)
			}
			for _, d := range []uint32{0, all, 0x5555 & all, 0x2aaa & all} {
				full := m | (d&m)<<deepShift
				bits, n := deepBits(full|(d&^m)<<deepShift, levels)
				if n != countBits(m) {
					t.Fatalf("levels %d mask %b: %d deep bits, want one per split band", levels, full, n)
				}
				k := n
				if got := readDeep(m, levels, func() uint32 { k--; return bits >> k & 1 }); got != full || k != 0 {
					t.Fatalf("levels %d: mask %b -> deep bits %b -> mask %b (%d bits left)", levels, full, bits, got, k)
				}
			}
		}
		if got := packMask(^uint32(0), levels); got != 1<<maskBits(levels)-1 {
			t.Errorf("levels %d: every band's bit packs to %b", levels, got)
		}
	}
}

func countBits(v uint32) int {
	n := 0
	for ; v != 0; v &= v - 1 {
		n++
	}
	return n
}

// packetSizes are plane sizes with odd sides, bands of one line and the
// product's sizes.
var packetSizes = [][2]int{{256, 256}, {37, 23}, {9, 64}, {100, 8}, {512, 96}}

// packetMasks are the masks the packet tests try on a levels-deep plane:
// none, every band split once, some split once, every band split twice,
// some split twice and every bit.
func packetMasks(levels int) []uint32 {
	all := candMask(levels)
	return []uint32{0, all, 0x5555 & all, all | all<<deepShift, 0x5555&all | 0x3333<<deepShift, ^uint32(0)}
}

// TestPacketBandsTile: the coded bands of every mask cover each
// coefficient exactly once, and the parts of a split band keep its level
// and orientation, each right after the part below it.
func TestPacketBandsTile(t *testing.T) {
	for _, sz := range packetSizes {
		w, h := sz[0], sz[1]
		levels := Levels(w, h)
		for _, mask := range packetMasks(levels) {
			cover := make([]int, w*h)
			pbs := packetBands(w, h, levels, mask)
			for i, b := range pbs {
				for y := b.Y0; y < b.Y0+b.H; y++ {
					for x := b.X0; x < b.X0+b.W; x++ {
						cover[y*w+x]++
					}
				}
				lo, _ := partRange(b.part)
				if lo == 0 {
					continue
				}
				if i == 0 {
					t.Fatalf("%dx%d mask %b: part %d first", w, h, mask, b.part)
				}
				_, below := partRange(pbs[i-1].part)
				if pbs[i-1].part == partWhole || below != lo || pbs[i-1].src != b.src || pbs[i-1].Level != b.Level || pbs[i-1].Orient != b.Orient {
					t.Fatalf("%dx%d mask %b: part %d (band %d) not after the part below it", w, h, mask, b.part, i)
				}
			}
			for i, n := range cover {
				if n != 1 {
					t.Fatalf("%dx%d mask %b: coefficient %d covered %d times", w, h, mask, i, n)
				}
			}
		}
	}
}

// TestSplitPlaneInverse: undoing the splits gives back the plane.
func TestSplitPlaneInverse(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	for _, sz := range packetSizes {
		w, h := sz[0], sz[1]
		levels := Levels(w, h)
		x := make([]float64, w*h)
		for i := range x {
			x[i] = 200 * (r.Float64() - 0.5)
		}
		once := candMask(levels)
		var split1 []float64
		for _, mask := range []uint32{once, once | once<<deepShift} {
			y := append([]float64(nil), x...)
			splitPlane(y, w, h, levels, mask, false)
			changed := false
			for i := range x {
				changed = changed || y[i] != x[i] && (split1 == nil || y[i] != split1[i])
			}
			if !changed && levels > 0 {
				t.Fatalf("%dx%d mask %b: splitting changed nothing", w, h, mask)
			}
			split1 = append([]float64(nil), y...)
			splitPlane(y, w, h, levels, mask, true)
			for i := range x {
				if math.Abs(y[i]-x[i]) > 1e-9 {
					t.Fatalf("%dx%d mask %b: coefficient %d %v -> %v", w, h, mask, i, x[i], y[i])
				}
			}
		}
	}
}

// TestPacketGains: each coded band's gain is the L2 norm of its synthesis
// basis function, an impulse at the band's centre sent back through the
// splits and the plain inverse transform (as bandGains measures the
// unsplit bands, whose gains it keeps), for bands split once and twice.
func TestPacketGains(t *testing.T) {
	for _, sz := range packetSizes[:3] {
		w, h := sz[0], sz[1]
		levels := Levels(w, h)
		once := candMask(levels)
		for _, mask := range []uint32{once, once | 0x3333<<deepShift} {
			testPacketGains(t, w, h, levels, mask)
		}
	}
}

func testPacketGains(t *testing.T, w, h, levels int, mask uint32) {
	t.Helper()
	{
		gains := packetGains(w, h, levels, mask)
		base := bandGains(w, h, levels)
		x := make([]float64, w*h)
		for i, b := range packetBands(w, h, levels, mask) {
			if b.W == 0 || b.H == 0 {
				continue
			}
			if b.part == 0 {
				if gains[i] != base[b.src] {
					t.Errorf("%dx%d band %d: unsplit gain %v, bandGains %v", w, h, i, gains[i], base[b.src])
				}
				continue
			}
			clear(x)
			x[(b.Y0+b.H/2)*w+b.X0+b.W/2] = 1
			splitPlane(x, w, h, levels, mask, true)
			Inverse(x, w, h, levels)
			var s float64
			for _, v := range x {
				s += v * v
			}
			if want := math.Sqrt(s); math.Abs(gains[i]-want) > 1e-9*want {
				t.Errorf("%dx%d mask %b band %d (level %d orient %d part %d): gain %v, synthesis norm %v", w, h, mask, i, b.Level, b.Orient, b.part, gains[i], want)
			}
		}
	}
}

// TestPacketSplitsVerticalStructure: on long vertical structures the
// encoder splits HL bands, the version-5 payload is smaller than version
// 4's at the same step and decodes to the same pixels its decoded
// coefficients imply (no worse than version 4 at that step by more than
// rounding); on a chest X-ray at a QR budget the payload still fits and
// decodes.
func TestPacketSplitsVerticalStructure(t *testing.T) {
	c, g, a := stripesAnalysis(t)
	const s = 1700
	mask := a.chooseMask(s, false)
	var hl int
	for i, b := range Bands(128, 128, a.levels) {
		if i > 0 && mask>>(i-1)&1 != 0 && b.Orient == 1 {
			hl++
		}
	}
	if hl < 2 {
		t.Fatalf("mask %b splits %d HL bands of vertical stripes, want at least 2", mask, hl)
	}
	p4 := c.encodeStep(a, s, 4, priorsOf(4), true)
	p5 := c.encodeStep(a, s, 5, priorsOf(5), true)
	q4, q5 := checkSmaller(t, c, g, s, p4, p5, "version 4", "version 5")
	t.Logf("stripes at step %d: v4 %d B %.2f dB, v5 %d B %.2f dB, mask %b", s, len(p4), q4, len(p5), q5, mask)

	// A mask naming every band decodes (the decoder undoes every split).
	if q := psnr(g, packetRoundTrip(a, s, candMask(a.levels))); q < 35 {
		t.Errorf("every band split, dequantised at step %d: %.2f dB", s, q)
	}
}

// stripesAnalysis returns the plain CDF 9/7 codec, a 128x128 image of
// long vertical structures and its analysis, the split tests' subject.
func stripesAnalysis(t *testing.T) (*Codec, *image.Gray, *Analysis) {
	t.Helper()
	c := New(nil)
	g := stripes(128, 128, 3)
	a, err := c.Analyze(g)
	if err != nil {
		t.Fatal(err)
	}
	return c, g, a
}

// packetRoundTrip quantises a's coefficients split by mask at step index
// s, dequantises them through the split bands and inverts the transform,
// as the decoder does without entropy coding.
func packetRoundTrip(a *Analysis, s int, mask uint32) *image.Gray {
	wc := a.compose(mask)
	pl := newPacketPlane(a.w, a.h, a.levels, mask)
	pl.quantise(wc, StepSize(s))
	x := pl.dequantise(StepSize(s))
	scalePacket(x, a.w, a.h, a.levels, mask)
	splitPlane(x, a.w, a.h, a.levels, mask, true)
	Inverse(x, a.w, a.h, a.levels)
	for i := range x {
		x[i] += 128
	}
	return ToGray(x, a.w, a.h)
}

// checkSmaller checks that payload alt, coded at step index s, is smaller
// than payload base at the same step and decodes no more than 0.3 dB
// below it against g; it returns both PSNRs.
func checkSmaller(t *testing.T, c *Codec, g *image.Gray, s int, base, alt []byte, baseName, altName string) (qBase, qAlt float64) {
	t.Helper()
	if len(alt) >= len(base) {
		t.Errorf("at step %d: %s %d bytes, %s %d", s, altName, len(alt), baseName, len(base))
	}
	d := decodeAll(t, c, base, alt)
	qBase, qAlt = psnr(g, d[0]), psnr(g, d[1])
	if qAlt < qBase-0.3 {
		t.Errorf("at step %d: %s %.2f dB, %s %.2f dB", s, altName, qAlt, baseName, qBase)
	}
	return qBase, qAlt
}

// decodeAll decodes each payload with c, failing the test on an error.
func decodeAll(t *testing.T, c *Codec, payloads ...[]byte) []*image.Gray {
	t.Helper()
	out := make([]*image.Gray, len(payloads))
	for i, p := range payloads {
		d, err := c.Decode(p)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = d
	}
	return out
}

// TestPacketDeepSplits: on long vertical structures the version-6
// encoder splits the low half of some HL bands again, and its payload is
// smaller than version 6's with no band split twice at the same step, at
// about the same PSNR; a plane with every band split twice quantises and
// dequantises through its bands.
func TestPacketDeepSplits(t *testing.T) {
	c, g, a := stripesAnalysis(t)
	const s = 1700
	mask := a.chooseMask(s, true)
	var deep int
	for i, b := range Bands(128, 128, a.levels) {
		if i > 0 && isDeep(mask, i) && b.Orient == 1 {
			deep++
		}
	}
	if deep < 1 {
		t.Fatalf("mask %b splits no HL band of vertical stripes twice", mask)
	}
	if once := a.chooseMask(s, false); once != mask&(1<<deepShift-1) {
		t.Fatalf("split bits %b without deep splits, %b with them", once, mask&(1<<deepShift-1))
	}
	// The same analysis without wd: version 6 with no band split twice.
	flat := *a
	flat.wd, flat.comp = nil, nil
	p1 := c.encodeStep(&flat, s, 6, priorsOf(6), true)
	p2 := c.encodeStep(a, s, 6, priorsOf(6), true)
	q1, q2 := checkSmaller(t, c, g, s, p1, p2, "split once", "split twice")
	t.Logf("stripes at step %d: split once %d B %.2f dB, twice %d B %.2f dB, mask %b", s, len(p1), q1, len(p2), q2, mask)

	all := candMask(a.levels)
	all |= all << deepShift
	if q := psnr(g, packetRoundTrip(a, s, all)); q < 35 {
		t.Errorf("every band split twice, dequantised at step %d: %.2f dB", s, q)
	}
}

// TestWithVersion: the encoder writes versions 4 to 6 as asked and
// refuses (panics on) versions it cannot write.
func TestWithVersion(t *testing.T) {
	g := stripes(64, 64, 9)
	for _, tc := range []struct {
		version int
		panics  bool
	}{{3, true}, {4, false}, {5, false}, {6, false}, {Version + 1, true}} {
		func() {
			defer func() {
				if r := recover(); (r != nil) != tc.panics {
					t.Errorf("WithVersion(%d): panic %v, want panic %v", tc.version, r, tc.panics)
				}
			}()
			p, err := New(nil).WithVersion(tc.version).Encode(g, 400)
			if err != nil {
				t.Fatal(err)
			}
			if int(p[0]) != tc.version {
				t.Errorf("WithVersion(%d) wrote version %d", tc.version, p[0])
			}
		}()
	}
}
