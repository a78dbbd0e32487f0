package data

import (
	"github.com/medqr/medqr/internal/cputime"
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
	defer cputime.Start(0).Report(b)
	for b.Loop() {
		Preprocess(g, 256)
	}
}

func BenchmarkPreprocess1024to256(b *testing.B) {
	g := benchImage(1024, 1024)
	defer cputime.Start(0).Report(b)
	for b.Loop() {
		Preprocess(g, 256)
	}
}

// BenchmarkLoad times Load of shipped samples, one per decoder family.
func BenchmarkLoad(b *testing.B) {
	for _, c := range []struct{ name, path string }{
		{"JPEG224", "samples/kermany_cxr_224/NORMAL/IM-0115-0001.jpeg"},
		{"DICOMImplicit440", "samples/dicom/nema_CR-MONO1-10-chest_nometa.dcm"},
		{"DICOMJPEG1024", "samples/dicom/siim_acr_cxr_mono2_8bit_jpegbaseline.dcm"},
		{"DICOMRLE512", "samples/dicom/fodicom_D_CLUNIE_CT1_RLE_FRAGS.dcm"},
	} {
		b.Run(c.name, func(b *testing.B) {
			defer cputime.Start(0).Report(b)
			for b.Loop() {
				if _, err := Load(c.path); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDisplay16bit512(b *testing.B) {
	d, err := Load("samples/dicom/fodicom_D_CLUNIE_CT1_RLE_FRAGS.dcm")
	if err != nil {
		b.Fatal(err)
	}
	defer cputime.Start(0).Report(b)
	for b.Loop() {
		d.Display()
	}
}
