package rd

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/medqr/medqr/eval/shard"
)

// cacheVersion changes whenever a cached cell would mean something else.
const cacheVersion = 1

// cacheEntry is one cached cell: what code measured, and the encoding the
// byte statistics are taken from.
type cacheEntry struct {
	Version int     `json:"version"`
	Method  string  `json:"method"` // Method.Key
	Budget  int     `json:"budget"`
	Bytes   int     `json:"bytes,omitempty"`
	PSNR    float64 `json:"psnr,omitempty"`
	SSIM    float64 `json:"ssim,omitempty"`
	Fail    string  `json:"fail,omitempty"`
	Payload []byte  `json:"payload,omitempty"`
}

// cacheKey hashes the method's key, the budget and the image's size and
// pixels: the name an image is reported under plays no part.
func cacheKey(m Method, im Image, budget int) string {
	h := sha256.New()
	var hdr [32]byte
	binary.BigEndian.PutUint64(hdr[0:], cacheVersion)
	binary.BigEndian.PutUint64(hdr[8:], uint64(budget))
	binary.BigEndian.PutUint64(hdr[16:], uint64(im.Img.Rect.Dx()))
	binary.BigEndian.PutUint64(hdr[24:], uint64(im.Img.Rect.Dy()))
	h.Write(hdr[:])
	h.Write([]byte(m.Key))
	h.Write([]byte{0})
	b := im.Img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		i := im.Img.PixOffset(b.Min.X, y)
		h.Write(im.Img.Pix[i : i+b.Dx()])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// cachedCode is code with results of keyed methods kept in dir: a hit
// returns the stored cell (renamed for this image), a miss codes the image
// and stores the cell. Errors are never cached.
func cachedCode(dir string, m Method, im Image, lv Level) (Cell, error) {
	if dir == "" || m.Key == "" {
		return code(m, im, lv)
	}
	key := cacheKey(m, im, lv.Budget)
	path := filepath.Join(dir, key[:2], key+".json")
	if b, err := os.ReadFile(path); err == nil {
		var e cacheEntry
		if json.Unmarshal(b, &e) == nil && e.Version == cacheVersion && e.Method == m.Key && e.Budget == lv.Budget &&
			(e.Fail != "" || len(e.Payload) == e.Bytes) {
			c := Cell{Image: im.Name, Codec: m.Name, Level: lv.Level, Budget: lv.Budget,
				Bytes: e.Bytes, PSNR: e.PSNR, SSIM: e.SSIM, Fail: e.Fail}
			if e.Fail == "" && e.Payload != nil {
				c.stats = new(ByteStats)
				c.stats.Add(e.Payload)
			}
			return c, nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return Cell{}, fmt.Errorf("rd: reading the result cache: %w", err)
	}
	c, payload, err := codePayload(m, im, lv)
	if err != nil {
		return c, err
	}
	e := cacheEntry{Version: cacheVersion, Method: m.Key, Budget: lv.Budget, Bytes: c.Bytes, PSNR: c.PSNR, SSIM: c.SSIM, Fail: c.Fail, Payload: payload}
	b, err := json.Marshal(e)
	if err != nil {
		return c, fmt.Errorf("rd: %w", err)
	}
	// Entries hold encodings of the images, so only their owner reads them.
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return c, fmt.Errorf("rd: making the result cache: %w", err)
	}
	if err := shard.WriteFileAtomicMode(path, b, 0o600); err != nil {
		return c, fmt.Errorf("rd: writing the result cache: %w", err)
	}
	return c, nil
}
