package data

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
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
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s: %w: %s (delete it or run \"medqr dataset cache\" to rebuild)", path, ErrCacheInvalid, fmt.Sprintf(format, args...))
	}
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("failed to read dataset cache: %w", err)
	}
	n := st.Size()
	var pre [16]byte
	if n < 16+32 {
		return nil, bad("not a medqr dataset cache")
	}
	if _, err := io.ReadFull(f, pre[:]); err != nil {
		return nil, fmt.Errorf("failed to read dataset cache: %w", err)
	}
	if string(pre[:8]) != cacheMagic {
		return nil, bad("not a medqr dataset cache")
	}
	if v := binary.LittleEndian.Uint32(pre[8:]); v != CacheVersion {
		return nil, bad("cache format version %d, want %d", v, CacheVersion)
	}
	// checksum over everything before the last 32 bytes, streamed
	h := sha256.New()
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("failed to read dataset cache: %w", err)
	}
	if _, err := io.CopyN(h, f, n-32); err != nil {
		return nil, fmt.Errorf("failed to read dataset cache: %w", err)
	}
	var sum [32]byte
	if _, err := io.ReadFull(f, sum[:]); err != nil {
		return nil, fmt.Errorf("failed to read dataset cache: %w", err)
	}
	if !bytes.Equal(h.Sum(nil), sum[:]) {
		return nil, bad("checksum mismatch (corrupt or truncated)")
	}
	hlen := int64(binary.LittleEndian.Uint32(pre[12:]))
	if 16+hlen > n-32 {
		return nil, bad("header length %d past the end", hlen)
	}
	hb := make([]byte, hlen)
	if _, err := f.ReadAt(hb, 16); err != nil {
		return nil, fmt.Errorf("failed to read dataset cache: %w", err)
	}
	var hdr cacheHeader
	if err := json.Unmarshal(hb, &hdr); err != nil {
		return nil, bad("bad header: %v", err)
	}
	switch {
	case m != nil && hdr.ManifestHash != m.Hash():
		return nil, bad("built for another manifest")
	case hdr.Size != size:
		return nil, bad("built for size %d, want %d", hdr.Size, size)
	case hdr.PreprocessVersion != PreprocessVersion:
		return nil, bad("built with preprocessing version %d, want %d", hdr.PreprocessVersion, PreprocessVersion)
	case hdr.Count < 0 || len(hdr.Paths) != hdr.Count || len(hdr.Labels) != hdr.Count || len(hdr.Splits) != hdr.Count:
		return nil, bad("inconsistent header")
	}
	px := int64(size) * int64(size)
	if got := n - 32 - 16 - hlen; got != px*int64(hdr.Count) {
		return nil, bad("pixel block is %d bytes, want %d", got, px*int64(hdr.Count))
	}
	return &CacheReader{f: f, hdr: hdr, size: size, start: 16 + hlen}, nil
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

// Subset returns a manifest with the samples of m for which keep is true,
// in m's order. Its hash differs from m's, so its cache (BuildCache) is a
// file of its own: a shard of a dataset caches only its own images.
func (m *Manifest) Subset(keep func(Sample) bool) *Manifest {
	out := *m
	out.Samples = nil
	for _, s := range m.Samples {
		if keep(s) {
			out.Samples = append(out.Samples, s)
		}
	}
	return &out
}

// streamWindow is the number of images BuildCacheStream preprocesses
// before writing them: its memory bound (a variable for the tests).
var streamWindow = 64

// BuildCacheStream is BuildCache with bounded memory for folder datasets:
// it decodes and preprocesses the samples in manifest order, streamWindow
// at a time on GOMAXPROCS workers, and streams each window into the file
// while hashing it, so it holds a few dozen images whatever the dataset's
// size. The file is byte for byte the one BuildCache writes. A valid
// existing cache is kept (checked by OpenCache's streaming pass); other
// manifest kinds (an .npz is read whole anyway) go to BuildCache.
func BuildCacheStream(m *Manifest, size int, cacheDir string) (string, error) {
	if m.Kind != "folder" {
		return BuildCache(m, size, cacheDir)
	}
	if size < 1 || size > 8192 {
		return "", fmt.Errorf("invalid working size %d: must be 1..8192", size)
	}
	if cacheDir == "" {
		cacheDir = DefaultCacheDir()
	}
	path := CachePath(m, size, cacheDir)
	if c, err := OpenCache(path, m, size); err == nil {
		return path, c.Close()
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", fmt.Errorf("failed to create cache folder: %w", err)
	}
	if err := writeCacheStream(path, m, size); err != nil {
		return "", err
	}
	return path, nil
}

func writeCacheStream(path string, m *Manifest, size int) (err error) {
	hdr := cacheHeader{ManifestHash: m.Hash(), Size: size, PreprocessVersion: PreprocessVersion, Count: len(m.Samples)}
	for _, s := range m.Samples {
		hdr.Paths = append(hdr.Paths, s.Path)
		hdr.Labels = append(hdr.Labels, s.Label)
		hdr.Splits = append(hdr.Splits, s.Split)
	}
	hj, err := json.Marshal(hdr)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".dataset-*.tmp")
	if err != nil {
		return fmt.Errorf("failed to write dataset cache: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	h := sha256.New()
	w := bufio.NewWriterSize(io.MultiWriter(f, h), 1<<20)
	var pre [16]byte
	copy(pre[:8], cacheMagic)
	binary.LittleEndian.PutUint32(pre[8:], CacheVersion)
	binary.LittleEndian.PutUint32(pre[12:], uint32(len(hj)))
	w.Write(pre[:])
	w.Write(hj)
	window := make([][]byte, streamWindow)
	errs := make([]error, streamWindow)
	for lo := 0; lo < len(m.Samples); lo += streamWindow {
		hi := min(lo+streamWindow, len(m.Samples))
		var next atomic.Int64
		var wg sync.WaitGroup
		for range min(runtime.GOMAXPROCS(0), hi-lo) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					j := int(next.Add(1)) - 1
					if lo+j >= hi {
						return
					}
					g, err := loadFolderSample(m, lo+j)
					if err == nil {
						window[j] = Preprocess(g, size).Pix
					}
					errs[j] = err
				}
			}()
		}
		wg.Wait()
		for j := 0; j < hi-lo; j++ {
			if errs[j] != nil {
				return fmt.Errorf("failed to build dataset cache: %w", errs[j])
			}
			w.Write(window[j])
			window[j] = nil
		}
	}
	if err = w.Flush(); err != nil {
		return fmt.Errorf("failed to write dataset cache %s: %w", f.Name(), err)
	}
	if _, err = f.Write(h.Sum(nil)); err != nil {
		return fmt.Errorf("failed to write dataset cache %s: %w", f.Name(), err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("failed to write dataset cache %s: %w", f.Name(), err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("failed to write dataset cache: %w", err)
	}
	return nil
}

// loadFolderSample reads, checks and renders sample i of a folder manifest,
// as BuildCache does.
func loadFolderSample(m *Manifest, i int) (*image.Gray, error) {
	s := m.Samples[i]
	p := filepath.Join(m.Root, filepath.FromSlash(s.Path))
	b, err := readFileLimited(p, DefaultMaxBytes)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	if hex.EncodeToString(sum[:]) != s.SHA256 {
		return nil, fmt.Errorf("%s: %w (run \"medqr dataset index\" again)", p, errChanged)
	}
	d, err := decodeBytes(b, LoadOptions{})
	if err != nil {
		return nil, fmt.Errorf("failed to decode %s: %w", p, err)
	}
	return d.Display(), nil
}
