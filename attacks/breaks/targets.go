package breaks

// targets lists the attacks registered for each scheme, the scheme's
// default (the one "medqr attacks break" runs) first; the reports list them
// in this order.
var targets = []struct {
	scheme  string
	attacks []Attack
}{
	// medqr's own scheme faces the generic attacks: with a fresh nonce per
	// image every chosen or known plaintext runs under a different keystream,
	// so none of them can relate the answers to the target, and Verify (one
	// more encryption, under yet another nonce) never confirms a candidate.
	// The chosen-ciphertext attack decrypts under the target's own nonce (it
	// travels in the header), but the coupling network and the S-box diffusion
	// are not affine, so its candidate is wrong. The report shows these
	// outcomes rather than asserting them.
	{"cipherimg", []Attack{KeystreamReuse, DiffusionStripCPA, PermutationCPA, AffineCCA, MalleabilityCCA}},
	// yang2023: see AffineCCA; its plaintext hash stops the chosen-plaintext
	// attacks, which stay as controls.
	{"yang2023", []Attack{AffineCCA, KeystreamReuse, PermutationCPA, MalleabilityCCA}},
	{"wang2020", []Attack{DNACPA{}, KeystreamReuse}},
	// The textbook controls: a permutation only (arnold), one round of
	// permutation and diffusion (logistic).
	{"arnold", []Attack{PermutationCPA, KeystreamReuse}},
	{"logistic", []Attack{DiffusionStripCPA, KeystreamReuse}},
	// The attacks on the learned baselines (cipherimg/deepkeygen,
	// cipherimg/lstm, cipherimg/sae). None needs a new algorithm: each scheme,
	// once its network has run, is one of the structures the attacks in this
	// package already break, because the network's input is a function of the
	// key alone.
	//
	//   - deepkeygen: c = p XOR K, K the key image (tiled). K depends on the
	//     key only, so KeystreamReuse recovers it from one known pair and
	//     decrypts every other image: 1 known pair, and the oracle encryption
	//     Run spends to verify.
	//   - lstm: c = p XOR k, k the LSTM keystream, a function of the key only;
	//     the same KeystreamReuse, 1 known pair.
	//   - sae: permutation pi then chained additive diffusion
	//     c_i = q_i + k_i + c_{i-1} (mod 256), q_i = p_{pi(i)}, with pi and k
	//     functions of the key and image size only. The differences
	//     c_i - c_{i-1} = q_i + k_i; the all-zero plaintext has q = 0 whatever
	//     pi is, so its cipher image gives k (with c_{-1} folded into k_0);
	//     subtracting k from any other cipher image's differences leaves the
	//     permuted plaintext q, a permutation-only cipher, which the digit
	//     images of PermutationCPA (ceil(log_256 N) of them, 2 for 256x256, 3
	//     for 2048x2048) reveal. DiffusionStripCPA does exactly this: 1 +
	//     ceil(log_256 N) chosen plaintexts, then the target decrypts exactly.
	//     KeystreamReuse is registered after it as a negative control: the
	//     permutation and the chaining defeat a single XOR or additive
	//     keystream, so it must claim nothing.
	//
	// Each attack's candidate is verified by the oracle (Run), so a claimed
	// recovery is exact; attacks/breaks/learned_test.go checks the claims
	// against the truth on targets the attacks never saw.
	{"deepkeygen", []Attack{KeystreamReuse}},
	{"lstm", []Attack{KeystreamReuse}},
	{"sae", []Attack{DiffusionStripCPA, KeystreamReuse, PermDiffusionKPA}},
}

func init() {
	for _, t := range targets {
		for _, a := range t.attacks {
			Register(t.scheme, a)
		}
	}
}
