// Package jpegx is a JPEG decoder whose output is bit-identical to libjpeg
// (IJG 6b and later, libjpeg-turbo, DCMTK, GDCM) with the default "islow"
// inverse DCT.
//
// It is Go's image/jpeg decoder (Go 1.26, BSD licence, see LICENSE-GO) with
// two changes: the inverse DCT is a port of libjpeg's jidctint.c (the
// Loeffler-Ligtenberg-Moschytz integer IDCT with 13-bit constants and
// libjpeg's range-limit table), and the decoder does not register itself
// with image.RegisterFormat. JPEG allows decoders some IDCT freedom
// (ISO/IEC 10918-2), so image/jpeg differs from libjpeg by one grey level on
// a few percent of pixels; medical images decoded here match the reference
// toolkits exactly, which lets tests compare pixel for pixel. Apart from
// those changes, reader.go, scan.go and huffman.go stay line for line as in
// image/jpeg, repeated blocks included, so upstream fixes apply by diff.
//
// Like image/jpeg, Decode reads baseline and progressive 8-bit JPEG; 12-bit
// and lossless JPEG give it an UnsupportedError. DecodeSamples reads those:
// lossless JPEG (ITU-T T.81 Annex H, process 14, selection values 1-7, any
// point transform, 2-16 bits; DICOM transfer syntaxes 1.2.840.10008.1.2.4.57
// and .70) and one-component 12-bit sequential Huffman JPEG (processes 2
// and 4, DICOM .51), bit-identical to IJG libjpeg 6b with the lossless patch
// and 12-bit build that GDCM embeds; Probe reads the frame header only.
package jpegx
