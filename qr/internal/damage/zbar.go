package damage

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
)

// zbar runs zbarimg on PNG files in a private temporary directory.
type zbar struct {
	path, dir, version string
	n                  atomic.Int64
}

func newZbar(path string) (*zbar, error) {
	out, err := exec.Command(path, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("damage: failed to run %s --version: %w", path, err)
	}
	dir, err := os.MkdirTemp("", "medqr-qrdamage-")
	if err != nil {
		return nil, fmt.Errorf("damage: %w", err)
	}
	return &zbar{path: path, dir: dir, version: strings.TrimSpace(string(out))}, nil
}

func (z *zbar) close() { os.RemoveAll(z.dir) }

// read decodes img with zbarimg, QR only, binary output. found is false
// when zbarimg finds no symbol (its exit status 4).
func (z *zbar) read(img image.Image) (payload []byte, found bool, err error) {
	f := filepath.Join(z.dir, fmt.Sprintf("t%d.png", z.n.Add(1)))
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img); err != nil {
		return nil, false, err
	}
	if err := os.WriteFile(f, buf.Bytes(), 0o600); err != nil {
		return nil, false, err
	}
	defer os.Remove(f)
	cmd := exec.Command(z.path, "--raw", "-q", "-Sdisable", "-Sqrcode.enable", "-Sbinary", f)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return stdout.Bytes(), true, nil
	case errors.As(err, &ee) && ee.ExitCode() == 4:
		return nil, false, nil
	}
	return nil, false, fmt.Errorf("zbarimg: %w: %s", err, strings.TrimSpace(stderr.String()))
}
