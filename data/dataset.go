package data

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ManifestVersion is the version of the manifest JSON format.
const ManifestVersion = 1

// Split names.
const (
	SplitTrain = "train"
	SplitVal   = "val"
	SplitTest  = "test"
)

// SplitRule names the rule SplitOf implements; it is stored in manifests.
const SplitRule = "sha256-content-80-10-10"

// Sample is one image of a dataset.
type Sample struct {
	// Path is slash-separated and relative to the manifest root; for an NPZ
	// it is "<array>/<index>", e.g. "train_images/17".
	Path   string `json:"path"`
	SHA256 string `json:"sha256"` // hex SHA-256 of the file (NPZ: of the image's pixel bytes)
	Size   int64  `json:"size"`   // bytes (NPZ: pixel bytes)
	Label  int    `json:"label"`  // index into Manifest.Classes; -1 when unlabelled
	Split  string `json:"split"`  // "train", "val" or "test"
}

// holds reports whether b (a file's bytes; NPZ: the image's pixel bytes)
// is the content s was indexed with: b's SHA-256 is s.SHA256.
func (s Sample) holds(b []byte) bool {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]) == s.SHA256
}

// Manifest lists a dataset's samples with their content hashes, labels and
// splits. Samples are sorted by Path.
type Manifest struct {
	Version   int      `json:"version"`
	Kind      string   `json:"kind"` // "folder" or "npz"
	Root      string   `json:"root"` // the folder or .npz file indexed (absolute; a relative root in a hand-written manifest is relative to the manifest)
	Classes   []string `json:"classes"`
	SplitRule string   `json:"split_rule"`
	Samples   []Sample `json:"samples"`
}

// SplitOf assigns a sample to a split from its content hash: the first 8
// bytes of the SHA-256 as a big-endian integer, modulo 100, give a bucket;
// buckets 0-79 are train, 80-89 val, 90-99 test. The assignment depends only
// on the content, so it is stable when files are renamed, added or removed,
// and byte-identical duplicates always land in the same split.
func SplitOf(sum [sha256.Size]byte) string {
	b := binary.BigEndian.Uint64(sum[:8]) % 100
	switch {
	case b < 80:
		return SplitTrain
	case b < 90:
		return SplitVal
	}
	return SplitTest
}

func splitOfHex(h string) string {
	var sum [sha256.Size]byte
	if _, err := hex.Decode(sum[:], []byte(h)); err != nil {
		return ""
	}
	return SplitOf(sum)
}

// Split returns the samples of the named split ("train", "val" or "test"),
// in manifest order.
func (m *Manifest) Split(name string) ([]Sample, error) {
	switch name {
	case SplitTrain, SplitVal, SplitTest:
	default:
		return nil, fmt.Errorf("unknown split %q: use train, val or test", name)
	}
	var out []Sample
	for _, s := range m.Samples {
		if s.Split == name {
			out = append(out, s)
		}
	}
	return out, nil
}

// Hash is the hex SHA-256 of the manifest's content (kind, classes, split
// rule and every sample's path, hash, label and split), independent of Root,
// so a dataset moved elsewhere keeps its cache.
func (m *Manifest) Hash() string {
	h := sha256.New()
	fmt.Fprintf(h, "medqr-manifest v%d\n%s\n%s\n%s\n", m.Version, m.Kind, strings.Join(m.Classes, "\x00"), m.SplitRule)
	for _, s := range m.Samples {
		fmt.Fprintf(h, "%s\x00%s\x00%d\x00%d\x00%s\n", s.Path, s.SHA256, s.Size, s.Label, s.Split)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Counts returns the number of samples per split and label.
func (m *Manifest) Counts() map[string]map[int]int {
	out := map[string]map[int]int{}
	for _, s := range m.Samples {
		if out[s.Split] == nil {
			out[s.Split] = map[int]int{}
		}
		out[s.Split][s.Label]++
	}
	return out
}

// Index builds the manifest of a dataset. path may be:
//   - a folder: every PNG, JPEG or DICOM file below it (sniffed from the
//     content; other files and dot-files are skipped) is a sample, labelled
//     by its first-level subfolder (the Kermany NORMAL/PNEUMONIA layout;
//     classes sorted by name); files directly in the folder get label -1;
//   - a MedMNIST-style .npz: every image of each "<name>_images" array
//     (uint8, shape (N,H,W)), labelled from "<name>_labels" (N,1) when present;
//   - a manifest .json written by WriteManifest.
//
// Files are not decoded here; BuildCache reports undecodable ones.
func Index(path string) (*Manifest, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("failed to index dataset: %w", err)
	}
	if strings.HasSuffix(strings.ToLower(path), ".json") && !fi.IsDir() {
		return ReadManifest(path)
	}
	var m *Manifest
	if fi.IsDir() {
		m, err = indexFolder(path)
	} else {
		m, err = indexNPZ(path)
	}
	if err != nil {
		return nil, err
	}
	// Manifests record an absolute root so they can be read from anywhere;
	// the root is not part of the manifest hash.
	if abs, err := filepath.Abs(m.Root); err == nil {
		m.Root = abs
	}
	return m, nil
}

func indexFolder(root string) (*Manifest, error) {
	m := &Manifest{Version: ManifestVersion, Kind: "folder", Root: root, SplitRule: SplitRule}
	type found struct {
		rel, class string
		sum        [sha256.Size]byte
		size       int64
	}
	var files []found
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("failed to index %s: %w", p, err)
		}
		name := d.Name()
		if p != root && strings.HasPrefix(name, ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := readFileLimited(p, DefaultMaxBytes)
		if err != nil {
			return fmt.Errorf("failed to index %s: %w", p, err)
		}
		if sniff(b) == "" {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		class := ""
		if i := strings.IndexByte(rel, '/'); i >= 0 {
			class = rel[:i]
		}
		files = append(files, found{rel: rel, class: class, sum: sha256.Sum256(b), size: int64(len(b))})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("failed to index %s: no PNG, JPEG or DICOM files found", root)
	}
	classSet := map[string]bool{}
	for _, f := range files {
		if f.class != "" {
			classSet[f.class] = true
		}
	}
	for c := range classSet {
		m.Classes = append(m.Classes, c)
	}
	sort.Strings(m.Classes)
	label := map[string]int{"": -1}
	for i, c := range m.Classes {
		label[c] = i
	}
	sort.Slice(files, func(i, j int) bool { return files[i].rel < files[j].rel })
	for _, f := range files {
		m.Samples = append(m.Samples, Sample{
			Path:   f.rel,
			SHA256: hex.EncodeToString(f.sum[:]),
			Size:   f.size,
			Label:  label[f.class],
			Split:  SplitOf(f.sum),
		})
	}
	return m, nil
}

// npzImages finds the image arrays of a MedMNIST-style archive and their
// labels. Images must be uint8 (N,H,W); labels integer (N) or (N,1).
func npzImages(arrays []*Array) (imgs, labels map[string]*Array, err error) {
	byName := map[string]*Array{}
	for _, a := range arrays {
		byName[a.Name] = a
	}
	imgs, labels = map[string]*Array{}, map[string]*Array{}
	for _, a := range arrays {
		if !strings.HasSuffix(a.Name, "_images") && a.Name != "images" {
			continue
		}
		if itemSize(a.DType) != 1 || a.DType[1] != 'u' || len(a.Shape) != 3 {
			return nil, nil, &UnsupportedError{Format: "npz", Feature: fmt.Sprintf("array %s has dtype %s and shape %v; want uint8 (N,H,W)", a.Name, a.DType, a.Shape)}
		}
		if a.Shape[1] == 0 || a.Shape[2] == 0 {
			return nil, nil, formatErr("npz", nil, "array %s has empty images (shape %v)", a.Name, a.Shape)
		}
		imgs[a.Name] = a
		ln := strings.TrimSuffix(a.Name, "images") + "labels"
		if l, ok := byName[ln]; ok {
			if len(l.Shape) == 0 || l.Shape[0] != a.Shape[0] || (len(l.Shape) == 2 && l.Shape[1] != 1) || len(l.Shape) > 2 {
				return nil, nil, formatErr("npz", nil, "labels %s of shape %v do not match images %s of shape %v", ln, l.Shape, a.Name, a.Shape)
			}
			labels[a.Name] = l
		}
	}
	if len(imgs) == 0 {
		return nil, nil, formatErr("npz", nil, "no <name>_images array")
	}
	return imgs, labels, nil
}

func indexNPZ(path string) (*Manifest, error) {
	b, err := readFileLimited(path, DefaultMaxBytes)
	if err != nil {
		return nil, fmt.Errorf("failed to index dataset: %w", err)
	}
	arrays, err := ReadNPZ(b, 0)
	if err != nil {
		return nil, fmt.Errorf("failed to index %s: %w", path, err)
	}
	imgs, labels, err := npzImages(arrays)
	if err != nil {
		return nil, fmt.Errorf("failed to index %s: %w", path, err)
	}
	m := &Manifest{Version: ManifestVersion, Kind: "npz", Root: path, SplitRule: SplitRule}
	maxLabel := -1
	for _, a := range arrays {
		img, ok := imgs[a.Name]
		if !ok {
			continue
		}
		px := img.Shape[1] * img.Shape[2]
		for i := 0; i < img.Shape[0]; i++ {
			sum := sha256.Sum256(img.Data[i*px : (i+1)*px])
			lab := -1
			if l, ok := labels[a.Name]; ok {
				lab = l.Int(i)
				if lab < 0 || lab > 1000 {
					return nil, fmt.Errorf("failed to index %s: %w", path, formatErr("npz", nil, "label %d of %s[%d] out of range", lab, a.Name, i))
				}
			}
			maxLabel = max(maxLabel, lab)
			m.Samples = append(m.Samples, Sample{
				Path:   a.Name + "/" + strconv.Itoa(i),
				SHA256: hex.EncodeToString(sum[:]),
				Size:   int64(px),
				Label:  lab,
				Split:  SplitOf(sum),
			})
		}
	}
	for i := 0; i <= maxLabel; i++ {
		m.Classes = append(m.Classes, strconv.Itoa(i))
	}
	// Sorted by array name, then numerically by index (already in that
	// order because arrays are sorted and indices ascend).
	return m, nil
}

// WriteManifest writes m as indented JSON.
func (m *Manifest) WriteManifest(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(m)
}

// ReadManifest reads a manifest written by WriteManifest and checks it.
func ReadManifest(path string) (*Manifest, error) {
	b, err := readFileLimited(path, 1<<28)
	if err != nil {
		return nil, fmt.Errorf("failed to read manifest: %w", err)
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("failed to read manifest %s: %w", path, err)
	}
	if m.Version != ManifestVersion {
		return nil, fmt.Errorf("failed to read manifest %s: version %d, this medqr reads version %d (regenerate it with \"medqr dataset index\")", path, m.Version, ManifestVersion)
	}
	if m.SplitRule != SplitRule {
		return nil, fmt.Errorf("failed to read manifest %s: unknown split rule %q", path, m.SplitRule)
	}
	if m.Kind != "folder" && m.Kind != "npz" {
		return nil, fmt.Errorf("failed to read manifest %s: unknown kind %q", path, m.Kind)
	}
	if m.Root != "" && !filepath.IsAbs(m.Root) {
		// Relative roots are relative to the manifest's folder.
		m.Root = filepath.Join(filepath.Dir(path), m.Root)
	}
	for i, s := range m.Samples {
		if splitOfHex(s.SHA256) != s.Split {
			return nil, fmt.Errorf("failed to read manifest %s: sample %d (%s) has split %q but its hash gives %q", path, i, s.Path, s.Split, splitOfHex(s.SHA256))
		}
		if s.Label < -1 || s.Label >= len(m.Classes) {
			return nil, fmt.Errorf("failed to read manifest %s: sample %d (%s) has label %d outside the %d classes", path, i, s.Path, s.Label, len(m.Classes))
		}
		if strings.Contains(s.Path, "..") || strings.HasPrefix(s.Path, "/") {
			return nil, fmt.Errorf("failed to read manifest %s: sample path %q leaves the root", path, s.Path)
		}
	}
	return &m, nil
}

var errChanged = errors.New("file changed since the dataset was indexed")
