//go:build cgo

package data

/*
#cgo LDFLAGS: -lcharls
#include <stdlib.h>
#include <charls/charls.h>

typedef struct {
	uint32_t width, height;
	int32_t bits, comps, interleave;
	size_t size;
} medqr_jls_info;

// medqr_jls_decode reads the JPEG-LS header of src and, when dst is not
// NULL and dst_len equals the destination size, decodes the frame into it.
// It returns 0 or a CharLS error code.
static int medqr_jls_decode(const void *src, size_t src_len, void *dst, size_t dst_len, medqr_jls_info *info) {
	charls_jpegls_decoder *d = charls_jpegls_decoder_create();
	if (!d) return -1;
	charls_frame_info fi;
	charls_interleave_mode im;
	int rc = charls_jpegls_decoder_set_source_buffer(d, src, src_len);
	if (!rc) rc = charls_jpegls_decoder_read_header(d);
	if (!rc) rc = charls_jpegls_decoder_get_frame_info(d, &fi);
	if (!rc) rc = charls_jpegls_decoder_get_interleave_mode(d, &im);
	if (!rc) rc = charls_jpegls_decoder_get_destination_size(d, 0, &info->size);
	if (!rc) {
		info->width = fi.width;
		info->height = fi.height;
		info->bits = fi.bits_per_sample;
		info->comps = fi.component_count;
		info->interleave = im;
		if (dst != NULL) {
			rc = dst_len == info->size ? charls_jpegls_decoder_decode_to_buffer(d, dst, dst_len, 0) : -2;
		}
	}
	charls_jpegls_decoder_destroy(d);
	return rc;
}
*/
import "C"

import "unsafe"

func init() {
	v := C.charls_get_version_string()
	registerFrameCodec(frameCodec{library: "CharLS " + C.GoString(v), decode: decodeJPEGLS}, tsJPEGLSLossless, tsJPEGLSNear)
}

func jlsErr(rc C.int) string {
	switch rc {
	case -1:
		return "cannot create decoder"
	case -2:
		return "destination size mismatch"
	}
	return C.GoString(C.charls_get_error_message(C.charls_jpegls_errc(rc)))
}

// decodeJPEGLS decodes a JPEG-LS frame with CharLS. CharLS writes samples
// of up to 8 bits as bytes and deeper ones as 16-bit words; components
// come out in the frame's interleave mode (planar for mode "none").
func decodeJPEGLS(data []byte, f frameSpec) ([]byte, error) {
	if len(data) < 2 {
		return nil, formatErr("dicom", nil, "JPEG-LS frame of %d bytes", len(data))
	}
	var info C.medqr_jls_info
	src := unsafe.Pointer(&data[0])
	if rc := C.medqr_jls_decode(src, C.size_t(len(data)), nil, 0, &info); rc != 0 {
		return nil, formatErr("dicom", nil, "CharLS cannot read the JPEG-LS header: %s", jlsErr(rc))
	}
	if err := f.check("JPEG-LS", int(info.width), int(info.height), int(info.comps), int(info.bits)); err != nil {
		return nil, err
	}
	n := f.rows * f.cols
	bps := 1
	if info.bits > 8 {
		bps = 2
	}
	if int(info.size) != n*f.spp*bps {
		return nil, formatErr("dicom", nil, "CharLS wants %d bytes for a %dx%dx%d frame", info.size, f.cols, f.rows, f.spp)
	}
	buf := make([]byte, int(info.size))
	if rc := C.medqr_jls_decode(src, C.size_t(len(data)), unsafe.Pointer(&buf[0]), C.size_t(len(buf)), &info); rc != 0 {
		return nil, formatErr("dicom", nil, "CharLS cannot decode the JPEG-LS frame: %s", jlsErr(rc))
	}
	planar := info.interleave == C.CHARLS_INTERLEAVE_MODE_NONE && f.spp > 1
	if bps*8 == f.bitsAlloc && !planar {
		return buf, nil
	}
	out := make([]byte, n*f.spp*f.bitsAlloc/8)
	for i := 0; i < n; i++ {
		for c := 0; c < f.spp; c++ {
			src := i*f.spp + c
			if planar {
				src = c*n + i
			}
			var v int32
			if bps == 1 {
				v = int32(buf[src])
			} else {
				v = int32(buf[2*src]) | int32(buf[2*src+1])<<8
			}
			putWords(out, i*f.spp+c, v, f.bitsAlloc)
		}
	}
	return out, nil
}
