package data

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// codecSeeds returns the first compressed frame of each shipped DICOM in
// an encapsulated transfer syntax, with its header.
func codecSeeds(t testing.TB) (frames [][]byte, specs []frameSpec) {
	files, _ := filepath.Glob(filepath.Join("samples", "dicom", "*.dcm"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil || len(b) > 1<<18 {
			continue
		}
		h, err := readDICOMHeader(b, LoadOptions{}, false)
		if err != nil || !h.pixels.IsEncapsulated {
			continue
		}
		data, err := h.encapsulatedFrame(b, 1)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		frames = append(frames, data)
		specs = append(specs, h.frameSpec(LoadOptions{}))
	}
	return frames, specs
}

// FuzzFrameCodecs feeds compressed frames to every frame decoder (JPEG
// 2000, JPEG-LS, the JPEG family, RLE) under a header the fuzzer also
// varies: each returns exactly the frame's bytes or a typed error.
func FuzzFrameCodecs(f *testing.F) {
	frames, specs := codecSeeds(f)
	for i, fr := range frames {
		s := specs[i]
		for sel := byte(0); sel < 4; sel++ {
			f.Add(sel, uint16(s.cols), uint16(s.rows), byte(s.bitsAlloc), byte(s.bitsStored), fr)
		}
	}
	uids := []string{tsJ2K, tsJPEGLSLossless, tsJPEGLosslessS1, tsRLE}
	f.Fuzz(func(t *testing.T, sel byte, cols, rows uint16, alloc, stored byte, data []byte) {
		s := frameSpec{cols: int(cols), rows: int(rows), spp: 1, bitsAlloc: 16, bitsStored: int(stored),
			maxPixels: 1 << 18, uid: uids[int(sel)%len(uids)]}
		if alloc == 8 {
			s.bitsAlloc = 8
		}
		if s.bitsStored < 1 || s.bitsStored > s.bitsAlloc || s.cols == 0 || s.rows == 0 {
			return // readDICOMHeader refuses such headers before a codec runs
		}
		var out []byte
		var err error
		switch s.uid {
		case tsRLE:
			out, err = rleFrameRaw(data, s)
		case tsJPEGLosslessS1:
			out, err = jpegFrameRaw(data, s)
		default:
			out, err = frameCodecs[s.uid].decode(data, s)
		}
		if err != nil {
			if out != nil {
				t.Fatal("result with an error")
			}
			checkTypedError(t, err)
			return
		}
		if len(out) != s.rows*s.cols*s.bitsAlloc/8 {
			t.Fatalf("%d bytes for a %dx%d %d-bit frame", len(out), s.cols, s.rows, s.bitsAlloc)
		}
	})
}

// FuzzDICOMFrame decodes a chosen frame of DICOM-looking inputs, through
// both Decode and LoadRaw's path, so fragment assignment, the Basic Offset
// Table search and frame bounds are fuzzed.
func FuzzDICOMFrame(f *testing.F) {
	addSeeds(f, "samples/dicom/*.dcm")
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < 133 {
			return
		}
		frame := int(b[0] % 4) // the preamble's first byte picks the frame
		b = bytes.Clone(b)
		copy(b[128:], "DICM")
		o := fuzzOpts
		o.Frame = frame
		d, err := decodeDICOM(b, o)
		var fr *FrameError
		if errors.As(err, &fr) {
			return
		}
		checkDecoded(t, b, d, err)
		r, err := decodeRaw(b, o)
		if (err == nil) != (d != nil) {
			t.Fatalf("Decode and decodeRaw disagree: %v", err)
		}
		if err == nil && len(r.Data) < d.Meta.Width*d.Meta.Height*d.Meta.BitsAllocated/8 {
			t.Fatalf("raw frame of %d bytes for %dx%d", len(r.Data), d.Meta.Width, d.Meta.Height)
		}
	})
}
