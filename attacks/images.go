package attacks

import (
	"fmt"
	"image"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"

	"github.com/medqr/medqr/data"
)

// imageSet is the sorted list of source image files of a run. Images are
// loaded on demand, so a run touches only the files it uses.
type imageSet struct {
	dir   string
	paths []string
}

func openImageSet(dir string) (*imageSet, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".png", ".jpg", ".jpeg", ".dcm":
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("attacks: failed to list images: %w", err)
	}
	if len(paths) < 2 {
		return nil, fmt.Errorf("attacks: %s: need at least 2 images, found %d", dir, len(paths))
	}
	slices.Sort(paths)
	return &imageSet{dir: dir, paths: paths}, nil
}

// load decodes file i as 8-bit gray, preprocessed to size x size.
func (s *imageSet) load(i, size int) (*image.Gray, error) {
	d, err := data.Load(s.paths[i])
	if err != nil {
		return nil, fmt.Errorf("attacks: %w", err)
	}
	return data.Preprocess(d.Display(), size), nil
}

// pick loads n distinct images chosen by rng from the first frac of the set
// (frac < 0: from the last -frac), at size x size.
func (s *imageSet) pick(rng *rand.Rand, n, size int, frac float64) ([]*image.Gray, error) {
	lo, hi := 0, len(s.paths)
	if frac > 0 {
		hi = max(1, int(frac*float64(len(s.paths))))
	} else if frac < 0 {
		lo = min(len(s.paths)-1, int((1+frac)*float64(len(s.paths))))
	}
	idx := rng.Perm(hi - lo)
	out := make([]*image.Gray, 0, n)
	for k := 0; k < n; k++ {
		g, err := s.load(lo+idx[k%len(idx)], size)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

// crops returns n side x side plaintexts: random square crops (side 1x to
// 4x the output) of images from the chosen part of the set, downscaled with
// data.Preprocess. Every crop is a distinct known plaintext.
func (s *imageSet) crops(rng *rand.Rand, n, side, base int, frac float64, perImage int) ([]*image.Gray, error) {
	srcs, err := s.pick(rng, (n+perImage-1)/perImage, base, frac)
	if err != nil {
		return nil, err
	}
	out := make([]*image.Gray, 0, n)
	for k := 0; k < n; k++ {
		src := srcs[k/perImage]
		cs := side + rng.IntN(3*side+1)
		cs = min(cs, base)
		x, y := rng.IntN(base-cs+1), rng.IntN(base-cs+1)
		sub := src.SubImage(image.Rect(x, y, x+cs, y+cs)).(*image.Gray)
		out = append(out, data.Preprocess(sub, side))
	}
	return out, nil
}

// matching counts the positions i of a where b[i] == a[i] (b is at least
// as long as a): the exactly recovered pixels of a candidate plaintext.
func matching[T comparable](a, b []T) int {
	n := 0
	for i, v := range a {
		if v == b[i] {
			n++
		}
	}
	return n
}
