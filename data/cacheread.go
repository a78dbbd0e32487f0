package data

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"io"
	"os"
)

// CacheReader reads single images from a cache file (the format BuildCache
// writes) without holding the file in memory: OpenCache verifies the whole
// file's checksum in one streaming pass and keeps only the header, and
// Image reads one image's pixels at its offset. It is how the sharded and
// streamed research runs read datasets of 100,000+ images with bounded
// memory. A CacheReader is safe for concurrent use.
type CacheReader struct {
	f     *os.File
	hdr   cacheHeader
	size  int
	start int64 // offset of the first image's pixels
}

// OpenCache opens a cache file built for m (nil: any manifest) at size and
// verifies its magic, version, key, header and checksum. Any mismatch or
// corruption gives an error wrapping ErrCacheInvalid.
func OpenCache(path string, m *Manifest, size int) (_ *CacheReader, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read dataset cache: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("failed to read dataset cache: %w", err)
	}
	n := st.Size()
	var pre [16]byte
	if n >= 16+32 {
		if _, err := io.ReadFull(f, pre[:]); err != nil {
			return nil, fmt.Errorf("failed to read dataset cache: %w", err)
		}
	}
	// the checksum over everything before the last 32 bytes, streamed
	verify := func() (bool, error) {
		h := sha256.New()
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return false, fmt.Errorf("failed to read dataset cache: %w", err)
		}
		if _, err := io.CopyN(h, f, n-32); err != nil {
			return false, fmt.Errorf("failed to read dataset cache: %w", err)
		}
		var sum [32]byte
		if _, err := io.ReadFull(f, sum[:]); err != nil {
			return false, fmt.Errorf("failed to read dataset cache: %w", err)
		}
		return bytes.Equal(h.Sum(nil), sum[:]), nil
	}
	header := func(hlen int64) ([]byte, error) {
		hb := make([]byte, hlen)
		if _, err := f.ReadAt(hb, 16); err != nil {
			return nil, fmt.Errorf("failed to read dataset cache: %w", err)
		}
		return hb, nil
	}
	hdr, start, err := checkCache(path, n, pre[:], m, size, verify, header)
	if err != nil {
		return nil, err
	}
	return &CacheReader{f: f, hdr: hdr, size: size, start: start}, nil
}

// Len is the number of images in the cache.
func (c *CacheReader) Len() int { return c.hdr.Count }

// Path is image i's manifest path.
func (c *CacheReader) Path(i int) string { return c.hdr.Paths[i] }

// Image reads image i (Size x Size, 8-bit gray) from the file.
func (c *CacheReader) Image(i int) (*image.Gray, error) {
	if i < 0 || i >= c.hdr.Count {
		return nil, fmt.Errorf("dataset cache: image %d of %d", i, c.hdr.Count)
	}
	px := int64(c.size) * int64(c.size)
	g := image.NewGray(image.Rect(0, 0, c.size, c.size))
	if _, err := c.f.ReadAt(g.Pix, c.start+int64(i)*px); err != nil {
		return nil, fmt.Errorf("failed to read image %d of the dataset cache: %w", i, err)
	}
	return g, nil
}

// Close closes the file.
func (c *CacheReader) Close() error { return c.f.Close() }

// ReadCache reads and verifies a cache file built for m at size. Any
// mismatch or corruption gives an error wrapping ErrCacheInvalid.
func ReadCache(path string, m *Manifest, size int) (*Arrays, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read dataset cache: %w", err)
	}
	hdr, start, err := checkCache(path, int64(len(b)), b, m, size,
		func() (bool, error) {
			sum := sha256.Sum256(b[:len(b)-32])
			return bytes.Equal(sum[:], b[len(b)-32:]), nil
		},
		func(hlen int64) ([]byte, error) { return b[16 : 16+hlen], nil })
	if err != nil {
		return nil, err
	}
	px := int64(size) * int64(size)
	pix := b[start : len(b)-32]
	a := &Arrays{Size: size, Labels: hdr.Labels, Paths: hdr.Paths, Splits: hdr.Splits, Images: make([]*image.Gray, hdr.Count)}
	for i := range a.Images {
		p := pix[int64(i)*px : int64(i+1)*px : int64(i+1)*px]
		a.Images[i] = &image.Gray{Pix: p, Stride: size, Rect: image.Rect(0, 0, size, size)}
	}
	return a, nil
}

// checkCache checks a cache file of n bytes built for m (nil: any
// manifest) at size, in the order a reader meets its parts: pre (its first
// 16 bytes, read only when n is large enough to hold a cache), the
// checksum (verify), the JSON header of hlen bytes (header) and the size
// of the pixel block. It returns the header and the offset of the first
// image's pixels. Any mismatch gives an error wrapping ErrCacheInvalid;
// errors of verify and header are returned as they are.
func checkCache(path string, n int64, pre []byte, m *Manifest, size int, verify func() (bool, error), header func(hlen int64) ([]byte, error)) (cacheHeader, int64, error) {
	var hdr cacheHeader
	bad := func(format string, args ...any) (cacheHeader, int64, error) {
		return hdr, 0, fmt.Errorf("%s: %w: %s (delete it or run \"medqr dataset cache\" to rebuild)", path, ErrCacheInvalid, fmt.Sprintf(format, args...))
	}
	if n < 16+32 || string(pre[:8]) != cacheMagic {
		return bad("not a medqr dataset cache")
	}
	if v := binary.LittleEndian.Uint32(pre[8:]); v != CacheVersion {
		return bad("cache format version %d, want %d", v, CacheVersion)
	}
	if ok, err := verify(); err != nil {
		return hdr, 0, err
	} else if !ok {
		return bad("checksum mismatch (corrupt or truncated)")
	}
	hlen := int64(binary.LittleEndian.Uint32(pre[12:]))
	if 16+hlen > n-32 {
		return bad("header length %d past the end", hlen)
	}
	hb, err := header(hlen)
	if err != nil {
		return hdr, 0, err
	}
	if err := json.Unmarshal(hb, &hdr); err != nil {
		return bad("bad header: %v", err)
	}
	switch {
	case m != nil && hdr.ManifestHash != m.Hash():
		return bad("built for another manifest")
	case hdr.Size != size:
		return bad("built for size %d, want %d", hdr.Size, size)
	case hdr.PreprocessVersion != PreprocessVersion:
		return bad("built with preprocessing version %d, want %d", hdr.PreprocessVersion, PreprocessVersion)
	case hdr.Count < 0 || len(hdr.Paths) != hdr.Count || len(hdr.Labels) != hdr.Count || len(hdr.Splits) != hdr.Count:
		return bad("inconsistent header")
	}
	px := int64(size) * int64(size)
	if got := n - 32 - 16 - hlen; got != px*int64(hdr.Count) {
		return bad("pixel block is %d bytes, want %d", got, px*int64(hdr.Count))
	}
	return hdr, 16 + hlen, nil
}
