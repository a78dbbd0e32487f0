package attacks

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"math/rand/v2"
)

// Damage is one deterministic corruption of an 8-bit gray image: the kind
// of harm a channel, a printer, a camera or a careless editor does.
type Damage struct {
	Kind     string  `json:"kind"`               // salt-pepper, gaussian, block, jpeg
	Strength float64 `json:"strength"`           // fraction, sigma, area fraction or quality
	Position string  `json:"position,omitempty"` // block only
}

func (d Damage) String() string {
	switch d.Kind {
	case "salt-pepper":
		return fmt.Sprintf("salt-and-pepper %.4g %%", 100*d.Strength)
	case "gaussian":
		return fmt.Sprintf("gaussian sigma %g", d.Strength)
	case "block":
		return fmt.Sprintf("zeroed block 1/%g at %s", math.Round(1/d.Strength), d.Position)
	case "jpeg":
		return fmt.Sprintf("jpeg quality %g", d.Strength)
	}
	return d.Kind
}

// Apply returns a damaged copy of g; g is not modified. rng decides which
// pixels are hit, so the same seed gives the same damage.
func (d Damage) Apply(g *image.Gray, rng *rand.Rand) (*image.Gray, error) {
	out := cloneGray(g)
	b := out.Bounds()
	w, h := b.Dx(), b.Dy()
	switch d.Kind {
	case "salt-pepper":
		saltPepper(out, d.Strength, rng)
	case "gaussian":
		for y := 0; y < h; y++ {
			row := out.Pix[y*out.Stride : y*out.Stride+w]
			for x := range row {
				row[x] = clamp8(float64(row[x]) + d.Strength*rng.NormFloat64())
			}
		}
	case "block":
		p, err := parsePosition(d.Position)
		if err != nil {
			return nil, err
		}
		r := blockRect(w, h, d.Strength, p)
		for y := r.Min.Y; y < r.Max.Y; y++ {
			clear(out.Pix[y*out.Stride+r.Min.X : y*out.Stride+r.Max.X])
		}
	case "jpeg":
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, out, &jpeg.Options{Quality: int(d.Strength)}); err != nil {
			return nil, fmt.Errorf("attacks: failed to recompress as jpeg: %w", err)
		}
		dec, err := jpeg.Decode(&buf)
		if err != nil {
			return nil, fmt.Errorf("attacks: failed to decode recompressed jpeg: %w", err)
		}
		return toGray(dec), nil
	default:
		return nil, fmt.Errorf("attacks: unknown damage kind %q", d.Kind)
	}
	return out, nil
}

// saltPepper sets exactly round(frac * pixels) distinct pixels to 0 or 255.
func saltPepper(g *image.Gray, frac float64, rng *rand.Rand) {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	n := int(math.Round(frac * float64(w*h)))
	idx := rng.Perm(w * h)[:n]
	for _, i := range idx {
		v := uint8(0)
		if rng.IntN(2) == 1 {
			v = 255
		}
		g.Pix[(i/w)*g.Stride+i%w] = v
	}
}

type position int

const (
	topLeft position = iota
	center
	bottomRight
)

func parsePosition(s string) (position, error) {
	switch s {
	case "top-left":
		return topLeft, nil
	case "center":
		return center, nil
	case "bottom-right":
		return bottomRight, nil
	}
	return 0, fmt.Errorf("attacks: unknown block position %q (use top-left, center or bottom-right)", s)
}

// blockRect is a block covering frac of a w x h image (same aspect as the
// image, so 1/4 is a half-width, half-height block) at p, in local coordinates.
func blockRect(w, h int, frac float64, p position) image.Rectangle {
	s := math.Sqrt(frac)
	bw, bh := int(math.Round(s*float64(w))), int(math.Round(s*float64(h)))
	bw, bh = max(1, min(bw, w)), max(1, min(bh, h))
	var x0, y0 int
	switch p {
	case topLeft:
	case center:
		x0, y0 = (w-bw)/2, (h-bh)/2
	case bottomRight:
		x0, y0 = w-bw, h-bh
	}
	return image.Rect(x0, y0, x0+bw, y0+bh)
}

func clamp8(v float64) uint8 {
	v = math.Round(v)
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// cloneGray copies g into a fresh image with origin (0, 0) and stride = width.
func cloneGray(g *image.Gray) *image.Gray {
	b := g.Bounds()
	out := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		copy(out.Pix[y*out.Stride:y*out.Stride+b.Dx()], g.Pix[g.PixOffset(b.Min.X, b.Min.Y+y):])
	}
	return out
}

// toGray converts any image to 8-bit gray with origin (0, 0).
func toGray(img image.Image) *image.Gray {
	if g, ok := img.(*image.Gray); ok {
		return cloneGray(g)
	}
	b := img.Bounds()
	out := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			r, gg, bb, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			// ITU-R BT.601 luma, as image/color.GrayModel.
			l := (19595*r + 38470*gg + 7471*bb + 1<<15) >> 24
			out.Pix[y*out.Stride+x] = uint8(l)
		}
	}
	return out
}

// damageList expands a noise section into the damage settings it names.
func damageList(sp, gauss, blocks []float64, positions []string, jpegQ []int) []Damage {
	var ds []Damage
	for _, f := range sp {
		ds = append(ds, Damage{Kind: "salt-pepper", Strength: f})
	}
	for _, s := range gauss {
		ds = append(ds, Damage{Kind: "gaussian", Strength: s})
	}
	for _, p := range positions {
		for _, f := range blocks {
			ds = append(ds, Damage{Kind: "block", Strength: f, Position: p})
		}
	}
	for _, q := range jpegQ {
		ds = append(ds, Damage{Kind: "jpeg", Strength: float64(q)})
	}
	return ds
}
