//go:build !cgo

package data

func init() {
	registerFrameCodec(noCgoCodec("JPEG 2000 (OpenJPEG)", "libopenjp2-7-dev"),
		tsJ2KLossless, tsJ2K, tsHTJ2KLossless, tsHTJ2KRPCL, tsHTJ2K)
}
