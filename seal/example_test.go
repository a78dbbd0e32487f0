package seal_test

import (
	"fmt"
	"log"

	"github.com/medqr/medqr/seal"
)

// Seal a codec payload into one level-M QR symbol with a fresh key, then
// open it.
func Example() {
	key, err := seal.GenerateKey()
	if err != nil {
		log.Fatal(err)
	}
	const capacityM = 2331 // QR version 40, level M, byte mode
	s := seal.NewKeySealer(key)
	fmt.Println("budget:", seal.PayloadBudget(capacityM, s))

	meta := seal.Meta{Codec: 2, Width: 256, Height: 256, Depth: 8, Level: 'M'}
	containers, err := seal.SealMessage(meta, []byte("codec payload"), capacityM, s)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("symbols:", len(containers), "bytes:", len(containers[0]))

	// The key travels as a string (or a key file); parse it back.
	k2, err := seal.ParseKey(key.String())
	if err != nil {
		log.Fatal(err)
	}
	m, payload, err := seal.OpenMessage(containers, seal.KeyOpener(k2))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%dx%d %q\n", m.Width, m.Height, payload)

	other, _ := seal.GenerateKey()
	_, _, err = seal.OpenMessage(containers, seal.KeyOpener(other))
	fmt.Println(err)
	// Output:
	// budget: 2283
	// symbols: 1 bytes: 2331
	// 256x256 "codec payload"
	// seal: authentication failed: wrong key, or the data was damaged or tampered with
}
