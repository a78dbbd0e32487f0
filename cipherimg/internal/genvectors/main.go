// Command genvectors writes cipherimg's known-answer vectors and PNG test
// files. Run it from the cipherimg directory ("go generate"); it
// overwrites testdata/vectors/*.txt and testdata/png/*.png.
//
// The vectors pin the scheme's output for both keystreams, so a change of
// any step, label or keystream (including a chaotic map that rounds
// differently on another CPU) fails TestVectors.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"image"
	"image/png"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/medqr/medqr/cipherimg"
	"github.com/medqr/medqr/cipherimg/arnold"
	"github.com/medqr/medqr/cipherimg/logistic"
	"github.com/medqr/medqr/cipherimg/wang2020"
	"github.com/medqr/medqr/cipherimg/yang2023"
	"github.com/medqr/medqr/internal/pngchunk"
	"github.com/medqr/medqr/internal/testimg"
	"github.com/medqr/medqr/keystream"
	"github.com/medqr/medqr/seal"
)

type vector struct {
	name    string
	comment string
	kind    keystream.Kind
	w, h    int
	depth   int
	opts    cipherimg.Options
	pattern bool // large: plaintext from patternImage, cipher as SHA-256
}

func main() {
	out := flag.String("out", "testdata", "output directory")
	flag.Parse()
	log.SetFlags(0)
	var key seal.Key
	for i := range key {
		key[i] = byte(i)
	}
	var vs []vector
	for _, k := range []struct {
		name string
		kind keystream.Kind
	}{{"chacha20", keystream.ChaCha20}, {"chaos", keystream.Chaos}} {
		add := func(name, comment string, w, h, depth int, o cipherimg.Options) {
			o.Keystream = k.kind
			vs = append(vs, vector{name: k.name + "-" + name, comment: comment + ", " + k.name + " keystream", kind: k.kind, w: w, h: h, depth: depth, opts: o})
		}
		add("1x1-8bit", "1x1 8-bit, full scheme", 1, 1, 8, cipherimg.Options{})
		add("7x5-8bit", "7x5 8-bit, full scheme", 7, 5, 8, cipherimg.Options{})
		add("1x13-8bit", "1x13 8-bit, full scheme", 1, 13, 8, cipherimg.Options{})
		add("64x64-8bit", "64x64 8-bit, full scheme", 64, 64, 8, cipherimg.Options{})
		add("9x6-16bit", "9x6 16-bit, full scheme", 9, 6, 16, cipherimg.Options{})
		add("16x16-8bit-2rounds-4layers", "16x16 8-bit, 2 rounds of 4 coupling layers", 16, 16, 8, cipherimg.Options{Rounds: 2, Layers: 4})
		add("16x16-8bit-permutation-only", "16x16 8-bit, permutation only", 16, 16, 8, cipherimg.Options{NoNetwork: true, NoDiffusion: true})
		add("16x16-8bit-network-only", "16x16 8-bit, network only", 16, 16, 8, cipherimg.Options{NoPermutation: true, NoDiffusion: true})
		add("16x16-8bit-diffusion-only", "16x16 8-bit, diffusion only", 16, 16, 8, cipherimg.Options{NoPermutation: true, NoNetwork: true})
		add("257x256-8bit", "257x256 8-bit (pile permutation), full scheme", 257, 256, 8, cipherimg.Options{})
		vs[len(vs)-1].pattern = true
		add("300x230-16bit", "300x230 16-bit (pile permutation), full scheme", 300, 230, 16, cipherimg.Options{})
		vs[len(vs)-1].pattern = true
	}
	dir := filepath.Join(*out, "vectors")
	must(os.MkdirAll(dir, 0o755))
	for _, v := range vs {
		// The plaintext's seed comes from the vector's name, so adding a
		// vector leaves the others unchanged.
		img := plainFor(v.name, v.w, v.h, v.depth, v.pattern)
		v.opts.Nonce = make([]byte, cipherimg.NonceSize)
		for j := range v.opts.Nonce {
			v.opts.Nonce[j] = byte(0xa0 + j)
		}
		c, err := cipherimg.Encrypt(img, key, v.opts)
		must(err)
		writeVector(filepath.Join(dir, v.name+".txt"), v.comment, key, img, c, v.pattern)
	}
	log.Printf("wrote %d vectors to %s", len(vs), dir)
	writeSchemeVectors(dir, key)
	writePNGs(filepath.Join(*out, "png"), key)
}

// writeSchemeVectors writes known-answer vectors of the literature
// baselines (one file per scheme and size; the scheme is in the header).
func writeSchemeVectors(dir string, key seal.Key) {
	type sv struct {
		scheme  string
		w, h    int
		depth   int
		pattern bool
	}
	var svs []sv
	for _, s := range []string{arnold.Name, logistic.Name, wang2020.Name, yang2023.Name} {
		svs = append(svs, sv{s, 1, 1, 8, false}, sv{s, 7, 5, 8, false}, sv{s, 31, 17, 8, false}, sv{s, 256, 256, 8, true})
	}
	svs = append(svs, sv{arnold.Name, 9, 6, 16, false}, sv{logistic.Name, 9, 6, 16, false})
	for _, v := range svs {
		name := fmt.Sprintf("%s-%dx%d-%dbit", v.scheme, v.w, v.h, v.depth)
		s, err := cipherimg.Lookup(v.scheme)
		must(err)
		img := plainFor(name, v.w, v.h, v.depth, v.pattern)
		c, err := cipherimg.EncryptWith(s, img, key, nil)
		must(err)
		comment := fmt.Sprintf("%s %dx%d %d-bit, %s", v.scheme, v.w, v.h, v.depth, s.Info().Citation)
		writeVector(filepath.Join(dir, name+".txt"), comment, key, img, c, v.pattern)
	}
	log.Printf("wrote %d baseline vectors to %s", len(svs), dir)
}

// plainFor returns a vector's plaintext: PatternImage for a pattern vector,
// else noise seeded by the vector's name, so that adding a vector leaves
// the others unchanged.
func plainFor(name string, w, h, depth int, pattern bool) image.Image {
	if pattern {
		return cipherimg.PatternImage(w, h, depth)
	}
	seed := sha256.Sum256([]byte(name))
	return testimg.Noise(rand.New(rand.NewPCG(binary.BigEndian.Uint64(seed[:]), 0x6d65647172)), w, h, depth)
}

// writeVector writes one known-answer vector file: the plain and cipher
// pixels in hex, or for a pattern plaintext the cipher's SHA-256.
func writeVector(path, comment string, key seal.Key, plain image.Image, c *cipherimg.Cipher, pattern bool) {
	hd, err := c.Header.MarshalText()
	must(err)
	var b bytes.Buffer
	fmt.Fprintf(&b, "comment: %s\n", comment)
	fmt.Fprintf(&b, "key: %s\n", hex.EncodeToString(key[:]))
	fmt.Fprintf(&b, "header: %s\n", hd)
	if pattern {
		sum := sha256.Sum256(testimg.Bytes(c.Image))
		fmt.Fprintf(&b, "plain: pattern\n")
		fmt.Fprintf(&b, "cipher-sha256: %s\n", hex.EncodeToString(sum[:]))
	} else {
		fmt.Fprintf(&b, "plain: %s\n", hex.EncodeToString(testimg.Bytes(plain)))
		fmt.Fprintf(&b, "cipher: %s\n", hex.EncodeToString(testimg.Bytes(c.Image)))
	}
	must(os.WriteFile(path, b.Bytes(), 0o644))
}

// writePNGs writes valid cipher PNGs and invalid variants for ReadPNG's
// tests and fuzz seeds. TestReadPNGFiles holds the expected outcomes.
func writePNGs(dir string, key seal.Key) {
	must(os.MkdirAll(dir, 0o755))
	nonce := bytes.Repeat([]byte{0x5a}, cipherimg.NonceSize)
	rng := rand.New(rand.NewPCG(1, 2))
	write := func(name string, b []byte) { must(os.WriteFile(filepath.Join(dir, name), b, 0o644)) }
	enc := func(img image.Image, o cipherimg.Options) []byte {
		o.Nonce = nonce
		c, err := cipherimg.Encrypt(img, key, o)
		must(err)
		var b bytes.Buffer
		must(cipherimg.WritePNG(&b, c))
		return b.Bytes()
	}
	valid8 := enc(testimg.Noise(rng, 12, 9, 8), cipherimg.Options{})
	write("valid-8bit.png", valid8)
	write("valid-16bit.png", enc(testimg.Noise(rng, 5, 4, 16), cipherimg.Options{Keystream: keystream.Chaos}))
	write("valid-weakened.png", enc(testimg.Noise(rng, 3, 7, 8), cipherimg.Options{NoDiffusion: true, Rounds: 3, Layers: 1}))

	// A plain PNG without the header chunk.
	var b bytes.Buffer
	must(png.Encode(&b, testimg.Noise(rng, 4, 4, 8)))
	write("invalid-no-header.png", b.Bytes())
	// Truncated in the middle of the image data.
	write("invalid-truncated.png", valid8[:len(valid8)-20])
	// Header text edited: each rewrites the tEXt chunk with a correct CRC,
	// as a careless tool would.
	edit := func(name, from, to string) {
		write(name, replaceHeader(valid8, from, to))
	}
	edit("invalid-size-mismatch.png", "width=12", "width=13")
	edit("invalid-depth-mismatch.png", "depth=8", "depth=16")
	edit("invalid-version.png", "version=2", "version=9")
	edit("invalid-v2-no-scheme.png", "scheme=cipherimg ", "")
	edit("invalid-keystream.png", "keystream=chacha20", "keystream=rot13")
	edit("invalid-unknown-field.png", "layers=2", "layers=2 color=red")
	edit("invalid-missing-field.png", " rounds=1", "")
	// The tEXt chunk with its CRC broken.
	bad := bytes.Clone(valid8)
	i := bytes.Index(bad, []byte(cipherimg.HeaderKeyword))
	bad[i+len(cipherimg.HeaderKeyword)+5] ^= 1
	write("invalid-crc.png", bad)
	// Re-saved as RGBA by another program, header kept.
	c, err := cipherimg.ReadPNG(bytes.NewReader(valid8))
	must(err)
	rgba := image.NewRGBA(c.Image.Bounds())
	for y := 0; y < c.Image.Bounds().Dy(); y++ {
		for x := 0; x < c.Image.Bounds().Dx(); x++ {
			rgba.Set(x, y, c.Image.At(x, y))
		}
	}
	b.Reset()
	must(png.Encode(&b, rgba))
	hdr := chunkOf(valid8, cipherimg.HeaderKeyword)
	p := b.Bytes()
	write("invalid-resaved-rgba.png", append(append(append([]byte{}, p[:pngchunk.IHDREnd]...), hdr...), p[pngchunk.IHDREnd:]...))
	// The literature baselines: one valid file each, and broken headers.
	for _, name := range []string{arnold.Name, logistic.Name, wang2020.Name, yang2023.Name} {
		s, err := cipherimg.Lookup(name)
		must(err)
		c, err := cipherimg.EncryptWith(s, testimg.Noise(rng, 6, 5, 8), key, nil)
		must(err)
		var b bytes.Buffer
		must(cipherimg.WritePNG(&b, c))
		write("valid-"+name+".png", b.Bytes())
		if name == yang2023.Name {
			yang := b.Bytes()
			i := bytes.Index(yang, []byte(" aux="))
			write("invalid-aux-short.png", replaceHeader(yang, string(yang[i:i+9]), " aux="))
			write("invalid-unknown-scheme.png", replaceHeader(yang, "scheme=yang2023", "scheme=nosuch"))
			write("invalid-scheme-options.png", replaceHeader(yang, "depth=8", "depth=8 rounds=1"))
		}
	}
	log.Printf("wrote PNG test files to %s", dir)
}

// chunkOf returns the whole tEXt chunk (length, type, data, CRC) whose
// keyword is kw.
func chunkOf(p []byte, kw string) []byte {
	for rest := p[8:]; len(rest) >= 12; {
		n := binary.BigEndian.Uint32(rest)
		typ := string(rest[4:8])
		if typ == "tEXt" && bytes.HasPrefix(rest[8:], []byte(kw+"\x00")) {
			return bytes.Clone(rest[:12+n])
		}
		rest = rest[12+n:]
	}
	panic("chunk not found")
}

// replaceHeader rewrites the header chunk's text with a valid CRC.
func replaceHeader(p []byte, from, to string) []byte {
	old := chunkOf(p, cipherimg.HeaderKeyword)
	text := bytes.Replace(old[8:len(old)-4], []byte(from), []byte(to), 1)
	if bytes.Equal(text, old[8:len(old)-4]) {
		panic("header edit " + from + " matched nothing")
	}
	return bytes.Replace(p, old, pngchunk.Append(nil, "tEXt", text), 1)
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
