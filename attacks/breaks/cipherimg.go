package breaks

// medqr's own scheme faces the generic attacks: with a fresh nonce per
// image every query runs under a different keystream, so none of them can
// relate the answers to the target, and Verify (one more encryption, under
// yet another nonce) never confirms a candidate. The report shows that
// outcome rather than asserting it.
func init() {
	Register("cipherimg", KeystreamReuse{})
	Register("cipherimg", DiffusionStripCPA{})
	Register("cipherimg", PermutationCPA{})
}
