//go:build cgo

package data

/*
#cgo pkg-config: libopenjp2
#include <stdlib.h>
#include <string.h>
#include <openjpeg.h>

typedef struct {
	const unsigned char *data;
	OPJ_SIZE_T len, pos;
} medqr_buf;

static OPJ_SIZE_T medqr_read(void *dst, OPJ_SIZE_T n, void *user) {
	medqr_buf *b = (medqr_buf *)user;
	if (b->pos >= b->len) return (OPJ_SIZE_T)-1;
	if (n > b->len - b->pos) n = b->len - b->pos;
	memcpy(dst, b->data + b->pos, n);
	b->pos += n;
	return n;
}

static OPJ_OFF_T medqr_skip(OPJ_OFF_T n, void *user) {
	medqr_buf *b = (medqr_buf *)user;
	if (n < 0) {
		if ((OPJ_SIZE_T)(-n) > b->pos) n = -(OPJ_OFF_T)b->pos;
	} else if ((OPJ_SIZE_T)n > b->len - b->pos) {
		n = (OPJ_OFF_T)(b->len - b->pos);
	}
	b->pos += n;
	return n;
}

static OPJ_BOOL medqr_seek(OPJ_OFF_T n, void *user) {
	medqr_buf *b = (medqr_buf *)user;
	if (n < 0 || (OPJ_SIZE_T)n > b->len) return OPJ_FALSE;
	b->pos = (OPJ_SIZE_T)n;
	return OPJ_TRUE;
}

static void medqr_msg(const char *msg, void *user) {
	char *dst = (char *)user;
	size_t have = strlen(dst);
	if (have == 0) strncat(dst, msg, 255);
}

static void medqr_quiet(const char *msg, void *user) { (void)msg; (void)user; }

// medqr_j2k_decode decodes a JPEG 2000 codestream (or JP2 file) held in
// data. It reads the header first and refuses, before any pixel buffer is
// allocated, an image whose size is not want_w x want_h with want_c
// components. It returns the image (free with opj_image_destroy) or NULL
// with a message in err (256 bytes).
static opj_image_t *medqr_j2k_decode(const unsigned char *data, size_t len, int threads,
		unsigned want_w, unsigned want_h, unsigned want_c, char *err) {
	medqr_buf b = { data, len, 0 };
	OPJ_CODEC_FORMAT fmt = OPJ_CODEC_J2K;
	if (len >= 12 && memcmp(data, "\x00\x00\x00\x0cjP  \r\n\x87\n", 12) == 0) fmt = OPJ_CODEC_JP2;
	opj_codec_t *codec = opj_create_decompress(fmt);
	if (!codec) { strcpy(err, "cannot create decoder"); return NULL; }
	opj_set_error_handler(codec, medqr_msg, err);
	opj_set_warning_handler(codec, medqr_quiet, NULL);
	opj_set_info_handler(codec, medqr_quiet, NULL);
	opj_dparameters_t p;
	opj_set_default_decoder_parameters(&p);
	opj_image_t *img = NULL;
	opj_stream_t *s = NULL;
	if (!opj_setup_decoder(codec, &p)) { if (!err[0]) strcpy(err, "cannot set up decoder"); goto fail; }
	if (threads > 1) opj_codec_set_threads(codec, threads);
	s = opj_stream_create(1 << 16, OPJ_TRUE);
	if (!s) { strcpy(err, "cannot create stream"); goto fail; }
	opj_stream_set_user_data(s, &b, NULL);
	opj_stream_set_user_data_length(s, len);
	opj_stream_set_read_function(s, medqr_read);
	opj_stream_set_skip_function(s, medqr_skip);
	opj_stream_set_seek_function(s, medqr_seek);
	if (!opj_read_header(s, codec, &img)) { if (!err[0]) strcpy(err, "cannot read the codestream header"); goto fail; }
	if (img->x1 - img->x0 != want_w || img->y1 - img->y0 != want_h || img->numcomps != want_c) {
		snprintf(err, 256, "size:%u %u %u", img->x1 - img->x0, img->y1 - img->y0, img->numcomps);
		goto fail;
	}
	if (!opj_decode(codec, s, img) || !opj_end_decompress(codec, s)) {
		if (!err[0]) strcpy(err, "cannot decode the codestream");
		goto fail;
	}
	opj_stream_destroy(s);
	opj_destroy_codec(codec);
	return img;
fail:
	if (img) opj_image_destroy(img);
	if (s) opj_stream_destroy(s);
	opj_destroy_codec(codec);
	return NULL;
}

static opj_image_comp_t *medqr_comp(opj_image_t *img, int i) { return &img->comps[i]; }
*/
import "C"

import (
	"fmt"
	"strings"
	"unsafe"
)

// j2kThreads is the number of OpenJPEG threads per frame (1: decoding is
// deterministic either way, and medqr decodes files in parallel itself).
var j2kThreads = 1

func init() {
	lib := "OpenJPEG " + C.GoString(C.opj_version())
	registerFrameCodec(frameCodec{library: lib, decode: decodeJ2K},
		tsJ2KLossless, tsJ2K, tsHTJ2KLossless, tsHTJ2KRPCL, tsHTJ2K)
}

// decodeJ2K decodes a JPEG 2000 (or HTJ2K) frame with OpenJPEG.
func decodeJ2K(data []byte, f frameSpec) ([]byte, error) {
	if len(data) < 2 {
		return nil, formatErr("dicom", nil, "JPEG 2000 frame of %d bytes", len(data))
	}
	if err := checkPixels(f.cols, f.rows, 1, f.maxPixels); err != nil {
		return nil, err
	}
	var errBuf [256]C.char
	img := C.medqr_j2k_decode((*C.uchar)(unsafe.Pointer(&data[0])), C.size_t(len(data)), C.int(j2kThreads),
		C.uint(f.cols), C.uint(f.rows), C.uint(f.spp), &errBuf[0])
	if img == nil {
		msg := C.GoString(&errBuf[0])
		var w, h, c int
		if _, err := fmt.Sscanf(msg, "size:%d %d %d", &w, &h, &c); err == nil {
			return nil, f.check("JPEG 2000", w, h, c, f.bitsStored)
		}
		return nil, formatErr("dicom", nil, "OpenJPEG cannot decode the JPEG 2000 frame: %s", strings.TrimSpace(msg))
	}
	defer C.opj_image_destroy(img)
	n := f.rows * f.cols
	comps := make([][]C.OPJ_INT32, f.spp)
	for i := range comps {
		c := C.medqr_comp(img, C.int(i))
		if c.w != C.OPJ_UINT32(f.cols) || c.h != C.OPJ_UINT32(f.rows) || c.dx != 1 || c.dy != 1 || c.data == nil {
			return nil, &UnsupportedError{Format: "dicom", TransferSyntax: f.syntax, UID: f.uid,
				Feature: fmt.Sprintf("JPEG 2000 component %d is %dx%d with subsampling %dx%d", i, c.w, c.h, c.dx, c.dy)}
		}
		if err := f.check("JPEG 2000", f.cols, f.rows, f.spp, int(c.prec)); err != nil {
			return nil, err
		}
		comps[i] = unsafe.Slice(c.data, n)
	}
	out := make([]byte, n*f.spp*f.bitsAlloc/8)
	for i := 0; i < n; i++ {
		for c := range comps {
			putWords(out, i*f.spp+c, int32(comps[c][i]), f.bitsAlloc)
		}
	}
	return out, nil
}
