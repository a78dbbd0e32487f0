package attacks

import (
	"bytes"
	"math/rand/v2"
	"slices"
)

// OpenFunc opens one sealed message (its containers, in any order) and
// returns the payload, or an error when it refuses.
type OpenFunc func(containers [][]byte) ([]byte, error)

// TamperKinds are the mutations the harness applies, in report order.
var TamperKinds = []string{
	"bit-flip",      // 1 to 8 random bits of one container flipped
	"truncate",      // one container cut to a random shorter length (0 included)
	"extend",        // 1 to 16 random bytes appended to one container
	"header-splice", // the first 1 to 64 bytes of one container taken from another message
	"symbol-swap",   // one container replaced by the same-index container of another message
	"duplicate",     // one container replaced by another container of the same message
	"drop",          // one container left out
}

// TamperKind is the outcome of one mutation kind.
type TamperKind struct {
	Kind     string `json:"kind"`
	Trials   int    `json:"trials"`   // mutations that changed the message
	Rejected int    `json:"rejected"` // refused by the opener
	Accepted int    `json:"accepted"` // opened although changed: a failure
	Wrong    int    `json:"wrong"`    // opened into a payload different from the original
	NoOp     int    `json:"no_op"`    // mutation left the message unchanged (not counted)
}

// TamperResult sums a tamper run.
type TamperResult struct {
	Mode     string         `json:"mode"`
	Messages int            `json:"messages"`
	Trials   int            `json:"trials"`
	Rejected int            `json:"rejected"`
	Accepted int            `json:"accepted"`
	Wrong    int            `json:"wrong"`
	Rate     float64        `json:"rejection_rate"`
	Kinds    []TamperKind   `json:"kinds"`
	Reasons  map[string]int `json:"reasons"` // why the opener refused, by class
}

// Tamper mutates the sealed messages trials times (round-robin over
// TamperKinds, random message and position) and opens each result with open.
// originals[i] is message i's true payload. classify names the class of a
// refusal (for example "auth" or "missing"). Only mutations that change at
// least one byte of the message count as trials, so a harness fed a
// container that does not authenticate reports Accepted > 0.
func Tamper(rng *rand.Rand, mode string, msgs [][][]byte, originals [][]byte, open OpenFunc, classify func(error) string, trials int) TamperResult {
	res := TamperResult{Mode: mode, Messages: len(msgs), Reasons: map[string]int{}}
	kinds := make([]TamperKind, len(TamperKinds))
	for i, k := range TamperKinds {
		kinds[i].Kind = k
	}
	for t := 0; res.Trials < trials; t++ {
		if t > 4*trials+100 {
			break // every mutation was a no-op: nothing more to try
		}
		ki := t % len(TamperKinds)
		mi := rng.IntN(len(msgs))
		mut, ok := mutate(rng, TamperKinds[ki], msgs, mi)
		if !ok || sameMessage(mut, msgs[mi]) {
			kinds[ki].NoOp++
			continue
		}
		kinds[ki].Trials++
		res.Trials++
		payload, err := open(mut)
		if err != nil {
			kinds[ki].Rejected++
			res.Rejected++
			res.Reasons[classify(err)]++
			continue
		}
		kinds[ki].Accepted++
		res.Accepted++
		if !bytes.Equal(payload, originals[mi]) {
			kinds[ki].Wrong++
			res.Wrong++
		}
	}
	res.Kinds = kinds
	if res.Trials > 0 {
		res.Rate = float64(res.Rejected) / float64(res.Trials)
	}
	return res
}

// mutate returns a changed copy of message mi, or false when the kind does
// not apply (for example "drop" on a one-container message).
func mutate(rng *rand.Rand, kind string, msgs [][][]byte, mi int) ([][]byte, bool) {
	m := make([][]byte, len(msgs[mi]))
	for i, c := range msgs[mi] {
		m[i] = slices.Clone(c)
	}
	ci := rng.IntN(len(m))
	c := m[ci]
	other := func() ([]byte, bool) {
		if len(msgs) < 2 {
			return nil, false
		}
		oi := rng.IntN(len(msgs) - 1)
		if oi >= mi {
			oi++
		}
		o := msgs[oi]
		return o[min(ci, len(o)-1)], true
	}
	switch kind {
	case "bit-flip":
		if len(c) == 0 {
			return nil, false
		}
		for range 1 + rng.IntN(8) {
			b := rng.IntN(len(c) * 8)
			c[b/8] ^= 1 << (b % 8)
		}
	case "truncate":
		if len(c) == 0 {
			return nil, false
		}
		m[ci] = c[:rng.IntN(len(c))]
	case "extend":
		m[ci] = append(c, randBytes(rng, 1+rng.IntN(16))...)
	case "header-splice":
		o, ok := other()
		if !ok {
			return nil, false
		}
		k := min(1+rng.IntN(64), len(o), len(c)-1)
		if k <= 0 {
			return nil, false
		}
		copy(c[:k], o[:k])
	case "symbol-swap":
		// Only a strict part of a message is swapped: replacing a whole
		// message by another one sealed under the same key is a replay,
		// which the container cannot tell from the original.
		if len(m) < 2 {
			return nil, false
		}
		o, ok := other()
		if !ok {
			return nil, false
		}
		m[ci] = slices.Clone(o)
	case "duplicate":
		if len(m) < 2 {
			return nil, false
		}
		j := rng.IntN(len(m) - 1)
		if j >= ci {
			j++
		}
		m[ci] = slices.Clone(m[j])
	case "drop":
		if len(m) < 2 {
			return nil, false
		}
		m = slices.Delete(m, ci, ci+1)
	default:
		panic("attacks: unknown tamper kind " + kind)
	}
	return m, true
}

func sameMessage(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
