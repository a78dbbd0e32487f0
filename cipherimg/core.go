package cipherimg

import (
	"crypto/cipher"
	"fmt"
	"runtime"
	"sync"
)

// streamFunc returns the keystream for one purpose label. Encrypt and
// Decrypt bind it to (key, nonce, keystream kind); the core below knows
// nothing else about keys, which keeps it testable on any cipher.Stream.
type streamFunc func(label string) (cipher.Stream, error)

// params is the validated shape of one transform: image size, depth and the
// switches from Options.
type params struct {
	w, h   int
	depth  int // 8 or 16
	rounds int
	layers int
	perm   bool
	net    bool
	diff   bool
}

func (p params) mask() uint32 { return uint32(1)<<p.depth - 1 }

// label names one keystream: a versioned purpose plus the round number.
// Changing what a stream is used for must change its label.
func label(purpose string, round int) string {
	return fmt.Sprintf("medqr.org/cipherimg/v1/%s/round-%d", purpose, round)
}

// Keystream purposes. Every round draws fresh streams for each of them.
const (
	purposePerm     = "permutation"
	purposeNet      = "network-weights"
	purposeSBox     = "diffusion-sbox"
	purposeForward  = "diffusion-forward"
	purposeBackward = "diffusion-backward"
)

// ksReader hands out keystream bytes and unbiased bounded integers. It
// buffers so that a Fisher-Yates shuffle over millions of positions does
// not call the stream once per draw.
type ksReader struct {
	s   cipher.Stream
	buf []byte
	pos int
}

// newKSReader buffers about size bytes (rounded up to a multiple of 4, so
// that draws never straddle a refill: the numbers drawn do not depend on
// the buffer size).
func newKSReader(s cipher.Stream, size int) *ksReader {
	size = (max(size, 4) + 3) &^ 3
	return &ksReader{s: s, buf: make([]byte, size), pos: size}
}

func (r *ksReader) refill() {
	clear(r.buf)
	r.s.XORKeyStream(r.buf, r.buf)
	r.pos = 0
}

func (r *ksReader) uint32() uint32 {
	if r.pos+4 > len(r.buf) {
		r.refill()
	}
	b := r.buf[r.pos : r.pos+4]
	r.pos += 4
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// below returns a uniform integer in [0, n) for 0 < n <= 2^32-1 by
// Lemire's multiply-and-reject method (no modulo bias).
func (r *ksReader) below(n uint32) uint32 {
	m := uint64(r.uint32()) * uint64(n)
	if low := uint32(m); low < n {
		t := -n % n
		for low < t {
			m = uint64(r.uint32()) * uint64(n)
			low = uint32(m)
		}
	}
	return uint32(m >> 32)
}

// keystreamInto fills dst with raw keystream bytes.
func keystreamInto(s cipher.Stream, dst []byte) {
	clear(dst)
	s.XORKeyStream(dst, dst)
}

// ---------------------------------------------------------------------
// Step 1: key-driven permutation of pixel positions.

// permutation returns a uniformly random permutation of [0, n) drawn from
// the keystream. Pixel j of the permuted image is pixel perm[j] of the
// input.
//
// Up to rsMinSize positions it is a plain Fisher-Yates shuffle. Above, a
// Fisher-Yates shuffle over millions of positions spends most of its time
// on cache misses, so it is one round of the Rao-Sandelius shuffle
// (Sandelius 1962): every position goes to one of 256 piles chosen by a
// keystream byte, in order, and each pile (about n/256 positions, which
// fit in cache) is Fisher-Yates shuffled; the piles are concatenated. With
// independent uniform pile choices and uniform shuffles within piles the
// result is a uniform permutation, like Fisher-Yates on the whole array.
func permutation(s cipher.Stream, n int) []uint32 {
	return permutationRS(s, n, rsMinSize)
}

// permutationRS is permutation with the Fisher-Yates threshold as a
// parameter, so tests can check the pile path on small sizes.
func permutationRS(s cipher.Stream, n, fyMax int) []uint32 {
	perm := make([]uint32, n)
	if n <= fyMax {
		for i := range perm {
			perm[i] = uint32(i)
		}
		fisherYates(perm, newKSReader(s, min(1<<12, 4*n)))
		return perm
	}
	piles := make([]byte, n)
	keystreamInto(s, piles)
	var start [257]int
	for _, p := range piles {
		start[int(p)+1]++
	}
	for b := 1; b <= 256; b++ {
		start[b] += start[b-1]
	}
	next := start
	for i, p := range piles {
		perm[next[p]] = uint32(i)
		next[p]++
	}
	r := newKSReader(s, min(1<<16, 4*n))
	for b := 0; b < 256; b++ {
		fisherYates(perm[start[b]:start[b+1]], r)
	}
	return perm
}

// rsMinSize is the largest size shuffled by plain Fisher-Yates.
const rsMinSize = 1 << 16

// fisherYates shuffles a in place (Durstenfeld's version).
func fisherYates(a []uint32, r *ksReader) {
	for i := len(a) - 1; i > 0; i-- {
		j := r.below(uint32(i + 1))
		a[i], a[j] = a[j], a[i]
	}
}

func permute(dst, src []uint16, perm []uint32) {
	for j, p := range perm {
		dst[j] = src[p]
	}
}

func unpermute(dst, src []uint16, perm []uint32) {
	for j, p := range perm {
		dst[p] = src[j]
	}
}

// ---------------------------------------------------------------------
// Step 2: reversible network of additive coupling layers.
//
// The image is split like a checkerboard: in layer l the "active" half is
// the set of pixels with (x+y)%2 == l%2, the "passive" half the rest. The
// layer adds f(passive) to the active pixels modulo 2^depth, where f is a
// small convolutional net: 3x3 conv (1 -> hidden channels) -> ReLU ->
// right shift -> 3x3 conv (hidden -> 1) -> right shift. f reads only
// passive pixels, which the layer does not change, so the inverse
// recomputes f and subtracts it: exact in integer arithmetic.

const (
	netHidden = 4 // hidden channels of each coupling function
	weightMax = 7 // weights are uniform integers in [-weightMax, weightMax]
	hidShift  = 3 // hidden = ReLU(conv1) >> hidShift
	outShift  = 4 // output = conv2 >> outShift (arithmetic)
)

// hiddenRow and conv2 are written out for exactly four hidden channels.
var _ [netHidden - 4]struct{}
var _ [4 - netHidden]struct{}

// couplingWeights are the integer weights of one coupling function.
type couplingWeights struct {
	w1 [netHidden][9]int32 // conv1, taps in row-major 3x3 order
	b1 [netHidden]int32
	w2 [netHidden][9]int32 // conv2
	b2 int32
}

// networkWeights draws every layer's weights from the keystream. Biases of
// conv1 are uniform in [-4M, 4M) for M = 2^depth so that the ReLU is active
// on a key-dependent part of the input range; conv2's bias is uniform in
// [0, M).
func networkWeights(s cipher.Stream, layers, depth int) []couplingWeights {
	r := newKSReader(s, 1024)
	m := uint32(1) << depth
	ws := make([]couplingWeights, layers)
	for l := range ws {
		cw := &ws[l]
		for c := 0; c < netHidden; c++ {
			for t := 0; t < 9; t++ {
				cw.w1[c][t] = int32(r.below(2*weightMax+1)) - weightMax
				cw.w2[c][t] = int32(r.below(2*weightMax+1)) - weightMax
			}
			cw.b1[c] = int32(r.below(8*m)) - int32(4*m)
		}
		cw.b2 = int32(r.below(m))
	}
	return ws
}

// network holds the scratch space of the coupling layers for one image.
type network struct {
	w, h  int
	pw    int     // padded width w+2
	plane []int32 // (w+2)x(h+2) zero-bordered copy of the image
	mask  int32
}

func newNetwork(w, h int, depth int) *network {
	return &network{
		w: w, h: h, pw: w + 2,
		plane: make([]int32, (w+2)*(h+2)),
		mask:  int32(uint32(1)<<depth - 1),
	}
}

func (n *network) load(px []uint16) {
	for y := 0; y < n.h; y++ {
		row := n.plane[(y+1)*n.pw+1 : (y+1)*n.pw+1+n.w]
		for x, v := range px[y*n.w : (y+1)*n.w] {
			row[x] = int32(v)
		}
	}
}

func (n *network) store(px []uint16) {
	for y := 0; y < n.h; y++ {
		row := n.plane[(y+1)*n.pw+1 : (y+1)*n.pw+1+n.w]
		for x, v := range row {
			px[y*n.w+x] = uint16(v)
		}
	}
}

// forward applies the layers in order; inverse undoes them in reverse.
func (n *network) forward(ws []couplingWeights) {
	for l := range ws {
		n.couple(&ws[l], l&1, +1)
	}
}

func (n *network) inverse(ws []couplingWeights) {
	for l := len(ws) - 1; l >= 0; l-- {
		n.couple(&ws[l], l&1, -1)
	}
}

// couple runs one coupling layer on the active parity, adding (sign +1) or
// subtracting (sign -1) f(passive). Rows are split between goroutines:
// active pixels depend only on passive ones, which no worker writes.
func (n *network) couple(cw *couplingWeights, parity int, sign int32) {
	workers := runtime.GOMAXPROCS(0)
	if n.w*n.h < 1<<15 || workers < 2 {
		n.coupleRows(cw, parity, sign, 0, n.h)
		return
	}
	if workers > n.h {
		workers = n.h
	}
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		y0, y1 := n.h*i/workers, n.h*(i+1)/workers
		wg.Go(func() { n.coupleRows(cw, parity, sign, y0, y1) })
	}
	wg.Wait()
}

// coupleRows updates the active pixels of image rows [y0, y1). It keeps a
// rolling window of three rows of hidden activations (with a zero column
// on each side), so memory stays O(width).
func (n *network) coupleRows(cw *couplingWeights, parity int, sign int32, y0, y1 int) {
	pw := n.pw
	var hid [3][netHidden][]int32 // hid[slot][c] = hidden row, padded
	for k := range hid {
		for c := range hid[k] {
			hid[k][c] = make([]int32, pw)
		}
	}
	acc := make([]int32, pw)
	// hidden row for image row y (-1 <= y <= h) goes into slot (y+3)%3;
	// rows outside the image are zero padding.
	fill := func(y int) {
		slot := &hid[(y+3)%3]
		if y < 0 || y >= n.h {
			for c := range slot {
				clear(slot[c])
			}
			return
		}
		n.hiddenRow(cw, parity, y, slot)
	}
	fill(y0 - 1)
	fill(y0)
	w := n.w
	for y := y0; y < y1; y++ {
		fill(y + 1)
		up, mid, dn := &hid[(y+2)%3], &hid[(y+3)%3], &hid[(y+4)%3]
		x0 := (parity - y%2 + 2) % 2 // first active x in this row
		conv2(cw, up, mid, dn, acc, x0, pw)
		row := n.plane[(y+1)*pw+1 : (y+1)*pw+1+w]
		mask := n.mask
		for x := x0; x < len(row); x += 2 {
			row[x] = (row[x] + sign*(acc[x]>>outShift)) & mask
		}
	}
}

// conv2 computes the second convolution (4 channels -> 1, plus bias) at
// the active columns x0, x0+2, ... into acc[x], reading padded hidden rows.
func conv2(cw *couplingWeights, up, mid, dn *[netHidden][]int32, acc []int32, x0, pw int) {
	k0, k1, k2, k3 := &cw.w2[0], &cw.w2[1], &cw.w2[2], &cw.w2[3]
	u0, u1, u2, u3 := up[0][:pw], up[1][:pw], up[2][:pw], up[3][:pw]
	m0, m1, m2, m3 := mid[0][:pw], mid[1][:pw], mid[2][:pw], mid[3][:pw]
	d0, d1, d2, d3 := dn[0][:pw], dn[1][:pw], dn[2][:pw], dn[3][:pw]
	b := cw.b2
	for x := x0; x+2 < pw; x += 2 {
		a := b +
			k0[0]*u0[x] + k0[1]*u0[x+1] + k0[2]*u0[x+2] + k0[3]*m0[x] + k0[4]*m0[x+1] + k0[5]*m0[x+2] + k0[6]*d0[x] + k0[7]*d0[x+1] + k0[8]*d0[x+2]
		a += k1[0]*u1[x] + k1[1]*u1[x+1] + k1[2]*u1[x+2] + k1[3]*m1[x] + k1[4]*m1[x+1] + k1[5]*m1[x+2] + k1[6]*d1[x] + k1[7]*d1[x+1] + k1[8]*d1[x+2]
		a += k2[0]*u2[x] + k2[1]*u2[x+1] + k2[2]*u2[x+2] + k2[3]*m2[x] + k2[4]*m2[x+1] + k2[5]*m2[x+2] + k2[6]*d2[x] + k2[7]*d2[x+1] + k2[8]*d2[x+2]
		a += k3[0]*u3[x] + k3[1]*u3[x+1] + k3[2]*u3[x+2] + k3[3]*m3[x] + k3[4]*m3[x+1] + k3[5]*m3[x+2] + k3[6]*d3[x] + k3[7]*d3[x+1] + k3[8]*d3[x+2]
		acc[x] = a
	}
}

// hiddenRow computes conv1 -> ReLU -> shift for image row y into out
// (index x+1 holds column x). conv1 sees the image with the active half
// zeroed: at an active pixel the passive taps are its four edge
// neighbours; at a passive pixel they are itself and its four diagonals.
// The four channels are computed in one pass (netHidden is 4), so each
// tap is loaded once.
func (n *network) hiddenRow(cw *couplingWeights, parity, y int, out *[netHidden][]int32) {
	pw := n.pw
	up := n.plane[y*pw : (y+1)*pw]
	mid := n.plane[(y+1)*pw : (y+2)*pw]
	dn := n.plane[(y+2)*pw : (y+3)*pw]
	xa := (parity - y%2 + 2) % 2 // first active column
	xp := 1 - xa                 // first passive column
	w0, w1, w2, w3 := &cw.w1[0], &cw.w1[1], &cw.w1[2], &cw.w1[3]
	b0, b1, b2, b3 := cw.b1[0], cw.b1[1], cw.b1[2], cw.b1[3]
	o0, o1, o2, o3 := out[0][:pw], out[1][:pw], out[2][:pw], out[3][:pw]
	// padded index i = x+1; taps at i-1, i, i+1
	for i := xa + 1; i+1 < pw; i += 2 {
		u, l, r, d := up[i], mid[i-1], mid[i+1], dn[i]
		o0[i] = max(w0[1]*u+w0[3]*l+w0[5]*r+w0[7]*d+b0, 0) >> hidShift
		o1[i] = max(w1[1]*u+w1[3]*l+w1[5]*r+w1[7]*d+b1, 0) >> hidShift
		o2[i] = max(w2[1]*u+w2[3]*l+w2[5]*r+w2[7]*d+b2, 0) >> hidShift
		o3[i] = max(w3[1]*u+w3[3]*l+w3[5]*r+w3[7]*d+b3, 0) >> hidShift
	}
	for i := xp + 1; i+1 < pw; i += 2 {
		ul, ur, c, dl, dr := up[i-1], up[i+1], mid[i], dn[i-1], dn[i+1]
		o0[i] = max(w0[0]*ul+w0[2]*ur+w0[4]*c+w0[6]*dl+w0[8]*dr+b0, 0) >> hidShift
		o1[i] = max(w1[0]*ul+w1[2]*ur+w1[4]*c+w1[6]*dl+w1[8]*dr+b1, 0) >> hidShift
		o2[i] = max(w2[0]*ul+w2[2]*ur+w2[4]*c+w2[6]*dl+w2[8]*dr+b2, 0) >> hidShift
		o3[i] = max(w3[0]*ul+w3[2]*ur+w3[4]*c+w3[6]*dl+w3[8]*dr+b3, 0) >> hidShift
	}
}

// ---------------------------------------------------------------------
// Step 3: diffusion, two chained passes in opposite directions.
//
//	forward:  c[i] = p[i] + k1[i] + F(c[i-1], c[i-2])   (mod M)
//	backward: d[i] = c[i] + k2[i] + F(d[i+1], d[i+2])   (mod M)
//	F(a, b)   = S[(a + S[b]) mod M]
//
// S is a key-derived bijection of [0, M) (an S-box drawn by Fisher-Yates),
// k1 and k2 are keystream words, and the chains start from key-derived
// values. The pair (c[i-1], c[i-2]) evolves as a bijection, so two chains
// that differ once never merge again; F of two differing pairs is equal
// with probability about 1/M, so the two cipher values then agree as often
// as two independent random ones would (a chain over c[i-1] alone through
// a bijection would never agree again, which pushes NPCR to 100 % and
// UACI above its ideal value). A change anywhere in p therefore changes
// every later c (forward pass) and then every d (backward pass).
// Decryption, in contrast, needs only d[i..i+2] to recover c[i] and
// c[i-2..i] to recover p[i], so a damaged cipher pixel damages only about
// five pixels of the chain (see docs/cipherimg.md, "Damaged cipher images").

type diffusion struct {
	sbox []uint16
	iv   [4]uint16 // forward c[-1], c[-2]; backward d[n], d[n+1]
}

func newDiffusion(s cipher.Stream, depth int) *diffusion {
	r := newKSReader(s, 1<<12)
	m := 1 << depth
	sbox := make([]uint16, m)
	for i := range sbox {
		sbox[i] = uint16(i)
	}
	for i := m - 1; i > 0; i-- {
		j := r.below(uint32(i + 1))
		sbox[i], sbox[j] = sbox[j], sbox[i]
	}
	d := &diffusion{sbox: sbox}
	for i := range d.iv {
		d.iv[i] = uint16(r.uint32() & uint32(m-1))
	}
	return d
}

// diffChunk is the number of pixels per keystream refill in the passes.
const diffChunk = 1 << 14

// ksWords fills k with one keystream word per pixel: one byte for 8-bit
// images, two little-endian bytes for 16-bit.
func ksWords(s cipher.Stream, k []uint16, raw []byte, depth int) {
	if depth == 8 {
		raw = raw[:len(k)]
		keystreamInto(s, raw)
		for i, b := range raw {
			k[i] = uint16(b)
		}
		return
	}
	raw = raw[:2*len(k)]
	keystreamInto(s, raw)
	for i := range k {
		k[i] = uint16(raw[2*i]) | uint16(raw[2*i+1])<<8
	}
}

// forwardPass runs c[i] = p[i] + k[i] + F(c[i-1], c[i-2]) in place over
// px in increasing index order.
func (d *diffusion) forwardPass(s cipher.Stream, px []uint16, depth int) {
	mask := uint16(1<<depth - 1)
	k := make([]uint16, diffChunk)
	raw := make([]byte, 2*diffChunk)
	a, b := d.iv[0], d.iv[1] // c[i-1], c[i-2]
	sb := d.sbox
	for base := 0; base < len(px); base += diffChunk {
		blk := px[base:min(base+diffChunk, len(px))]
		ks := k[:len(blk)]
		ksWords(s, ks, raw, depth)
		for i, p := range blk {
			c := (p + ks[i] + sb[(a+sb[b])&mask]) & mask
			blk[i] = c
			a, b = c, a
		}
	}
}

// forwardInverse undoes forwardPass: p[i] = c[i] - k[i] - F(c[i-1], c[i-2]).
// It mirrors forwardPass line for line rather than sharing a loop with it:
// this is the hot loop of both directions, and side by side each inverse
// step can be checked against its forward step.
func (d *diffusion) forwardInverse(s cipher.Stream, px []uint16, depth int) {
	mask := uint16(1<<depth - 1)
	k := make([]uint16, diffChunk)
	raw := make([]byte, 2*diffChunk)
	a, b := d.iv[0], d.iv[1]
	sb := d.sbox
	for base := 0; base < len(px); base += diffChunk {
		blk := px[base:min(base+diffChunk, len(px))]
		ks := k[:len(blk)]
		ksWords(s, ks, raw, depth)
		for i, c := range blk {
			blk[i] = (c - ks[i] - sb[(a+sb[b])&mask]) & mask
			a, b = c, a
		}
	}
}

// backwardPass runs d[i] = c[i] + k[i] + F(d[i+1], d[i+2]) in decreasing
// index order; the t-th keystream word goes to pixel n-1-t.
func (d *diffusion) backwardPass(s cipher.Stream, px []uint16, depth int) {
	mask := uint16(1<<depth - 1)
	k := make([]uint16, diffChunk)
	raw := make([]byte, 2*diffChunk)
	a, b := d.iv[2], d.iv[3] // d[i+1], d[i+2]
	sb := d.sbox
	for end := len(px); end > 0; end -= diffChunk {
		blk := px[max(end-diffChunk, 0):end]
		ks := k[:len(blk)]
		ksWords(s, ks, raw, depth)
		last := len(blk) - 1
		for t := range blk {
			i := last - t
			v := (blk[i] + ks[t] + sb[(a+sb[b])&mask]) & mask
			blk[i] = v
			a, b = v, a
		}
	}
}

// backwardInverse undoes backwardPass: c[i] = d[i] - k[i] - F(d[i+1], d[i+2]).
// It mirrors backwardPass line for line, as forwardInverse does forwardPass.
func (d *diffusion) backwardInverse(s cipher.Stream, px []uint16, depth int) {
	mask := uint16(1<<depth - 1)
	k := make([]uint16, diffChunk)
	raw := make([]byte, 2*diffChunk)
	a, b := d.iv[2], d.iv[3]
	sb := d.sbox
	for end := len(px); end > 0; end -= diffChunk {
		blk := px[max(end-diffChunk, 0):end]
		ks := k[:len(blk)]
		ksWords(s, ks, raw, depth)
		last := len(blk) - 1
		for t := range blk {
			i := last - t
			v := blk[i]
			blk[i] = (v - ks[t] - sb[(a+sb[b])&mask]) & mask
			a, b = v, a
		}
	}
}

// ---------------------------------------------------------------------
// The whole scheme on a pixel buffer.

// encryptPixels runs the rounds in place on px (row-major, values < 2^depth).
func encryptPixels(px []uint16, p params, stream streamFunc) error {
	n := len(px)
	tmp := make([]uint16, n)
	var nw *network
	if p.net {
		nw = newNetwork(p.w, p.h, p.depth)
	}
	for r := 0; r < p.rounds; r++ {
		if p.perm {
			s, err := stream(label(purposePerm, r))
			if err != nil {
				return err
			}
			perm := permutation(s, n)
			permute(tmp, px, perm)
			copy(px, tmp)
		}
		if p.net {
			s, err := stream(label(purposeNet, r))
			if err != nil {
				return err
			}
			ws := networkWeights(s, p.layers, p.depth)
			nw.load(px)
			nw.forward(ws)
			nw.store(px)
		}
		if p.diff {
			d, sf, sb, err := diffusionStreams(stream, r, p.depth)
			if err != nil {
				return err
			}
			d.forwardPass(sf, px, p.depth)
			d.backwardPass(sb, px, p.depth)
		}
	}
	return nil
}

// decryptPixels is the exact inverse of encryptPixels: its steps mirror
// encryptPixels' in reverse order, kept side by side so that each can be
// checked against the step it undoes.
func decryptPixels(px []uint16, p params, stream streamFunc) error {
	n := len(px)
	tmp := make([]uint16, n)
	var nw *network
	if p.net {
		nw = newNetwork(p.w, p.h, p.depth)
	}
	for r := p.rounds - 1; r >= 0; r-- {
		if p.diff {
			d, sf, sb, err := diffusionStreams(stream, r, p.depth)
			if err != nil {
				return err
			}
			d.backwardInverse(sb, px, p.depth)
			d.forwardInverse(sf, px, p.depth)
		}
		if p.net {
			s, err := stream(label(purposeNet, r))
			if err != nil {
				return err
			}
			ws := networkWeights(s, p.layers, p.depth)
			nw.load(px)
			nw.inverse(ws)
			nw.store(px)
		}
		if p.perm {
			s, err := stream(label(purposePerm, r))
			if err != nil {
				return err
			}
			perm := permutation(s, n)
			unpermute(tmp, px, perm)
			copy(px, tmp)
		}
	}
	return nil
}

func diffusionStreams(stream streamFunc, r, depth int) (*diffusion, cipher.Stream, cipher.Stream, error) {
	s, err := stream(label(purposeSBox, r))
	if err != nil {
		return nil, nil, nil, err
	}
	sf, err := stream(label(purposeForward, r))
	if err != nil {
		return nil, nil, nil, err
	}
	sb, err := stream(label(purposeBackward, r))
	if err != nil {
		return nil, nil, nil, err
	}
	return newDiffusion(s, depth), sf, sb, nil
}
