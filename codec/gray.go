package codec

import (
	"image"
	"image/draw"
	"math"

	xdraw "golang.org/x/image/draw"
)

// toGray returns img as an 8-bit *image.Gray with origin (0,0). 16-bit gray
// keeps its high byte; colour images go through color.GrayModel.
func toGray(img image.Image) *image.Gray {
	b := img.Bounds()
	switch m := img.(type) {
	case *image.Gray:
		if b.Min == (image.Point{}) {
			return m
		}
	case *image.Gray16:
		g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
		for y := 0; y < b.Dy(); y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < b.Dx(); x++ {
				g.Pix[y*g.Stride+x] = row[2*x]
			}
		}
		return g
	}
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(g, g.Rect, img, b.Min, draw.Src)
	return g
}

// resizeGray scales g to w x h with a Catmull-Rom filter.
func resizeGray(g *image.Gray, w, h int) *image.Gray {
	out := image.NewGray(image.Rect(0, 0, w, h))
	xdraw.CatmullRom.Scale(out, out.Rect, g, g.Rect, draw.Src, nil)
	return out
}

// PSNRGray is the PSNR in dB between two 8-bit images of the same size
// (+Inf when identical): what the codecs use to choose between their own
// candidates, and the pipeline to report a lossy set's fidelity (package
// eval holds the research metrics, and imports the pipeline).
func PSNRGray(a, b *image.Gray) float64 {
	w, h := a.Rect.Dx(), a.Rect.Dy()
	var se float64
	for y := 0; y < h; y++ {
		ra := a.Pix[y*a.Stride : y*a.Stride+w]
		rb := b.Pix[y*b.Stride : y*b.Stride+w]
		for x := range ra {
			d := float64(ra[x]) - float64(rb[x])
			se += d * d
		}
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255*float64(w*h)/se)
}
