// Command llbench measures the lossless codec against PNG (Go, best
// compression) and, when installed, WebP lossless (cwebp -lossless -z 6) and
// JPEG 2000 lossless (opj_compress) on shipped X-rays preprocessed to
// 256x256 8-bit, and on the exact 16-bit pixels of the shipped chest DICOM.
// It prints a Markdown table and exits non-zero if the codec's output does
// not decode exactly.
//
//	go run ./codec/internal/llbench -n 20 > results/lossless/table.md
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/medqr/medqr/codec"
	"github.com/medqr/medqr/data"
	"github.com/medqr/medqr/internal/testimg"
	"github.com/medqr/medqr/qr"
	"github.com/medqr/medqr/seal"
)

func main() {
	samples := flag.String("samples", "data/samples/kermany_cxr_224", "folder of X-rays (class subfolders)")
	n := flag.Int("n", 20, "number of images (sorted by path)")
	size := flag.Int("size", data.DefaultSize, "working size")
	tools := flag.Bool("tools", true, "also measure cwebp and opj_compress when installed")
	flag.Parse()
	useTools = *tools
	if err := run(*samples, *n, *size); err != nil {
		fmt.Fprintln(os.Stderr, "llbench:", err)
		os.Exit(1)
	}
}

var useTools bool

type row struct {
	name  string
	bytes map[string]int
	px    int
}

func run(dir string, n, size int) error {
	var paths []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".jpeg") || strings.HasSuffix(p, ".png") || strings.HasSuffix(p, ".dcm")) {
			paths = append(paths, p)
		}
		return nil
	})
	sort.Strings(paths)
	if len(paths) > n {
		paths = paths[:n]
	}
	if len(paths) == 0 {
		return fmt.Errorf("no images in %s", dir)
	}
	tmp, err := os.MkdirTemp("", "llbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	ll := codec.Lossless{}
	methods := []string{"medqr lossless", "PNG (Go, best)"}
	_, errW := exec.LookPath("cwebp")
	_, errJ := exec.LookPath("opj_compress")
	if !useTools {
		errW, errJ = exec.ErrNotFound, exec.ErrNotFound
	}
	if errW == nil {
		methods = append(methods, "WebP lossless -z 6")
	}
	if errJ == nil {
		methods = append(methods, "JPEG 2000 lossless")
	}
	measure := func(img image.Image) (map[string]int, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		out := map[string]int{}
		p, err := ll.Encode(img, 0)
		if err != nil {
			return nil, err
		}
		back, err := ll.Decode(p)
		if err != nil {
			return nil, err
		}
		if err := testimg.SamePixels(img, back); err != nil {
			return nil, fmt.Errorf("lossless round trip is not exact: %w", err)
		}
		out[methods[0]] = len(p)
		var buf bytes.Buffer
		if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img); err != nil {
			return nil, err
		}
		out[methods[1]] = buf.Len()
		src := filepath.Join(tmp, "in.png")
		if err := os.WriteFile(src, buf.Bytes(), 0o644); err != nil {
			return nil, err
		}
		if errW == nil {
			if _, is16 := img.(*image.Gray16); !is16 { // WebP is 8-bit only
				dst := filepath.Join(tmp, "o.webp")
				if b, err := exec.CommandContext(ctx, "cwebp", "-quiet", "-lossless", "-z", "6", src, "-o", dst).CombinedOutput(); err != nil {
					return nil, fmt.Errorf("cwebp: %v: %s", err, b)
				}
				fi, _ := os.Stat(dst)
				out["WebP lossless -z 6"] = int(fi.Size())
			}
		}
		if errJ == nil {
			dst := filepath.Join(tmp, "o.j2k")
			os.Remove(dst)
			if b, err := exec.CommandContext(ctx, "opj_compress", "-i", src, "-o", dst).CombinedOutput(); err != nil {
				return nil, fmt.Errorf("opj_compress: %v: %s", err, b)
			}
			fi, _ := os.Stat(dst)
			out["JPEG 2000 lossless"] = int(fi.Size())
		}
		return out, nil
	}
	var rows []row
	for _, p := range paths {
		d, err := data.Load(p)
		if err != nil {
			return err
		}
		img := data.Preprocess(d.Display(), size)
		m, err := measure(img)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		rows = append(rows, row{filepath.Base(p), m, size * size})
	}
	fmt.Printf("Lossless coding of %d shipped X-rays (%s) preprocessed to %dx%d 8-bit gray.\n", len(rows), dir, size, size)
	fmt.Printf("Bytes per image (mean and median), bits per pixel of the mean, and QR symbols a\n")
	fmt.Printf("key-sealed message of the mean size needs at levels L and M.\n\n")
	fmt.Println("| method | mean bytes | median bytes | bits/pixel | vs PNG | symbols L | symbols M |")
	fmt.Println("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
	k, _ := seal.GenerateKey()
	s := seal.NewKeySealer(k)
	pngMean := mean(rows, methods[1])
	for _, m := range methods {
		mu := mean(rows, m)
		fmt.Printf("| %s | %.0f | %d | %.3f | %.3f | %d | %d |\n", m, mu, median(rows, m), 8*mu/float64(size*size), mu/pngMean,
			seal.SymbolCount(int(mu+0.5), qr.Capacity(qr.L), s), seal.SymbolCount(int(mu+0.5), qr.Capacity(qr.M), s))
	}

	// The 16-bit chest DICOM at its native size, exact stored pixels.
	const dcm = "data/samples/dicom/nema_CR-MONO1-10-chest_nometa.dcm"
	if d, err := data.Load(dcm); err == nil {
		m, err := measure(d.Image)
		if err != nil {
			return fmt.Errorf("%s: %w", dcm, err)
		}
		b := d.Image.Bounds()
		fmt.Printf("\nExact stored pixels of %s (%dx%d, %d-bit in 16-bit samples):\n\n", dcm, b.Dx(), b.Dy(), d.Meta.BitDepth)
		fmt.Println("| method | bytes | bits/pixel |")
		fmt.Println("| --- | ---: | ---: |")
		for _, name := range methods {
			if v, ok := m[name]; ok {
				fmt.Printf("| %s | %d | %.3f |\n", name, v, 8*float64(v)/float64(b.Dx()*b.Dy()))
			}
		}
	}
	return nil
}

func mean(rows []row, m string) float64 {
	var s float64
	for _, r := range rows {
		s += float64(r.bytes[m])
	}
	return s / float64(len(rows))
}

func median(rows []row, m string) int {
	v := make([]int, len(rows))
	for i, r := range rows {
		v[i] = r.bytes[m]
	}
	sort.Ints(v)
	return v[len(v)/2]
}
