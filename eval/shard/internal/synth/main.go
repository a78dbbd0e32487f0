// Command synth writes a synthetic dataset of N distinct 8-bit gray PNG
// images (two class folders, A/ and B/) for the memory and throughput
// measurements of sharded runs (make scale-rss, docs/scale.md). The images
// are smooth seeded patterns with seeded noise, so every file has its own
// content hash; the same flags give the same files.
//
//	go run ./eval/shard/internal/synth -n 20000 -size 256 -o /tmp/synth
package main

import (
	"flag"
	"fmt"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
)

func main() {
	n := flag.Int("n", 20000, "number of images")
	size := flag.Int("size", 256, "image side in pixels")
	seed := flag.Uint64("seed", 1, "seed of the patterns and the noise")
	out := flag.String("o", "", "output folder (created; must not hold a previous set)")
	flag.Parse()
	if *out == "" || *n < 1 || *size < 8 {
		fmt.Fprintln(os.Stderr, "synth: usage: synth -n N -size S -o DIR")
		os.Exit(2)
	}
	if err := write(*out, *n, *size, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "synth:", err)
		os.Exit(1)
	}
}

func write(dir string, n, size int, seed uint64) error {
	for _, c := range []string{"A", "B"} {
		if err := os.MkdirAll(filepath.Join(dir, c), 0o755); err != nil {
			return err
		}
	}
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	g := image.NewGray(image.Rect(0, 0, size, size))
	sx, cy := make([]float64, size), make([]float64, size)
	for i := 0; i < n; i++ {
		r := rand.New(rand.NewPCG(seed, uint64(i)))
		fx, fy, ph := 1+r.Float64()*6, 1+r.Float64()*6, r.Float64()*2*math.Pi
		for k := range size { // the pattern is separable: one table per axis
			sx[k] = 80 * math.Sin(fx*float64(k)/float64(size)*math.Pi+ph)
			cy[k] = math.Cos(fy * float64(k) / float64(size) * math.Pi)
		}
		for y := 0; y < size; y++ {
			row := g.Pix[y*g.Stride : y*g.Stride+size]
			for x := range row {
				v := 128 + sx[x]*cy[y] + float64(int(r.Uint32()%25)-12)
				row[x] = uint8(max(0, min(255, v)))
			}
		}
		p := filepath.Join(dir, []string{"A", "B"}[i%2], fmt.Sprintf("img%06d.png", i))
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return err
		}
		if err := enc.Encode(f, g); err != nil {
			f.Close()
			return fmt.Errorf("failed to write %s: %w", p, err)
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}
