// Package trained holds what the trained baseline schemes
// (cipherimg/deepkeygen, cipherimg/lstm, cipherimg/sae) share: their
// common SchemeInfo (8-bit, no nonce, shipped weights), the check of their
// input, and the XOR with a keystream that depends on the key only, which
// is both encryption and decryption for deepkeygen and lstm.
package trained

import (
	"fmt"

	"github.com/medqr/medqr/cipherimg"
)

// Info describes a trained scheme: 8-bit images, no nonce (one key
// encrypts every image, as in the papers), trained weights.
func Info(citation, summary string) cipherimg.SchemeInfo {
	return cipherimg.SchemeInfo{Citation: citation, Summary: summary, Depths: []int{8}, Trained: true}
}

// Check refuses, with an error wrapping cipherimg.ErrUnsupported and
// naming the scheme, a depth other than 8, a size outside
// 1..MaxSide x 1..MaxSide or not matching len(px), and pixel values above
// 255.
func Check(scheme string, px []uint16, w, h, depth int) error {
	if depth != 8 {
		return fmt.Errorf("%w: %s covers 8-bit images, not %d-bit", cipherimg.ErrUnsupported, scheme, depth)
	}
	if w < 1 || h < 1 || w > cipherimg.MaxSide || h > cipherimg.MaxSide || len(px) != w*h {
		return fmt.Errorf("%w: %s: %dx%d image with %d pixels", cipherimg.ErrUnsupported, scheme, w, h, len(px))
	}
	for _, v := range px {
		if v > 255 {
			return fmt.Errorf("%w: %s: pixel value %d above 255", cipherimg.ErrUnsupported, scheme, v)
		}
	}
	return nil
}

// XOR checks px (as Check) and XORs it with the w*h keystream bytes, in
// row-major order, that stream returns for the key and the image size.
func XOR(scheme string, k cipherimg.Keying, px []uint16, w, h, depth int,
	stream func(key []byte, w, h int) ([]byte, error)) error {
	if err := Check(scheme, px, w, h, depth); err != nil {
		return err
	}
	ks, err := stream(k.Key[:], w, h)
	if err != nil {
		return err
	}
	for i := range px {
		px[i] ^= uint16(ks[i])
	}
	return nil
}
