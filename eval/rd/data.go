package rd

import (
	"fmt"
	"path/filepath"

	"github.com/medqr/medqr/data"
)

// QuickImages and QuickCodecs are the -quick setting: a few images, the Go
// codecs only (no external tools).
const QuickImages = 2

// QuickCodecs is GoCodecs: the registered lossy codecs and gojpeg.
func QuickCodecs() []string { return GoCodecs() }

// LoadImages returns the first n images (n <= 0: all) of a split of src,
// preprocessed to data.DefaultSize through the data package's cache, named
// by their path in the dataset.
func LoadImages(src, split string, n int) ([]Image, error) {
	a, err := data.LoadSplitArrays(src, split, data.DefaultSize, "")
	if err != nil {
		return nil, fmt.Errorf("rd: loading %s split of %s: %w", split, src, err)
	}
	if len(a.Images) == 0 {
		return nil, fmt.Errorf("rd: the %s split of %s is empty", split, src)
	}
	if n > 0 && n < len(a.Images) {
		a.Images, a.Paths = a.Images[:n], a.Paths[:n]
	}
	out := make([]Image, len(a.Images))
	for i := range a.Images {
		out[i] = Image{Name: a.Paths[i], Img: a.Images[i]}
	}
	return out, nil
}

// DefaultCache is the result cache medqr rd and training's RD tables use
// unless told otherwise: rd under the data cache (data.DefaultCacheDir).
func DefaultCache() string { return filepath.Join(data.DefaultCacheDir(), "rd") }
