// Package attacks is medqr's attack suite (medqr attacks, make attacks): it
// attacks the RESEARCH-ONLY cipher-image scheme (package cipherimg) and the
// product path (codec -> seal container -> qr symbol) and writes, with
// numbers and plots, what each withstands and what it does not.
//
// Run executes the six stages of a Config (noise, zeroed blocks and JPEG on
// the cipher image; the same damage on QR symbols per error-correction
// level; NPCR/UACI against Wu's critical values; classical chosen-plaintext
// attacks, the coupling inversion of the diffusion-off variant and a
// learned known-plaintext attack; brute-force cost per key mode; tampering
// with sealed messages) and writes report.json, report.md and the plots;
// RunShard runs the stages one shard owns (package eval/shard) and Render
// redraws a report from its report.json. Every run is seeded: research keys,
// nonces and the product containers it seals come from seeded streams
// (seal.WithRand, research only), so the same config gives the same
// report.json except the timing fields. The concrete attacks on the surveyed
// schemes are in package attacks/breaks, the literature-baseline harness in
// attacks/baselines. See docs/attacks.md.
package attacks
