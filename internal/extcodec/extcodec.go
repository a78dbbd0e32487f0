// Package extcodec runs independent image codecs from the command line
// (libjpeg's cjpeg, libwebp's cwebp, OpenJPEG's opj_compress and libavif's
// avifenc, all from Debian) fitted to a byte budget, so the learned codec
// can be compared with them at exactly the bytes a QR symbol holds.
//
// Fit searches each tool's quality parameter for the best quality whose
// output is at most budget bytes, then decodes the file back with the
// matching decoder and returns the 8-bit gray reconstruction. The tools are
// baselines for the results tables only; the product never shells out.
package extcodec

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
)

// ErrBudget means even the lowest quality the tool offers does not fit.
var ErrBudget = errors.New("extcodec: budget too small for the lowest quality")

// Tool is one external codec. Quality runs from Min (smallest file) to Max
// (largest file); size must not decrease with quality.
type Tool struct {
	Name     string // short name used in tables: "libjpeg", "webp", "jpeg2000", "avif"
	Binaries []string
	Min, Max int
	// Settings states the tool's fixed settings as a command line, with Q
	// for the parameter Fit searches; tables print it beside the numbers,
	// and a result cache keys on it.
	Settings string
	// encode writes the compressed file for quality q from the input PNG
	// or PGM in dir and returns its path.
	encode func(dir string, q int) (string, error)
	// decode turns a compressed file into a PNG or PGM path in dir.
	decode func(dir, compressed string) (string, error)
}

// Result is one fitted encoding.
type Result struct {
	Tool    string
	Quality int // the tool's own parameter at the chosen point
	Bytes   int
	Image   *image.Gray
	// File is the encoded file itself (Bytes long).
	File []byte
}

// Tools returns the four baselines in the order the tables list them.
func Tools() []Tool {
	return []Tool{libjpeg(), webp(), jpeg2000(), avif()}
}

// Available reports the tools whose binaries are all on PATH.
func (t Tool) Available() error {
	for _, b := range t.Binaries {
		if _, err := exec.LookPath(b); err != nil {
			return fmt.Errorf("extcodec: %s needs %q on PATH (run scripts/deps.sh results): %w", t.Name, b, err)
		}
	}
	return nil
}

// Fit encodes img with the best quality whose file fits in budget bytes.
func (t Tool) Fit(img *image.Gray, budget int) (*Result, error) {
	if err := t.Available(); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "medqr-extcodec-")
	if err != nil {
		return nil, fmt.Errorf("failed to make a temporary folder: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := writeInputs(dir, img); err != nil {
		return nil, err
	}
	size := func(q int) (int, string, error) {
		out, err := t.encode(dir, q)
		if err != nil {
			return 0, "", err
		}
		fi, err := os.Stat(out)
		if err != nil {
			return 0, "", fmt.Errorf("%s wrote no output: %w", t.Name, err)
		}
		return int(fi.Size()), out, nil
	}
	// Bisection for the largest q with size(q) <= budget, starting from
	// Min (the smallest file). The best fitting file is kept, so the chosen
	// quality is not encoded twice.
	lo, hi := t.Min, t.Max
	n, out, err := size(lo)
	if err != nil {
		return nil, err
	}
	if n > budget {
		return nil, fmt.Errorf("%w: %s needs %d bytes at quality %d, budget %d", ErrBudget, t.Name, n, lo, budget)
	}
	file, err := os.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("failed to read %s output: %w", t.Name, err)
	}
	for lo < hi {
		mid := (lo + hi + 1) / 2
		n, path, err := size(mid)
		if err != nil {
			return nil, err
		}
		if n <= budget {
			lo, out = mid, path
			if file, err = os.ReadFile(path); err != nil {
				return nil, fmt.Errorf("failed to read %s output: %w", t.Name, err)
			}
		} else {
			hi = mid - 1
		}
	}
	// Later candidates overwrote the output file: put the kept one back.
	if err := os.WriteFile(out, file, 0o600); err != nil {
		return nil, fmt.Errorf("failed to write %s output: %w", t.Name, err)
	}
	n = len(file)
	decoded, err := t.decode(dir, out)
	if err != nil {
		return nil, err
	}
	g, err := readGray(decoded)
	if err != nil {
		return nil, fmt.Errorf("failed to read %s reconstruction: %w", t.Name, err)
	}
	if g.Bounds().Dx() != img.Bounds().Dx() || g.Bounds().Dy() != img.Bounds().Dy() {
		return nil, fmt.Errorf("%s reconstruction is %v, want %v", t.Name, g.Bounds().Size(), img.Bounds().Size())
	}
	return &Result{Tool: t.Name, Quality: lo, Bytes: n, Image: g, File: file}, nil
}

func run(name string, args ...string) error {
	cmd := exec.Command(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s failed: %w: %s", name, err, bytes.TrimSpace(stderr.Bytes()))
	}
	return nil
}

func libjpeg() Tool {
	return Tool{
		Name: "libjpeg", Binaries: []string{"cjpeg", "djpeg"}, Min: 1, Max: 100,
		Settings: "cjpeg -quality Q -grayscale -optimize",
		encode: func(dir string, q int) (string, error) {
			out := filepath.Join(dir, "out.jpg")
			return out, run("cjpeg", "-quality", strconv.Itoa(q), "-grayscale", "-optimize", "-outfile", out, filepath.Join(dir, "in.pgm"))
		},
		decode: func(dir, in string) (string, error) {
			out := filepath.Join(dir, "dec.pgm")
			return out, run("djpeg", "-pnm", "-outfile", out, in)
		},
	}
}

func webp() Tool {
	return Tool{
		Name: "webp", Binaries: []string{"cwebp", "dwebp"}, Min: 0, Max: 100,
		Settings: "cwebp -q Q -m 6 -sharp_yuv",
		encode: func(dir string, q int) (string, error) {
			out := filepath.Join(dir, "out.webp")
			return out, run("cwebp", "-quiet", "-q", strconv.Itoa(q), "-m", "6", "-sharp_yuv", filepath.Join(dir, "in.png"), "-o", out)
		},
		decode: func(dir, in string) (string, error) {
			out := filepath.Join(dir, "dec.png")
			return out, run("dwebp", "-quiet", in, "-o", out)
		},
	}
}

// jpeg2000 bisects over a compression ratio: quality q maps to ratio
// 4000/q, so a larger q gives a larger file. The codestream (.j2k) carries no
// JP2 box overhead.
func jpeg2000() Tool {
	return Tool{
		Name: "jpeg2000", Binaries: []string{"opj_compress", "opj_decompress"}, Min: 1, Max: 4000,
		Settings: "opj_compress -r 4000/Q (raw .j2k codestream)",
		encode: func(dir string, q int) (string, error) {
			out := filepath.Join(dir, "out.j2k")
			ratio := strconv.FormatFloat(4000/float64(q), 'f', 4, 64)
			return out, run("opj_compress", "-i", filepath.Join(dir, "in.pgm"), "-o", out, "-r", ratio)
		},
		decode: func(dir, in string) (string, error) {
			out := filepath.Join(dir, "dec.pgm")
			return out, run("opj_decompress", "-quiet", "-i", in, "-o", out)
		},
	}
}

// AVIFSpeed is the libavif encoder speed the avif baseline runs at: 1, its
// best effort short of 0, which took twice as long per encode (1.6 s
// against 0.8 s for one 224x224 X-ray on this machine).
const AVIFSpeed = 1

// avif maps quality q to the AV1 quantizer 63-q (0 is lossless), monochrome
// (4:0:0), AOM's default tuning (PSNR), one thread.
func avif() Tool {
	speed := strconv.Itoa(AVIFSpeed)
	return Tool{
		Name: "avif", Binaries: []string{"avifenc", "avifdec"}, Min: 0, Max: 63,
		Settings: "avifenc -y 400 -s " + speed + " --min 63-Q --max 63-Q (whole file)",
		encode: func(dir string, q int) (string, error) {
			out := filepath.Join(dir, "out.avif")
			qq := strconv.Itoa(63 - q)
			return out, run("avifenc", "-y", "400", "-s", speed, "-j", "1", "--min", qq, "--max", qq, "--ignore-exif", "--ignore-xmp", "--ignore-icc", filepath.Join(dir, "in.png"), out)
		},
		decode: func(dir, in string) (string, error) {
			out := filepath.Join(dir, "dec.png")
			return out, run("avifdec", "-j", "1", in, out)
		},
	}
}

func writeInputs(dir string, img *image.Gray) error {
	b := img.Bounds()
	var pgm bytes.Buffer
	fmt.Fprintf(&pgm, "P5\n%d %d\n255\n", b.Dx(), b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		i := img.PixOffset(b.Min.X, y)
		pgm.Write(img.Pix[i : i+b.Dx()])
	}
	if err := os.WriteFile(filepath.Join(dir, "in.pgm"), pgm.Bytes(), 0o600); err != nil {
		return fmt.Errorf("failed to write input: %w", err)
	}
	var p bytes.Buffer
	if err := png.Encode(&p, img); err != nil {
		return fmt.Errorf("failed to encode input PNG: %w", err)
	}
	return os.WriteFile(filepath.Join(dir, "in.png"), p.Bytes(), 0o600)
}

// readGray reads a binary PGM (P5, maxval 255) or a PNG and returns its
// luma as 8-bit gray.
func readGray(path string) (*image.Gray, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if bytes.HasPrefix(raw, []byte("P5")) {
		return parsePGM(raw)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	if g, ok := img.(*image.Gray); ok {
		return g, nil
	}
	g := image.NewGray(img.Bounds())
	draw.Draw(g, g.Bounds(), img, img.Bounds().Min, draw.Src)
	return g, nil
}

func parsePGM(raw []byte) (*image.Gray, error) {
	// Header: "P5", width, height, maxval as whitespace-separated tokens
	// (with "#" comments), then exactly one whitespace byte before the pixels.
	var fields [4]int
	pos := 2
	for i := 1; i < 4; i++ {
		for pos < len(raw) && (raw[pos] == ' ' || raw[pos] == '\n' || raw[pos] == '\r' || raw[pos] == '\t' || raw[pos] == '#') {
			if raw[pos] == '#' { // comment to end of line
				for pos < len(raw) && raw[pos] != '\n' {
					pos++
				}
				continue
			}
			pos++
		}
		start := pos
		for pos < len(raw) && raw[pos] >= '0' && raw[pos] <= '9' {
			pos++
		}
		v, err := strconv.Atoi(string(raw[start:pos]))
		if err != nil || pos-start > 6 {
			return nil, fmt.Errorf("bad PGM header field %d", i)
		}
		fields[i] = v
	}
	w, h, maxv := fields[1], fields[2], fields[3]
	if maxv != 255 || w <= 0 || h <= 0 {
		return nil, fmt.Errorf("unsupported PGM: %dx%d maxval %d", w, h, maxv)
	}
	off := pos + 1
	if off > len(raw) || len(raw)-off < w*h {
		return nil, fmt.Errorf("truncated PGM: want %d pixel bytes", w*h)
	}
	g := image.NewGray(image.Rect(0, 0, w, h))
	copy(g.Pix, raw[off:off+w*h])
	return g, nil
}
