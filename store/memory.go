package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"

	"github.com/medqr/medqr/seal"
)

// QRFile is a QR image held in memory (an upload), with the name that
// errors quote.
type QRFile struct {
	Name string
	Data []byte
}

// DecryptFiles is Decrypt for QR image files already in memory: the same
// reading, checks and errors, with each *FileError naming File.Name.
func DecryptFiles(files []QRFile, o seal.Opener) (*Decrypted, error) {
	if len(files) == 0 {
		return nil, errors.New("store: no QR images given")
	}
	imgs := make([]image.Image, len(files))
	names := make([]string, len(files))
	for i, f := range files {
		img, err := decodeImage(bytes.NewReader(f.Data))
		if err != nil {
			return nil, &FileError{Path: f.Name, Err: err}
		}
		imgs[i], names[i] = img, f.Name
	}
	return decrypt(imgs, names, o)
}

// recordName matches the record files Encrypt writes.
var recordName = regexp.MustCompile(`^medqr-[0-9a-f]{16}\.json$`)

// ReadRecords returns the records in the folder dir, newest first (ties by
// id). Files that are not records of this format are skipped; a folder
// that does not exist holds no records.
func ReadRecords(dir string) ([]Record, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: failed to list records: %w", err)
	}
	var recs []Record
	for _, e := range ents {
		if !e.Type().IsRegular() || !recordName.MatchString(e.Name()) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		var r Record
		if json.Unmarshal(b, &r) != nil || r.Format != RecordFormat || "medqr-"+r.ID+".json" != e.Name() {
			continue
		}
		recs = append(recs, r)
	}
	sort.Slice(recs, func(i, j int) bool {
		if recs[i].Time != recs[j].Time {
			return recs[i].Time > recs[j].Time
		}
		return recs[i].ID < recs[j].ID
	})
	return recs, nil
}
