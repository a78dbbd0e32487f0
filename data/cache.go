package data

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
)

// Cache file format, version 1 (all integers little-endian):
//
//	magic    "MEDQRDSC" (8 bytes)
//	version  uint32 = 1
//	hlen     uint32: length of the JSON header
//	header   JSON cacheHeader (manifest hash, size, preprocessing version,
//	         count, and per sample: path, label, split)
//	pixels   count * size * size bytes: the preprocessed 8-bit images in
//	         manifest order, row-major
//	checksum SHA-256 of every preceding byte (32 bytes)
//
// A file whose magic, version, key (manifest hash, size, preprocessing
// version) or checksum does not match is invalid: BuildCache rebuilds it,
// ReadCache reports ErrCacheInvalid.
const (
	cacheMagic   = "MEDQRDSC"
	CacheVersion = 1
)

// ErrCacheInvalid is returned (wrapped) by ReadCache for a cache file that is
// corrupt, truncated, of another version or built for another manifest,
// size or preprocessing version.
var ErrCacheInvalid = errors.New("dataset cache invalid")

type cacheHeader struct {
	ManifestHash      string   `json:"manifest_hash"`
	Size              int      `json:"size"`
	PreprocessVersion int      `json:"preprocess_version"`
	Count             int      `json:"count"`
	Paths             []string `json:"paths"`
	Labels            []int    `json:"labels"`
	Splits            []string `json:"splits"`
}

// Arrays holds preprocessed images with their labels and paths.
type Arrays struct {
	Size   int
	Images []*image.Gray // each Size x Size
	Labels []int
	Paths  []string
	Splits []string
}

// DefaultCacheDir is $MEDQR_CACHE_DIR when set, else "medqr" under the
// user cache folder (~/.cache/medqr on Linux), else under the temp folder.
func DefaultCacheDir() string {
	if d := os.Getenv("MEDQR_CACHE_DIR"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "medqr")
	}
	return filepath.Join(os.TempDir(), "medqr-cache")
}

// CachePath is the cache file for m at size in cacheDir; its name carries
// the cache format version, the manifest hash, the size and the
// preprocessing version.
func CachePath(m *Manifest, size int, cacheDir string) string {
	return filepath.Join(cacheDir, fmt.Sprintf("dataset-v%d-%s-%d-p%d.bin", CacheVersion, m.Hash()[:16], size, PreprocessVersion))
}

// BuildCache makes sure the cache file for m at size exists and is valid in
// cacheDir ("" means DefaultCacheDir), building it when it is missing or
// invalid, and returns its path. Every image is decoded, rendered with
// Display and resized with Preprocess; a file that no longer matches its
// manifest hash, or that does not decode, is an error naming it. The file
// is written to a temporary name and renamed, so a failure leaves nothing
// half-written.
func BuildCache(m *Manifest, size int, cacheDir string) (string, error) {
	return buildCache(m, size, cacheDir,
		func(path string) bool {
			_, err := ReadCache(path, m, size)
			return err == nil
		},
		func(path string) error {
			imgs, err := preprocessAll(m, size)
			if err != nil {
				return err
			}
			return writeCache(path, m, size, imgs)
		})
}

// buildCache checks size, makes cacheDir ("" means DefaultCacheDir) and
// returns the path of m's cache there, after write has written it unless
// valid says the file there already is a valid cache.
func buildCache(m *Manifest, size int, cacheDir string, valid func(path string) bool, write func(path string) error) (string, error) {
	if size < 1 || size > 8192 {
		return "", fmt.Errorf("invalid working size %d: must be 1..8192", size)
	}
	if cacheDir == "" {
		cacheDir = DefaultCacheDir()
	}
	path := CachePath(m, size, cacheDir)
	if valid(path) {
		return path, nil
	}
	_, statErr := os.Stat(cacheDir)
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", fmt.Errorf("failed to create cache folder: %w", err)
	}
	if err := write(path); err != nil {
		if errors.Is(statErr, fs.ErrNotExist) {
			// A failed build leaves nothing behind: not even the folder it made.
			os.Remove(cacheDir)
		}
		return "", err
	}
	return path, nil
}

// preprocessAll decodes and preprocesses every sample of m, in parallel,
// keeping manifest order.
func preprocessAll(m *Manifest, size int) ([][]byte, error) {
	out := make([][]byte, len(m.Samples))
	var get func(i int) (*image.Gray, error)
	switch m.Kind {
	case "npz":
		b, err := readFileLimited(m.Root, DefaultMaxBytes)
		if err != nil {
			return nil, fmt.Errorf("failed to build dataset cache: %w", err)
		}
		arrays, err := ReadNPZ(b, 0)
		if err != nil {
			return nil, fmt.Errorf("failed to build dataset cache from %s: %w", m.Root, err)
		}
		imgs, _, err := npzImages(arrays)
		if err != nil {
			return nil, fmt.Errorf("failed to build dataset cache from %s: %w", m.Root, err)
		}
		get = func(i int) (*image.Gray, error) {
			s := m.Samples[i]
			name, idx, ok := strings.Cut(s.Path, "/")
			a := imgs[name]
			var k int
			if _, err := fmt.Sscanf(idx, "%d", &k); !ok || a == nil || err != nil || k < 0 || k >= a.Shape[0] {
				return nil, fmt.Errorf("sample %s not found in %s", s.Path, m.Root)
			}
			h, w := a.Shape[1], a.Shape[2]
			g := image.NewGray(image.Rect(0, 0, w, h))
			copy(g.Pix, a.Data[k*w*h:(k+1)*w*h])
			if !s.holds(g.Pix) {
				return nil, fmt.Errorf("%s in %s: %w", s.Path, m.Root, errChanged)
			}
			return g, nil
		}
	case "folder":
		get = func(i int) (*image.Gray, error) { return loadFolderSample(m, i) }
	default:
		return nil, fmt.Errorf("unknown manifest kind %q", m.Kind)
	}
	if err := preprocessRange(0, len(m.Samples), size, get, out); err != nil {
		return nil, err
	}
	return out, nil
}

func writeCache(path string, m *Manifest, size int, imgs [][]byte) error {
	return writeCacheFile(path, m, size, func(w io.Writer) error {
		for _, p := range imgs {
			w.Write(p)
		}
		return nil
	})
}

// writeCacheFile writes the cache file of m at size through a temporary
// file renamed to path: the fixed header and the JSON header, then the
// pixels that pixels writes to w (the images in manifest order), then the
// SHA-256 of everything before it. Errors writing to w are reported by the
// final flush.
func writeCacheFile(path string, m *Manifest, size int, pixels func(w io.Writer) error) (err error) {
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
	if err = pixels(w); err != nil {
		return err
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

// Select returns the subset of a in the named split.
func (a *Arrays) Select(split string) *Arrays {
	out := &Arrays{Size: a.Size}
	for i, s := range a.Splits {
		if s == split {
			out.Images = append(out.Images, a.Images[i])
			out.Labels = append(out.Labels, a.Labels[i])
			out.Paths = append(out.Paths, a.Paths[i])
			out.Splits = append(out.Splits, s)
		}
	}
	return out
}

// LoadSplitArrays indexes src (a folder, an .npz or a manifest .json),
// builds or reuses the cache in cacheDir ("" means DefaultCacheDir) and
// returns the preprocessed images of one split ("train", "val", "test", or
// "all") with their labels and paths.
func LoadSplitArrays(src, split string, size int, cacheDir string) (*Arrays, error) {
	switch split {
	case SplitTrain, SplitVal, SplitTest, "all":
	default:
		return nil, fmt.Errorf("unknown split %q: use train, val, test or all", split)
	}
	m, err := Index(src)
	if err != nil {
		return nil, err
	}
	path, err := BuildCache(m, size, cacheDir)
	if err != nil {
		return nil, err
	}
	a, err := ReadCache(path, m, size)
	if err != nil {
		return nil, err
	}
	if split == "all" {
		return a, nil
	}
	return a.Select(split), nil
}

// LoadSplit is LoadSplitArrays with the default cache folder, returning
// only the images. This is what training and evaluation use, e.g.
// LoadSplit("data/samples/kermany_cxr_224", "train", DefaultSize).
func LoadSplit(src, split string, size int) ([]*image.Gray, error) {
	a, err := LoadSplitArrays(src, split, size, "")
	if err != nil {
		return nil, err
	}
	return a.Images, nil
}

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
	return buildCache(m, size, cacheDir,
		func(path string) bool {
			c, err := OpenCache(path, m, size)
			return err == nil && c.Close() == nil
		},
		func(path string) error { return writeCacheStream(path, m, size) })
}

func writeCacheStream(path string, m *Manifest, size int) error {
	return writeCacheFile(path, m, size, func(w io.Writer) error {
		window := make([][]byte, streamWindow)
		for lo := 0; lo < len(m.Samples); lo += streamWindow {
			hi := min(lo+streamWindow, len(m.Samples))
			get := func(i int) (*image.Gray, error) { return loadFolderSample(m, i) }
			if err := preprocessRange(lo, hi, size, get, window); err != nil {
				return err
			}
			for j := range hi - lo {
				w.Write(window[j])
				window[j] = nil
			}
		}
		return nil
	})
}

// preprocessRange decodes (get) and preprocesses samples lo..hi-1
// into out[i-lo] on GOMAXPROCS workers. Workers stop taking samples after
// a failure; the error is that of the lowest failed sample.
func preprocessRange(lo, hi, size int, get func(i int) (*image.Gray, error), out [][]byte) error {
	errs := make([]error, hi-lo)
	var next atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), hi-lo) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !failed.Load() {
				j := int(next.Add(1)) - 1
				if lo+j >= hi {
					return
				}
				g, err := get(lo + j)
				if err != nil {
					errs[j] = err
					failed.Store(true)
					return
				}
				out[j] = Preprocess(g, size).Pix
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return fmt.Errorf("failed to build dataset cache: %w", err)
		}
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
	if !s.holds(b) {
		return nil, fmt.Errorf("%s: %w (run \"medqr dataset index\" again)", p, errChanged)
	}
	d, err := decodeBytes(b, LoadOptions{})
	if err != nil {
		return nil, fmt.Errorf("failed to decode %s: %w", p, err)
	}
	return d.Display(), nil
}
