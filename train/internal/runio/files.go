package runio

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sirupsen/logrus"
)

// WriteAtomic writes b to path through a temporary file in the same folder
// and a rename, so a reader never sees half a file; the folder is created
// if needed and the file is 0644.
func WriteAtomic(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// WriteJSON writes v as indented JSON with a final newline (WriteAtomic).
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return WriteAtomic(path, append(b, '\n'))
}

// WriteRunInfo writes info, a run's effective config and code version, to
// path (WriteJSON) after logging it on one line, "prefix: effective config".
func WriteRunInfo(path string, info any, log logrus.FieldLogger, prefix string) error {
	b, err := json.Marshal(info)
	if err != nil {
		return err
	}
	log.WithField("config", string(b)).Infof("%s: effective config", prefix)
	return WriteJSON(path, info)
}

// WriteCSV writes rows as CSV (WriteAtomic).
func WriteCSV(path string, rows [][]string) error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.WriteAll(rows); err != nil {
		return err
	}
	return WriteAtomic(path, buf.Bytes())
}

// ErrCheckpoint is wrapped by ReadGob's error for a file that is truncated
// or fails its checksum.
var ErrCheckpoint = errors.New("damaged checkpoint")

// WriteGob writes v gob-encoded followed by the SHA-256 of the encoding
// (WriteAtomic).
func WriteGob(path string, v any) error {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		return fmt.Errorf("failed to encode checkpoint: %w", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return WriteAtomic(path, append(buf.Bytes(), sum[:]...))
}

// ReadGob decodes into v a file written by WriteGob after checking its
// checksum. A missing file gives an error matching os.ErrNotExist.
func ReadGob(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return DecodeGob(b, v)
}

// DecodeGob decodes into v the bytes of a file written by WriteGob after
// checking their checksum.
func DecodeGob(b []byte, v any) error {
	if len(b) < sha256.Size {
		return fmt.Errorf("%w: truncated", ErrCheckpoint)
	}
	body := b[:len(b)-sha256.Size]
	if sum := sha256.Sum256(body); !bytes.Equal(sum[:], b[len(body):]) {
		return fmt.Errorf("%w: checksum mismatch", ErrCheckpoint)
	}
	return gob.NewDecoder(bytes.NewReader(body)).Decode(v)
}

// WriteCurves writes a run's training and validation curves into dir:
// losses and vals as losses.json and validation.json (WriteJSON), and
// lossRows and valRows, each a header row and then a row per point, as
// losses.csv and validation.csv (WriteCSV).
func WriteCurves(dir string, losses, vals any, lossRows, valRows [][]string) error {
	if err := WriteJSON(filepath.Join(dir, "losses.json"), losses); err != nil {
		return err
	}
	if err := WriteJSON(filepath.Join(dir, "validation.json"), vals); err != nil {
		return err
	}
	if err := WriteCSV(filepath.Join(dir, "losses.csv"), lossRows); err != nil {
		return err
	}
	return WriteCSV(filepath.Join(dir, "validation.csv"), valRows)
}
