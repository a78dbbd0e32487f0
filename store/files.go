package store

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrExists reports an output file that already exists.
var ErrExists = fs.ErrExist

// WritePNG writes img to path as PNG (16-bit gray stays 16-bit). The data go
// to a temporary file in the same folder first, so a failure leaves nothing;
// an existing path is refused unless force is set. The file is mode 0600,
// whatever the umask: a decrypted image is medical data, as private as a key.
func WritePNG(path string, img image.Image, force bool) error {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return fmt.Errorf("failed to encode PNG: %w", err)
	}
	return WriteFileAtomic(path, buf.Bytes(), 0o600, force)
}

// WriteFileAtomic writes b to path through a temporary file and a link (no
// overwrite) or, with force, a rename (replaces path).
func WriteFileAtomic(path string, b []byte, perm fs.FileMode, force bool) error {
	dir := filepath.Dir(path)
	if !force {
		if _, err := os.Lstat(path); err == nil {
			return fmt.Errorf("%s: %w", path, ErrExists)
		}
	}
	f, err := os.CreateTemp(dir, ".medqr-*.tmp")
	if err != nil {
		return fmt.Errorf("failed to create a temporary file: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return fmt.Errorf("failed to set permissions of %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	if force {
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("failed to write %s: %w", path, err)
		}
		return nil
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s: %w", path, ErrExists)
		}
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	return nil
}

// staging is a private temporary folder inside the output folder; commit
// links its files into the output folder without replacing anything.
type staging struct {
	dir, tmp  string
	names     []string
	created   bool // dir did not exist before
	committed bool
}

func newStaging(dir string) (*staging, error) {
	_, statErr := os.Stat(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("failed to create output folder: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, ".medqr-staging-*")
	if err != nil {
		return nil, fmt.Errorf("failed to create a temporary folder in %s: %w", dir, err)
	}
	return &staging{dir: dir, tmp: tmp, created: os.IsNotExist(statErr)}, nil
}

// path returns the staging path of a final file name and records the name.
func (s *staging) path(name string) string {
	s.names = append(s.names, name)
	return filepath.Join(s.tmp, name)
}

func (s *staging) write(name string, b []byte, perm fs.FileMode) error {
	f, err := os.OpenFile(s.path(name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// commit links every staged file into the output folder. If a name is
// taken, or anything else fails, the links made so far are removed and
// nothing is left.
func (s *staging) commit() error {
	var done []string
	for _, n := range s.names {
		dst := filepath.Join(s.dir, n)
		if err := os.Link(filepath.Join(s.tmp, n), dst); err != nil {
			for _, d := range done {
				os.Remove(d)
			}
			if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("%s: %w", dst, ErrExists)
			}
			return fmt.Errorf("failed to write %s: %w", dst, err)
		}
		done = append(done, dst)
	}
	s.committed = true
	return nil
}

// cleanup removes the staging folder (after commit the files live on under
// their final names) and, without a commit, the output folder too if this
// staging created it and it is empty.
func (s *staging) cleanup() {
	os.RemoveAll(s.tmp)
	if s.created && !s.committed {
		os.Remove(s.dir) // fails, harmlessly, unless empty
	}
}
