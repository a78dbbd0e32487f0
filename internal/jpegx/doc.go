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
// toolkits exactly, which lets tests compare pixel for pixel.
//
// Like image/jpeg it decodes baseline and progressive 8-bit JPEG; 12-bit and
// lossless JPEG give an UnsupportedError.
package jpegx
