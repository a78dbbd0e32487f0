// Package breaks holds the concrete attacks on the cipher-image schemes
// (package cipherimg and its sub-packages): one file per attack, and one
// table (targets.go) of the attacks each scheme faces. An attack sees the
// target cipher image and an oracle.Oracle, nothing else: this package imports
// attacks/oracle (the interface) and never attacks/oracle/keyed (the key
// holder); TestNoKeyAccess checks that.
//
// Success is never assumed. An attack that produces a candidate plaintext
// asks the oracle to encrypt it: for a deterministic scheme (no nonce, or a
// reused one) equal cipher images prove the candidate is the target's
// plaintext, because encryption is injective. That check, Verify, is what
// "full recovery claimed" means in every report.
package breaks

import (
	"context"
	"errors"
	"fmt"
	"image"
	"slices"
	"sync"
	"time"

	"github.com/medqr/medqr/attacks/oracle"
	"github.com/medqr/medqr/cipherimg"
)

// Model names an attack model.
type Model string

const (
	KnownPlaintext   Model = "known-plaintext"
	ChosenPlaintext  Model = "chosen-plaintext"
	ChosenCiphertext Model = "chosen-ciphertext"
)

// Attack recovers the plaintext of a target cipher image.
type Attack interface {
	// Name is a short identifier, e.g. "permutation-cpa".
	Name() string
	// Model is the attack model the oracle must grant.
	Model() Model
	// Source cites the literature the attack follows ("" when designed here).
	Source() string
	// Break returns a candidate plaintext (nil when the attack produced
	// none) and a note on what happened. It must not claim success: Run
	// verifies the candidate.
	Break(ctx context.Context, o oracle.Oracle, target Target) (image.Image, string, error)
}

// attack is an Attack given by value: its name, model and source, and the
// function that breaks. Every attack of this package but DNACPA (which
// takes a setting) is one, declared in its own file.
type attack struct {
	name   string
	model  Model
	source string
	run    func(ctx context.Context, o oracle.Oracle, target Target) (image.Image, string, error)
}

func (a *attack) Name() string   { return a.name }
func (a *attack) Model() Model   { return a.model }
func (a *attack) Source() string { return a.source }

func (a *attack) Break(ctx context.Context, o oracle.Oracle, target Target) (image.Image, string, error) {
	return a.run(ctx, o, target)
}

// Target is the cipher image an attack works on with its pixels decoded
// (Run decodes them once): Px holds W*H values of Depth bits, row-major.
type Target struct {
	*cipherimg.Cipher
	Px          []uint16
	W, H, Depth int
}

// Result is one attack run.
type Result struct {
	Scheme   string        `json:"scheme"`
	Attack   string        `json:"attack"`
	Model    Model         `json:"model"`
	Source   string        `json:"source,omitempty"`
	Queries  oracle.Counts `json:"queries"`
	Seconds  float64       `json:"seconds"`
	Produced bool          `json:"produced_image"`
	// Full: the oracle encrypted the candidate to the target exactly, so
	// the candidate is the plaintext (claimed only then).
	Full bool   `json:"full_recovery_claimed"`
	Note string `json:"note"`
	// Recovered is the candidate plaintext (nil when none was produced).
	Recovered image.Image `json:"-"`
}

var (
	mu       sync.RWMutex
	registry = map[string][]Attack{}
)

// Register adds an attack for a scheme; the first registered is the
// scheme's default (the one "medqr attacks break" runs).
func Register(scheme string, a Attack) {
	mu.Lock()
	defer mu.Unlock()
	for _, b := range registry[scheme] {
		if b.Name() == a.Name() {
			panic("breaks: attack " + a.Name() + " registered twice for " + scheme)
		}
	}
	registry[scheme] = append(registry[scheme], a)
}

// For returns the attacks registered for scheme, default first.
func For(scheme string) []Attack {
	mu.RLock()
	defer mu.RUnlock()
	return slices.Clone(registry[scheme])
}

// Run runs a on target with o, times it, verifies the candidate through
// the oracle (one more chosen plaintext, counted) and reports.
func Run(ctx context.Context, a Attack, o oracle.Oracle, target *cipherimg.Cipher) (*Result, error) {
	start := time.Now()
	px, w, h, depth, err := cipherimg.Pixels(target.Image)
	if err != nil {
		return nil, fmt.Errorf("breaks: %s: target: %w", a.Name(), err)
	}
	cand, note, err := a.Break(ctx, o, Target{Cipher: target, Px: px, W: w, H: h, Depth: depth})
	if err != nil {
		return nil, fmt.Errorf("breaks: %s: %w", a.Name(), err)
	}
	r := &Result{Scheme: o.Scheme(), Attack: a.Name(), Model: a.Model(), Source: a.Source(), Note: note, Recovered: cand}
	if cand != nil {
		r.Produced = true
		ok, err := Verify(o, cand, target)
		if err != nil {
			return nil, fmt.Errorf("breaks: %s: verification: %w", a.Name(), err)
		}
		r.Full = ok
	}
	r.Seconds = time.Since(start).Seconds()
	r.Queries = o.Counts()
	return r, nil
}

// Verify asks the oracle to encrypt cand and reports whether the result is
// the target (same pixels and same plaintext-dependent aux data). For a
// deterministic scheme that proves cand is the target's plaintext; with
// fresh nonces it is false even for the right plaintext, so nothing is
// ever claimed there.
func Verify(o oracle.Oracle, cand image.Image, target *cipherimg.Cipher) (bool, error) {
	c, err := o.Encrypt(cand)
	if err != nil {
		return false, err
	}
	if string(c.Header.Nonce) != string(target.Header.Nonce) || string(c.Header.Aux) != string(target.Header.Aux) {
		return false, nil
	}
	a, _, _, _, err := cipherimg.Pixels(c.Image)
	if err != nil {
		return false, err
	}
	b, _, _, _, err := cipherimg.Pixels(target.Image)
	if err != nil {
		return false, err
	}
	return slices.Equal(a, b), nil
}

// knownPair returns the pixels of the oracle's known pair i, which must
// have the target's size; ok is false when the oracle holds no pair i.
func knownPair(o oracle.Oracle, i int, t Target) (p, c []uint16, ok bool, err error) {
	pimg, cimg, err := o.Known(i)
	if errors.Is(err, oracle.ErrNoKnown) {
		return nil, nil, false, nil
	}
	if err != nil {
		return nil, nil, false, err
	}
	if p, _, _, _, err = cipherimg.Pixels(pimg); err != nil {
		return nil, nil, false, fmt.Errorf("known plaintext %d: %w", i, err)
	}
	if c, _, _, _, err = cipherimg.Pixels(cimg.Image); err != nil {
		return nil, nil, false, fmt.Errorf("known cipher image %d: %w", i, err)
	}
	if len(p) != len(t.Px) || len(c) != len(t.Px) {
		return nil, nil, false, fmt.Errorf("known pair %d is not %dx%d", i, t.W, t.H)
	}
	return p, c, true, nil
}

// noDecryption is the note of a chosen-ciphertext attack whose oracle
// grants no decryption.
const noDecryption = "no decryption oracle: the chosen-ciphertext model is not granted"

// decryptQuery has the oracle decrypt the pixels q, of the target's size,
// under the target's header (a chosen-ciphertext query) and returns the
// plaintext's pixels; the oracle's errors, oracle.ErrNoDecryption among
// them, come back wrapped.
func decryptQuery(ctx context.Context, o oracle.Oracle, q []uint16, t Target) ([]uint16, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := o.Decrypt(&cipherimg.Cipher{Image: cipherimg.ToImage(q, t.W, t.H, t.Depth), Header: t.Header})
	if err != nil {
		return nil, fmt.Errorf("decryption query: %w", err)
	}
	px, _, _, _, err := cipherimg.Pixels(p)
	return px, err
}
