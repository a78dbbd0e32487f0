package data

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
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
	if size < 1 || size > 8192 {
		return "", fmt.Errorf("invalid working size %d: must be 1..8192", size)
	}
	if cacheDir == "" {
		cacheDir = DefaultCacheDir()
	}
	path := CachePath(m, size, cacheDir)
	if _, err := ReadCache(path, m, size); err == nil {
		return path, nil
	}
	imgs, err := preprocessAll(m, size)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", fmt.Errorf("failed to create cache folder: %w", err)
	}
	if err := writeCache(path, m, size, imgs); err != nil {
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
			sum := sha256.Sum256(g.Pix)
			if hex.EncodeToString(sum[:]) != s.SHA256 {
				return nil, fmt.Errorf("%s in %s: %w", s.Path, m.Root, errChanged)
			}
			return g, nil
		}
	case "folder":
		get = func(i int) (*image.Gray, error) {
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
	default:
		return nil, fmt.Errorf("unknown manifest kind %q", m.Kind)
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		next     int
	)
	workers := runtime.GOMAXPROCS(0)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				stop := firstErr != nil
				mu.Unlock()
				if stop || i >= len(m.Samples) {
					return
				}
				g, err := get(i)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				out[i] = Preprocess(g, size).Pix
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, fmt.Errorf("failed to build dataset cache: %w", firstErr)
	}
	return out, nil
}

func writeCache(path string, m *Manifest, size int, imgs [][]byte) (err error) {
	hdr := cacheHeader{
		ManifestHash:      m.Hash(),
		Size:              size,
		PreprocessVersion: PreprocessVersion,
		Count:             len(m.Samples),
	}
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
	var pre [16]byte
	copy(pre[:8], cacheMagic)
	binary.LittleEndian.PutUint32(pre[8:], CacheVersion)
	binary.LittleEndian.PutUint32(pre[12:], uint32(len(hj)))
	var buf bytes.Buffer
	buf.Write(pre[:])
	buf.Write(hj)
	for _, p := range imgs {
		buf.Write(p)
	}
	h.Write(buf.Bytes())
	buf.Write(h.Sum(nil))
	if _, err = f.Write(buf.Bytes()); err != nil {
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

// ReadCache reads and verifies a cache file built for m at size. Any
// mismatch or corruption gives an error wrapping ErrCacheInvalid.
func ReadCache(path string, m *Manifest, size int) (*Arrays, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read dataset cache: %w", err)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s: %w: %s (delete it or run \"medqr dataset cache\" to rebuild)", path, ErrCacheInvalid, fmt.Sprintf(format, args...))
	}
	if len(b) < 16+32 || string(b[:8]) != cacheMagic {
		return nil, bad("not a medqr dataset cache")
	}
	if v := binary.LittleEndian.Uint32(b[8:]); v != CacheVersion {
		return nil, bad("cache format version %d, want %d", v, CacheVersion)
	}
	body, sum := b[:len(b)-32], b[len(b)-32:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return nil, bad("checksum mismatch (corrupt or truncated)")
	}
	hlen := int64(binary.LittleEndian.Uint32(b[12:]))
	if 16+hlen > int64(len(body)) {
		return nil, bad("header length %d past the end", hlen)
	}
	var hdr cacheHeader
	if err := json.Unmarshal(body[16:16+hlen], &hdr); err != nil {
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
	pix := body[16+hlen:]
	if int64(len(pix)) != px*int64(hdr.Count) {
		return nil, bad("pixel block is %d bytes, want %d", len(pix), px*int64(hdr.Count))
	}
	a := &Arrays{Size: size, Labels: hdr.Labels, Paths: hdr.Paths, Splits: hdr.Splits, Images: make([]*image.Gray, hdr.Count)}
	for i := range a.Images {
		p := pix[int64(i)*px : int64(i+1)*px : int64(i+1)*px]
		a.Images[i] = &image.Gray{Pix: p, Stride: size, Rect: image.Rect(0, 0, size, size)}
	}
	return a, nil
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
