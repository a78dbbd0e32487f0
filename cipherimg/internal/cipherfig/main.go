// Command cipherfig makes the figures and tables of docs/cipherimg.md from the
// shipped chest X-rays (data/samples): cipher images next to their
// plaintexts with histograms, and PSNR of decrypting damaged cipher images
// (salt-and-pepper noise, cropped blocks). Run by "make cipher-figures".
//
// Keys and nonces are fixed (derived from -seed) so that the outputs are
// reproducible; this is a measurement program, not a way to encrypt.
package main

import (
	"bytes"
	"crypto/sha256"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/medqr/medqr/cipherimg"
	"github.com/medqr/medqr/data"
	"github.com/medqr/medqr/eval"
	"github.com/medqr/medqr/keystream"
	"github.com/medqr/medqr/seal"
)

func main() {
	samples := flag.String("samples", "data/samples/kermany_cxr_224", "folder of shipped X-rays (NORMAL/, PNEUMONIA/)")
	out := flag.String("out", "results/cipher", "output folder")
	n := flag.Int("n", 20, "number of X-rays in the damage table")
	seed := flag.Uint64("seed", 1, "seed for keys, nonces and damage")
	flag.Parse()
	log.SetFlags(0)
	if err := run(*samples, *out, *n, *seed); err != nil {
		log.Fatalf("cipherfig: %v", err)
	}
}

func run(samples, out string, n int, seed uint64) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	paths, err := samplePaths(samples)
	if err != nil {
		return err
	}
	key := seal.Key(sha256.Sum256(fmt.Appendf(nil, "cipherfig key %d", seed)))
	nonce := sha256.Sum256(fmt.Appendf(nil, "cipherfig nonce %d", seed))
	var imgs []*image.Gray
	var names []string
	for _, p := range paths[:min(n, len(paths))] {
		d, err := data.Load(p)
		if err != nil {
			return err
		}
		imgs = append(imgs, data.Preprocess(d.Display(), data.DefaultSize))
		names = append(names, filepath.Join(filepath.Base(filepath.Dir(p)), filepath.Base(p)))
	}
	if err := figure(filepath.Join(out, "cipher_images.png"), imgs[:4], names[:4], key, nonce[:cipherimg.NonceSize]); err != nil {
		return err
	}
	if err := damageFigure(filepath.Join(out, "damage_examples.png"), imgs[0], key, nonce[:cipherimg.NonceSize], seed); err != nil {
		return err
	}
	return damageTables(out, imgs, key, nonce[:cipherimg.NonceSize], seed)
}

// damageFigure shows damaged cipher images (default scheme) above their
// decryptions: 0.1 % and 1 % salt-and-pepper noise, a 32x32 and a 64x64
// block set to zero.
func damageFigure(path string, img *image.Gray, key seal.Key, nonce []byte, seed uint64) error {
	c, err := cipherimg.Encrypt(img, key, cipherimg.Options{Nonce: nonce})
	if err != nil {
		return err
	}
	type dmg struct {
		name string
		f    func(px []uint8, rng *rand.Rand)
	}
	dmgs := []dmg{
		{"s&p 0.1 %", saltPepper(0.001)},
		{"s&p 1 %", saltPepper(0.01)},
		{"crop 32x32", crop(32)},
		{"crop 64x64", crop(64)},
	}
	W := len(dmgs)*(side+pad) + pad
	H := 2*(side+titleH+pad) + pad
	canvas := image.NewGray(image.Rect(0, 0, W, H))
	draw.Draw(canvas, canvas.Bounds(), image.White, image.Point{}, draw.Src)
	for i, d := range dmgs {
		g := c.Image.(*image.Gray)
		dm := image.NewGray(g.Rect)
		copy(dm.Pix, g.Pix)
		d.f(dm.Pix, rand.New(rand.NewPCG(seed, 99)))
		back, err := cipherimg.Decrypt(&cipherimg.Cipher{Image: dm, Header: c.Header}, key)
		if err != nil {
			return err
		}
		x0 := pad + i*(side+pad)
		label(canvas, x0, 14, "cipher, "+d.name)
		draw.Draw(canvas, image.Rect(x0, titleH, x0+side, titleH+side), dm, image.Point{}, draw.Src)
		y1 := titleH + side + pad
		label(canvas, x0, y1+14, fmt.Sprintf("decrypted: %.1f dB", eval.PSNR(img, back)))
		draw.Draw(canvas, image.Rect(x0, y1+titleH, x0+side, y1+titleH+side), back, image.Point{}, draw.Src)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, canvas); err != nil {
		return err
	}
	log.Printf("wrote %s", path)
	return os.WriteFile(path, b.Bytes(), 0o644)
}

func saltPepper(f float64) func(px []uint8, rng *rand.Rand) {
	return func(px []uint8, rng *rand.Rand) {
		for j := range px {
			if rng.Float64() < f {
				px[j] = uint8(255 * rng.IntN(2))
			}
		}
	}
}

// crop sets a centred cs x cs block to zero.
func crop(cs int) func(px []uint8, rng *rand.Rand) {
	return func(px []uint8, _ *rand.Rand) {
		o := (side - cs) / 2
		for y := o; y < o+cs; y++ {
			clear(px[y*side+o : y*side+o+cs])
		}
	}
}

// samplePaths lists the X-rays alternately from NORMAL and PNEUMONIA, in
// name order, so the first four show both classes.
func samplePaths(dir string) ([]string, error) {
	var lists [2][]string
	for i, class := range []string{"NORMAL", "PNEUMONIA"} {
		m, err := filepath.Glob(filepath.Join(dir, class, "*.jpeg"))
		if err != nil || len(m) == 0 {
			return nil, fmt.Errorf("no X-rays under %s", filepath.Join(dir, class))
		}
		sort.Strings(m)
		lists[i] = m
	}
	var out []string
	for i := 0; i < min(len(lists[0]), len(lists[1])); i++ {
		out = append(out, lists[0][i], lists[1][i])
	}
	return out, nil
}

// ---------------------------------------------------------------------
// Figure: plaintext | ChaCha20 cipher | chaos cipher | three histograms.

const (
	side   = data.DefaultSize
	histW  = 256
	histH  = 140
	pad    = 8
	titleH = 18
)

func figure(path string, imgs []*image.Gray, names []string, key seal.Key, nonce []byte) error {
	cols := []string{"X-ray (256x256)", "cipher, ChaCha20", "cipher, chaos"}
	rowH := side + histH + titleH + 3*pad
	W := 3*(side+pad) + pad
	H := len(imgs)*rowH + titleH + pad
	canvas := image.NewGray(image.Rect(0, 0, W, H))
	draw.Draw(canvas, canvas.Bounds(), image.White, image.Point{}, draw.Src)
	for c, t := range cols {
		label(canvas, pad+c*(side+pad), 14, t)
	}
	var stats []string
	for r, img := range imgs {
		y0 := titleH + pad + r*rowH
		panels := []*image.Gray{img}
		for _, k := range []keystream.Kind{keystream.ChaCha20, keystream.Chaos} {
			c, err := cipherimg.Encrypt(img, key, cipherimg.Options{Keystream: k, Nonce: nonce})
			if err != nil {
				return err
			}
			panels = append(panels, c.Image.(*image.Gray))
		}
		for c, p := range panels {
			x0 := pad + c*(side+pad)
			draw.Draw(canvas, image.Rect(x0, y0, x0+side, y0+side), p, image.Point{}, draw.Src)
			h := eval.Histogram256(p.Pix)
			histogram(canvas, x0, y0+side+pad, h)
			chi := eval.ChiSquare(h[:])
			ent := eval.Entropy(h[:])
			label(canvas, x0, y0+side+pad+histH+14, fmt.Sprintf("H=%.4f chi2=%.0f", ent, chi))
			stats = append(stats, fmt.Sprintf("| %s | %s | %.5f | %.1f |", names[r], strings.Split(cols[c], " (")[0], ent, chi))
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, canvas); err != nil {
		return err
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return err
	}
	md := "| image | panel | entropy (bits) | histogram chi-square (255 dof) |\n| --- | --- | --- | --- |\n" + strings.Join(stats, "\n") + "\n"
	log.Printf("wrote %s", path)
	return os.WriteFile(filepath.Join(filepath.Dir(path), "cipher_images_stats.md"), []byte(md), 0o644)
}

// histogram draws h as 256 one-pixel bars scaled to the tallest bar, on a
// light frame.
func histogram(dst *image.Gray, x0, y0 int, h [256]int) {
	frame := image.Rect(x0, y0, x0+histW, y0+histH)
	draw.Draw(dst, frame, &image.Uniform{color.Gray{235}}, image.Point{}, draw.Src)
	top := 1
	for _, v := range h {
		top = max(top, v)
	}
	for i, v := range h {
		bar := int(math.Round(float64(v) / float64(top) * float64(histH-4)))
		for y := 0; y < bar; y++ {
			dst.SetGray(x0+i, y0+histH-1-y, color.Gray{40})
		}
	}
}

func label(dst *image.Gray, x, y int, s string) {
	d := font.Drawer{Dst: dst, Src: image.Black, Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// ---------------------------------------------------------------------
// Damage: PSNR of decrypting a damaged cipher image.

type variant struct {
	name string
	o    cipherimg.Options
}

func damageTables(out string, imgs []*image.Gray, key seal.Key, nonce []byte, seed uint64) error {
	variants := []variant{
		{"default (2 layers)", cipherimg.Options{}},
		{"4 layers", cipherimg.Options{Layers: 4}},
		{"network off", cipherimg.Options{NoNetwork: true}},
		{"diffusion off", cipherimg.Options{NoDiffusion: true}},
		{"2 rounds", cipherimg.Options{Rounds: 2}},
	}
	noise := []float64{0.0001, 0.001, 0.01, 0.05, 0.10}
	crops := []int{16, 32, 64, 128}
	var md, csv strings.Builder
	fmt.Fprintf(&md, "Mean PSNR (dB) of the decryption against the original over %d shipped X-rays (256x256, 8-bit,\nChaCha20 keystream), and in brackets the mean share of pixels decrypted wrongly (for one flipped\ncipher pixel: the mean number of wrong pixels). Damage: one cipher pixel XOR 0x80; salt-and-pepper\nnoise (each pixel set to 0 or 255 with the given probability); a centred block set to 0.\n\n", len(imgs))
	fmt.Fprintf(&csv, "variant,damage,amount,psnr_db,wrong_fraction\n")
	head := "| variant | 1 pixel flipped |"
	sep := "| --- | --- |"
	for _, f := range noise {
		head += fmt.Sprintf(" s&p %g %% |", 100*f)
		sep += " --- |"
	}
	for _, c := range crops {
		head += fmt.Sprintf(" crop %dx%d |", c, c)
		sep += " --- |"
	}
	md.WriteString(head + "\n" + sep + "\n")
	for _, v := range variants {
		row := "| " + v.name + " |"
		v.o.Nonce = nonce
		var ciphers []*cipherimg.Cipher
		for _, img := range imgs {
			c, err := cipherimg.Encrypt(img, key, v.o)
			if err != nil {
				return err
			}
			ciphers = append(ciphers, c)
		}
		measure := func(kind string, amount float64, damage func(px []uint8, rng *rand.Rand)) error {
			var sumP, sumW float64
			inf := 0
			for i, c := range ciphers {
				rng := rand.New(rand.NewPCG(seed, uint64(i)))
				g := c.Image.(*image.Gray)
				d := image.NewGray(g.Rect)
				copy(d.Pix, g.Pix)
				damage(d.Pix, rng)
				back, err := cipherimg.Decrypt(&cipherimg.Cipher{Image: d, Header: c.Header}, key)
				if err != nil {
					return err
				}
				p := eval.PSNR(imgs[i], back)
				if math.IsInf(p, 1) {
					inf++
					p = 99
				}
				sumP += p
				wrong := 0
				for j, v := range back.(*image.Gray).Pix {
					if v != imgs[i].Pix[j] {
						wrong++
					}
				}
				sumW += float64(wrong) / float64(len(imgs[i].Pix))
			}
			mp, mw := sumP/float64(len(ciphers)), sumW/float64(len(ciphers))
			if kind == "flip-one-pixel" {
				// report how many pixels one flipped cipher pixel spoils
				row += fmt.Sprintf(" %.1f (%.1f px) |", mp, mw*float64(side*side))
			} else {
				row += fmt.Sprintf(" %.1f (%.1f %%) |", mp, 100*mw)
			}
			fmt.Fprintf(&csv, "%s,%s,%g,%.3f,%.5f\n", v.name, kind, amount, mp, mw)
			return nil
		}
		flip := func(px []uint8, rng *rand.Rand) { px[rng.IntN(len(px))] ^= 0x80 }
		if err := measure("flip-one-pixel", 1, flip); err != nil {
			return err
		}
		for _, f := range noise {
			if err := measure("salt-and-pepper", f, saltPepper(f)); err != nil {
				return err
			}
		}
		for _, cs := range crops {
			if err := measure("crop", float64(cs), crop(cs)); err != nil {
				return err
			}
		}
		md.WriteString(row + "\n")
		log.Printf("damage: %s done", v.name)
	}
	if err := os.WriteFile(filepath.Join(out, "damage.csv"), []byte(csv.String()), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "damage.md"), []byte(md.String()), 0o644)
}
