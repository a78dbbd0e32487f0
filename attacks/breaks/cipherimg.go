package breaks

// medqr's own scheme faces the generic attacks: with a fresh nonce per
// image every chosen or known plaintext runs under a different keystream,
// so none of them can relate the answers to the target, and Verify (one
// more encryption, under yet another nonce) never confirms a candidate.
// The chosen-ciphertext attack decrypts under the target's own nonce (it
// travels in the header), but the coupling network and the S-box diffusion
// are not affine, so its candidate is wrong. The report shows these
// outcomes rather than asserting them.
func init() {
	Register("cipherimg", KeystreamReuse{})
	Register("cipherimg", DiffusionStripCPA{})
	Register("cipherimg", PermutationCPA{})
	Register("cipherimg", AffineCCA{})
}
