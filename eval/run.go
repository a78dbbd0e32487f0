package eval

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/stat/distuv"
)

// Image is one evaluation image.
type Image struct {
	Name string
	Gray *image.Gray
}

// Units returns the number of progress units Run reports for a config with
// n images and s subjects.
func Units(cfg Config, n, s int) int {
	return n + s*(n+cfg.PlaintextTrials+cfg.KeyTrials)
}

// Run evaluates every subject on the images and returns the numbers. It is
// deterministic: keys, nonces, changed pixels, flipped key bits, block
// choices and simulations all derive from cfg.Seed, and work done in
// parallel is stored by index. progress (may be nil) is called with the
// number of units finished since the last call.
func Run(ctx context.Context, cfg Config, images []Image, subs []Subject, progress func(int)) (*Results, error) {
	return run(ctx, cfg, images, subs, progress, nil, nil)
}

// run is Run restricted to the images i with owned(i) (nil: all), for
// sharded and streamed runs (shard.go): the other images need only their
// names (Gray may be nil). Per-image rows and trials of images not owned
// stay zero; every owned row and trial is the one Run computes, because
// keys, nonces and draws depend on the image's index in images, never on
// what else runs. nulls (may be nil) carries the simulated and exact null
// distributions from one call to the next, so that a run in chunks
// computes them once.
func run(ctx context.Context, cfg Config, images []Image, subs []Subject, progress func(int), owned func(i int) bool, nulls *Nulls) (*Results, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(images) == 0 {
		return nil, fmt.Errorf("eval: no images")
	}
	if owned == nil {
		owned = func(int) bool { return true }
	}
	var idx []int // the owned images
	for i := range images {
		if owned(i) {
			idx = append(idx, i)
		}
	}
	w, h := cfg.Data.Size, cfg.Data.Size
	if len(idx) > 0 {
		w, h = images[idx[0]].Gray.Bounds().Dx(), images[idx[0]].Gray.Bounds().Dy()
	}
	for _, i := range idx {
		im := images[i]
		if b := im.Gray.Bounds(); b.Dx() != w || b.Dy() != h {
			return nil, fmt.Errorf("eval: image %s is %dx%d, the first is %dx%d: preprocess them to one size", im.Name, b.Dx(), b.Dy(), w, h)
		}
	}
	if progress == nil {
		progress = func(int) {}
	}
	if nulls == nil {
		nulls = NewNulls()
	}
	r := &runner{cfg: cfg, images: images, w: w, h: h, progress: progress,
		entropyNull: nulls.entropy, localNull: nulls.local}
	res := &Results{Schema: ResultsSchema, Config: cfg}
	for _, im := range images {
		res.Images = append(res.Images, im.Name)
	}
	res.Reference = r.reference()

	// the plaintext images themselves, as the reference row
	plain := SubjectResult{SubjectInfo: plaintextInfo}
	plain.PerImage = make([]ImageStats, len(images))
	err := r.parallel(ctx, len(idx), func(j int) error {
		i := idx[j]
		pix, _, _ := gray8(images[i].Gray)
		plain.PerImage[i] = r.stats(images[i].Name, "plaintext", i, Output{Samples: pix, W: w, H: h}, true)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(idx) == len(images) { // a partial run's summaries would cover zero rows
		plain.Summary = summarize(plain)
	}
	res.Plaintext = plain

	// the one-pixel changes and key bits, shared by all subjects
	pr := newRand(cfg.Seed, "plaintext-trials")
	type change struct{ img, pos, val int }
	changes := make([]change, cfg.PlaintextTrials)
	for t := range changes {
		i := t % len(images)
		pos := pr.IntN(w * h)
		d := pr.IntN(255)
		if owned(i) {
			old := int(images[i].Gray.Pix[(pos/w)*images[i].Gray.Stride+pos%w])
			changes[t] = change{i, pos, (old + 1 + d) % 256}
		}
	}
	var ownedChanges, ownedBits []int // the trials on owned images
	for t := range changes {
		if owned(t % len(images)) {
			ownedChanges = append(ownedChanges, t)
		}
	}
	kr := newRand(cfg.Seed, "key-trials")
	bits := make([]int, cfg.KeyTrials)
	for t := range bits {
		bits[t] = kr.IntN(256)
		if owned(t % len(images)) {
			ownedBits = append(ownedBits, t)
		}
	}

	for _, s := range subs {
		sr := SubjectResult{SubjectInfo: s.Info()}
		key := deriveKey(cfg.Seed, s.Name, 0)
		outs := make([]Output, len(images))
		sr.PerImage = make([]ImageStats, len(images))
		err := r.parallel(ctx, len(idx), func(j int) error {
			i := idx[j]
			out, err := s.Encrypt(images[i].Gray, key, r.nonce(s.Name, i), randReader{newChaCha(cfg.Seed, "fresh", s.Name, "image", fmt.Sprint(i))})
			if err != nil {
				return fmt.Errorf("%s: failed to encrypt %s: %w", s.Name, images[i].Name, err)
			}
			outs[i] = out
			st := r.stats(images[i].Name, s.Name, i, out, s.ImageShaped)
			if s.Decrypt != nil {
				rec, err := s.Decrypt(out, key)
				if err != nil {
					return fmt.Errorf("%s: failed to decrypt %s: %w", s.Name, images[i].Name, err)
				}
				st.Fidelity = fidelity(images[i].Gray, rec)
			}
			sr.PerImage[i] = st
			return nil
		})
		if err != nil {
			return nil, err
		}
		if owned(0) {
			sr.firstPlain, _, _ = gray8(images[0].Gray)
			sr.firstCipher, sr.firstW, sr.firstH = outs[0].Samples, outs[0].W, outs[0].H
		}

		sr.PlainSens = make([]Trial, len(changes))
		err = r.parallel(ctx, len(ownedChanges), func(j int) error {
			t := ownedChanges[j]
			c := changes[t]
			img := cloneGray(images[c.img].Gray)
			img.Pix[(c.pos/w)*img.Stride+c.pos%w] = uint8(c.val)
			out, err := s.Encrypt(img, key, r.nonce(s.Name, c.img), randReader{newChaCha(cfg.Seed, "fresh", s.Name, "plaintext", fmt.Sprint(t))})
			if err != nil {
				return fmt.Errorf("%s: plaintext trial %d: %w", s.Name, t, err)
			}
			sr.PlainSens[t] = r.trial(images[c.img].Name, c.pos, outs[c.img].Samples, out.Samples)
			return nil
		})
		if err != nil {
			return nil, err
		}
		sr.KeySens = make([]Trial, len(bits))
		err = r.parallel(ctx, len(ownedBits), func(j int) error {
			t := ownedBits[j]
			i := t % len(images)
			k2 := key
			k2[bits[t]/8] ^= 1 << (bits[t] % 8)
			out, err := s.Encrypt(images[i].Gray, k2, r.nonce(s.Name, i), randReader{newChaCha(cfg.Seed, "fresh", s.Name, "key", fmt.Sprint(t))})
			if err != nil {
				return fmt.Errorf("%s: key trial %d: %w", s.Name, t, err)
			}
			sr.KeySens[t] = r.trial(images[i].Name, bits[t], outs[i].Samples, out.Samples)
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(idx) == len(images) {
			sr.Summary = summarize(sr)
		}
		res.Subjects = append(res.Subjects, sr)
	}
	res.localNulls = r.localNull
	return res, nil
}

type runner struct {
	cfg      Config
	images   []Image
	w, h     int
	progress func(int)

	mu          sync.Mutex
	entropyNull map[int][2]float64
	localNull   map[int]*LocalNull
}

// nonce is the fixed nonce of (subject, image): the same for both
// encryptions of a sensitivity trial.
func (r *runner) nonce(subject string, i int) []byte {
	n := make([]byte, 24)
	_, _ = newChaCha(r.cfg.Seed, "nonce", subject, fmt.Sprint(i)).Read(n)
	return n
}

// parallel runs fn(0..n-1) on GOMAXPROCS workers, reporting one progress
// unit per call, and returns the error of the lowest failing index.
func (r *runner) parallel(ctx context.Context, n int, fn func(i int) error) error {
	workers := min(runtime.GOMAXPROCS(0), n)
	errs := make([]error, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := ctx.Err(); err != nil {
					errs[i] = err
					return
				}
				errs[i] = fn(i)
				r.mu.Lock()
				r.progress(1)
				r.mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (r *runner) entropyMoments(n int) (float64, float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if v, ok := r.entropyNull[n]; ok {
		return v[0], v[1]
	}
	m, s := EntropyNull(n, 256)
	r.entropyNull[n] = [2]float64{m, s}
	return m, s
}

// local returns the simulated null for k blocks (cached; seeded by k only).
func (r *runner) local(k int) *LocalNull {
	r.mu.Lock()
	defer r.mu.Unlock()
	if v, ok := r.localNull[k]; ok {
		return v
	}
	seed := newRand(r.cfg.Seed, "local-null", fmt.Sprint(k)).Uint64()
	v := SimulateLocalNull(k, LocalBlockSide*LocalBlockSide, r.cfg.LocalNullTrials, seed)
	r.localNull[k] = v
	return v
}

func (r *runner) reference() Reference {
	a := r.cfg.Alpha
	n := r.w * r.h
	ref := Reference{Width: r.w, Height: r.h, Pixels: n, Alpha: Num(a)}
	m, s := r.entropyMoments(n)
	ref.EntropyMean, ref.EntropySD = Num(m), Num(s)
	for _, al := range []float64{0.05, 0.01, 0.001} {
		ref.NPCR = append(ref.NPCR, Crit{Num(al), Num(NPCRCritical(n, 255, al))})
		lo, hi := UACIInterval(n, 255, al)
		ref.UACI = append(ref.UACI, Range{Num(al), Num(lo), Num(hi)})
	}
	for _, d := range []Direction{Horizontal, Vertical, Diagonal} {
		_, pairs := Correlation(make([]byte, n), r.w, r.h, d)
		ref.CorrBand = append(ref.CorrBand, Band{d.String(), pairs, Num(CorrelationBand(pairs, a))})
	}
	for _, al := range []float64{0.05, 0.01} {
		ref.ChiSquare = append(ref.ChiSquare, Crit{Num(al), Num(ChiSquareCritical(255, al))})
	}
	if k := LocalBlocks(r.w, r.h); k > 0 {
		ref.Local = r.localRef(k)
	}
	ref.LocalWu = r.localRef(LocalBlocksK)
	pub := WuLocalEntropyPublished
	ref.LocalWu.PublishedLo, ref.LocalWu.PublishedHi = Num(pub[0]), Num(pub[1])
	ref.LocalWu.PublishedCoverage = Num(r.local(LocalBlocksK).Coverage(pub[0], pub[1]))
	return ref
}

func (r *runner) localRef(k int) LocalRef {
	null := r.local(k)
	bm, bs := r.entropyMoments(LocalBlockSide * LocalBlockSide)
	lo, hi := null.Interval(r.cfg.Alpha)
	z := distuv.UnitNormal.Quantile(1 - r.cfg.Alpha/2)
	half := z * bs / math.Sqrt(float64(k))
	return LocalRef{K: k, BlockPixels: LocalBlockSide * LocalBlockSide, Trials: null.Trials,
		BlockMean: Num(bm), BlockSD: Num(bs), Lo: Num(lo), Hi: Num(hi),
		NormalLo: Num(bm - half), NormalHi: Num(bm + half)}
}

// stats computes the single-output statistics.
func (r *runner) stats(name, subject string, i int, out Output, imageShaped bool) ImageStats {
	a := r.cfg.Alpha
	pix := out.Samples
	n := len(pix)
	st := ImageStats{Image: name, Samples: n}
	hist := Histogram256(pix)
	H := Entropy(hist[:])
	m, s := r.entropyMoments(n)
	st.Entropy, st.EntropyMean, st.EntropySD = Num(H), Num(m), Num(s)
	p := 2 * distuv.UnitNormal.Survival(math.Abs(H-m)/s)
	st.EntropyP, st.EntropyPass = Num(p), p >= a

	rng := newRand(r.cfg.Seed, "local-blocks", subject, fmt.Sprint(i))
	var k int
	var le float64
	var err error
	if imageShaped && out.H > 1 {
		k = LocalBlocks(out.W, out.H)
		if k > 0 {
			le, err = LocalEntropy(pix, out.W, out.H, LocalBlockSide, k, rng)
		}
	} else {
		k = min(LocalBlocksK, n/(LocalBlockSide*LocalBlockSide))
		if k > 0 {
			le, err = LocalEntropyBytes(pix, LocalBlockSide*LocalBlockSide, k, rng)
		}
	}
	st.LocalK, st.Local, st.LocalP = k, Num(math.NaN()), Num(math.NaN())
	if k > 0 && err == nil {
		null := r.local(k)
		lp := null.PValue(le)
		st.Local, st.LocalP, st.LocalPass = Num(le), Num(lp), lp >= a
	}

	dirs := []Direction{Horizontal}
	w, h := n, 1
	if imageShaped && out.H > 1 {
		dirs = []Direction{Horizontal, Vertical, Diagonal}
		w, h = out.W, out.H
	}
	for _, d := range dirs {
		cr, pairs := Correlation(pix, w, h, d)
		c := Corr{Direction: d.String(), R: Num(cr), Pairs: pairs, Band: Num(math.NaN()), P: Num(math.NaN())}
		if pairs > 0 {
			c.Band = Num(CorrelationBand(pairs, a))
		}
		if !math.IsNaN(cr) {
			c.P = Num(CorrelationPValue(cr, pairs))
			c.Pass = math.Abs(cr) <= float64(c.Band)
		}
		st.Corr = append(st.Corr, c)
	}
	chi := ChiSquare(hist[:])
	cp := ChiSquarePValue(chi, 255)
	st.ChiSquare, st.ChiP, st.ChiPass = Num(chi), Num(cp), cp >= a
	return st
}

// trial compares two outputs of a sensitivity trial.
func (r *runner) trial(name string, change int, c1, c2 []byte) Trial {
	n := min(len(c1), len(c2))
	t := Trial{Image: name, Change: change, Samples: n, LengthsDiffer: len(c1) != len(c2)}
	t.NPCR, t.UACI = Num(math.NaN()), Num(math.NaN())
	if n == 0 {
		return t
	}
	np, ua := NPCRBytes(c1[:n], c2[:n]), UACIBytes(c1[:n], c2[:n])
	crit := NPCRCritical(n, 255, r.cfg.Alpha)
	lo, hi := UACIInterval(n, 255, r.cfg.Alpha)
	t.NPCR, t.UACI, t.NPCRCrit, t.UACILo, t.UACIHi = Num(np), Num(ua), Num(crit), Num(lo), Num(hi)
	t.NPCRPass = np >= crit
	t.UACIPass = ua >= lo && ua <= hi
	return t
}

// fidelity compares rec with the original; identical images are exact and
// have SSIM and MS-SSIM 1 by definition.
func fidelity(orig *image.Gray, rec image.Image) *Fidelity {
	a, _, _ := gray8(orig)
	b, bw, bh := gray8(rec)
	ob := orig.Bounds()
	if bw == ob.Dx() && bh == ob.Dy() && bytes.Equal(a, b) {
		if _, is16 := rec.(*image.Gray16); !is16 {
			return &Fidelity{Exact: true, PSNR: Num(math.Inf(1)), SSIM: 1, MSSSIM: 1}
		}
	}
	return &Fidelity{PSNR: Num(PSNR(orig, rec)), SSIM: Num(SSIM(orig, rec)), MSSSIM: Num(MSSSIM(orig, rec))}
}

func cloneGray(g *image.Gray) *image.Gray {
	b := g.Bounds()
	c := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		copy(c.Pix[y*c.Stride:y*c.Stride+b.Dx()], g.Pix[y*g.Stride:y*g.Stride+b.Dx()])
	}
	return c
}

func summarize(sr SubjectResult) Summary {
	var s Summary
	col := func(f func(ImageStats) (float64, bool)) ([]float64, []bool) {
		var v []float64
		var p []bool
		for _, st := range sr.PerImage {
			x, ok := f(st)
			v = append(v, x)
			p = append(p, ok)
		}
		return v, p
	}
	s.Entropy = dist(col(func(st ImageStats) (float64, bool) { return float64(st.Entropy), st.EntropyPass }))
	s.Local = dist(col(func(st ImageStats) (float64, bool) { return float64(st.Local), st.LocalPass }))
	if len(sr.PerImage) > 0 {
		s.LocalK = sr.PerImage[0].LocalK
		if s.LocalK == 0 {
			s.Local.Pass = Num(math.NaN())
		}
		for d := range sr.PerImage[0].Corr {
			s.Corr = append(s.Corr, dist(col(func(st ImageStats) (float64, bool) { return float64(st.Corr[d].R), st.Corr[d].Pass })))
		}
	}
	s.ChiSquare = dist(col(func(st ImageStats) (float64, bool) { return float64(st.ChiSquare), st.ChiPass }))
	tr := func(ts []Trial, npcr bool) Dist {
		var v []float64
		var p []bool
		for _, t := range ts {
			if npcr {
				v, p = append(v, float64(t.NPCR)), append(p, t.NPCRPass)
			} else {
				v, p = append(v, float64(t.UACI)), append(p, t.UACIPass)
			}
		}
		return dist(v, p)
	}
	s.PlainNPCR, s.PlainUACI = tr(sr.PlainSens, true), tr(sr.PlainSens, false)
	s.KeyNPCR, s.KeyUACI = tr(sr.KeySens, true), tr(sr.KeySens, false)
	var ps, ss, ms []float64
	for _, st := range sr.PerImage {
		if st.Fidelity == nil {
			continue
		}
		if st.Fidelity.Exact {
			s.Exact++
		}
		ps = append(ps, float64(st.Fidelity.PSNR))
		ss = append(ss, float64(st.Fidelity.SSIM))
		ms = append(ms, float64(st.Fidelity.MSSSIM))
	}
	s.PSNR, s.SSIM, s.MSSSIM = dist(ps, nil), dist(ss, nil), dist(ms, nil)
	return s
}
