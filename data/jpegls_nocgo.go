//go:build !cgo

package data

func init() {
	registerFrameCodec(noCgoCodec("JPEG-LS (CharLS)", "libcharls-dev"), tsJPEGLSLossless, tsJPEGLSNear)
}
