package data

import (
	"image"
	"testing"
)

func benchImage(w, h int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = uint8(i * 7 % 251)
	}
	return g
}

func BenchmarkPreprocess224to256(b *testing.B) {
	g := benchImage(224, 224)
	for b.Loop() {
		Preprocess(g, 256)
	}
}

func BenchmarkPreprocess1024to256(b *testing.B) {
	g := benchImage(1024, 1024)
	for b.Loop() {
		Preprocess(g, 256)
	}
}

func BenchmarkLoadJPEG224(b *testing.B) {
	for b.Loop() {
		if _, err := Load("samples/kermany_cxr_224/NORMAL/IM-0115-0001.jpeg"); err != nil {
			b.Fatal(err)
		}
	}
}
