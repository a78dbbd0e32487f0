// Command genlearned writes the known-answer vectors of the learned
// baseline ciphers (deepkeygen, sae, lstm) into each package's
// testdata/vectors, from the current code and shipped weights. Run it from
// the repository root after a deliberate change of a scheme or its
// weights:
//
//	go run ./cipherimg/internal/genlearned
//
// The vectors pin every byte of the keystreams, so a change of any step,
// label, weight or rounding (including arithmetic that rounds differently
// on another processor) fails the packages' TestShared/vectors.
package main

import (
	"flag"
	"log"
	"os"
	"path/filepath"

	"github.com/medqr/medqr/cipherimg"
	"github.com/medqr/medqr/cipherimg/deepkeygen"
	"github.com/medqr/medqr/cipherimg/internal/learnedtest"
	"github.com/medqr/medqr/cipherimg/lstm"
	"github.com/medqr/medqr/cipherimg/sae"
)

func main() {
	root := flag.String("root", "cipherimg", "folder holding the scheme packages")
	flag.Parse()
	log.SetFlags(0)
	cases := []struct {
		name string
		c    learnedtest.Case
	}{
		{"1x1", learnedtest.Case{Comment: "1x1 8-bit", W: 1, H: 1, Seed: 1, Full: true}},
		{"7x5", learnedtest.Case{Comment: "7x5 8-bit", W: 7, H: 5, Seed: 2, Full: true}},
		{"1x13", learnedtest.Case{Comment: "1x13 8-bit", W: 1, H: 13, Seed: 3, Full: true}},
		{"16x16", learnedtest.Case{Comment: "16x16 8-bit", W: 16, H: 16, Seed: 4, Full: true}},
		{"256x256", learnedtest.Case{Comment: "256x256 8-bit (the paper's size), cipher as SHA-256", W: 256, H: 256, Seed: 5}},
		{"300x257", learnedtest.Case{Comment: "300x257 8-bit (odd size; deepkeygen tiles its key image), cipher as SHA-256", W: 300, H: 257, Seed: 6}},
	}
	for _, s := range []cipherimg.Scheme{deepkeygen.Scheme, sae.Scheme, lstm.Scheme} {
		dir := filepath.Join(*root, s.Name(), "testdata", "vectors")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			log.Fatal(err)
		}
		for _, c := range cases {
			b, err := learnedtest.Make(s, c.c)
			if err != nil {
				log.Fatalf("%s %s: %v", s.Name(), c.name, err)
			}
			if err := os.WriteFile(filepath.Join(dir, s.Name()+"-"+c.name+".txt"), b, 0o644); err != nil {
				log.Fatal(err)
			}
		}
		log.Printf("wrote %s/*.txt", dir)
	}
}
