package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"strings"

	"github.com/medqr/medqr/attacks/breaks"
	"github.com/medqr/medqr/attacks/oracle/keyed"
	"github.com/medqr/medqr/cipherimg"
	_ "github.com/medqr/medqr/cipherimg/schemes" // every scheme registered
	"github.com/medqr/medqr/data"
)

const attacksBreakUsage = `Usage:
    medqr attacks break --scheme NAME -k KEY --target CIPHER.png -o RECOVERED.png [flags]

Recover the plaintext of a cipher image with its scheme's attack (research).

Runs the scheme's attack (package attacks/breaks) to recover the plaintext of
CIPHER.png, a cipher image written by "medqr cipher encrypt --scheme NAME".
RESEARCH-ONLY. KEY builds an oracle and nothing else: the attack code sees
the oracle interface (chosen-plaintext encryptions under KEY, known pairs,
and decryptions of other cipher images where its model is chosen-ciphertext)
and the target, never KEY and never the target's plaintext. The oracle
encrypts like "medqr cipher encrypt": under the target's nonce when that is
the all-zero nonce of --nonce fixed, under fresh random nonces otherwise.

The attack counts as successful only when its candidate is proven: the
oracle encrypts the candidate to the target exactly (possible for schemes
without a nonce or with a reused one). Then RECOVERED.png is written (mode
0600) and the exit status is 0; otherwise nothing is written and the exit
status is 1.

Flags:
    --scheme NAME           scheme under attack (see "medqr cipher schemes"; required)
    -k, --key KEY|FILE      the key the oracle holds (required)
    --target FILE           cipher image to recover (required)
    -o, --output FILE       recovered plaintext PNG (required)
    --attack NAME           attack to run (default: the scheme's first)
    --known FILE            a known plaintext for known-plaintext attacks
                            (repeatable; default: a synthetic pattern image)
    --json                  print the outcome as JSON on stdout
    --force                 overwrite RECOVERED.png

Examples:
    medqr cipher encrypt --scheme arnold -k key.txt -o xray.arnold.png xray.png
    medqr attacks break --scheme arnold -k key.txt --target xray.arnold.png -o recovered.png
    medqr attacks break --scheme yang2023 -k key.txt --target y.png -o r.png --json
`

var attacksBreakCommand = &command{
	name:  "break",
	usage: attacksBreakUsage,
	run:   withFlags(noArgs("attacks break"), runAttacksBreak),
}

type attacksBreakOptions struct {
	scheme, key, target, output, attack string
	known                               stringList
	json, force                         bool
}

func (o *attacksBreakOptions) flags(fs *flag.FlagSet) {
	fs.StringVar(&o.scheme, "scheme", "", "")
	aliasVar(fs, &o.key, "", "k", "key")
	fs.StringVar(&o.target, "target", "", "")
	aliasVar(fs, &o.output, "", "o", "output")
	fs.StringVar(&o.attack, "attack", "", "")
	fs.Var(&o.known, "known", "")
	fs.BoolVar(&o.json, "json", false, "")
	fs.BoolVar(&o.force, "force", false, "")
}

// breakReport is what --json prints.
type breakReport struct {
	*breaks.Result
	Oracle struct {
		Decryption bool   `json:"decryption"`
		Nonce      string `json:"nonce"`
	} `json:"oracle"`
	Output string `json:"output,omitempty"`
}

func runAttacksBreak(ctx context.Context, e *env, o attacksBreakOptions, _ []string) error {
	switch {
	case o.scheme == "":
		return usageError{"attacks break needs --scheme NAME"}
	case o.key == "":
		return usageError{"attacks break needs -k KEY"}
	case o.target == "":
		return usageError{"attacks break needs --target CIPHER.png"}
	case o.output == "":
		return usageError{"attacks break needs -o RECOVERED.png"}
	}
	s, err := cipherimg.Lookup(o.scheme)
	if err != nil {
		return withHint(fmt.Errorf("unknown --scheme %q", o.scheme), "run \"medqr cipher schemes\" for the list")
	}
	var a breaks.Attack
	for _, b := range breaks.For(s.Name()) {
		if o.attack == "" || b.Name() == o.attack {
			a = b
			break
		}
	}
	if a == nil {
		var names []string
		for _, b := range breaks.For(s.Name()) {
			names = append(names, b.Name())
		}
		if len(names) == 0 {
			return fmt.Errorf("no attack is registered for %s", s.Name())
		}
		return usageError{fmt.Sprintf("no attack %q for %s (known: %s)", o.attack, s.Name(), strings.Join(names, ", "))}
	}
	key, err := parseCipherKey(e, o.key)
	if err != nil {
		return err
	}
	if err := cipherCheckOutput(o.target, o.output, o.force); err != nil {
		return err
	}
	target, err := readCipherImage(o.target)
	if err != nil {
		return err
	}
	if got := target.Header.SchemeName(); got != s.Name() {
		return withHint(fmt.Errorf("%s is a %s cipher image, not %s", o.target, got, s.Name()), "pass --scheme %s", got)
	}
	pol := keyed.Policy{Target: target, Decrypt: a.Model() == breaks.ChosenCiphertext}
	if n := target.Header.Nonce; len(n) > 0 && !strings.ContainsFunc(string(n), func(r rune) bool { return r != 0 }) {
		pol.NonceReuse = true
	}
	for _, k := range o.known {
		d, err := data.Load(k)
		if err != nil {
			return withHint(fmt.Errorf("failed to read known plaintext: %w", err), "pass PNG, JPEG or DICOM images with --known")
		}
		pol.Known = append(pol.Known, d.Image)
	}
	if len(pol.Known) == 0 {
		pol.Known = []image.Image{cipherimg.PatternImage(target.Header.Width, target.Header.Height, target.Header.Depth)}
	}
	orc, err := keyed.New(s, key, pol)
	if err != nil {
		return err
	}
	e.log.Infof("attacks break: %s (%s) on %s %dx%d", a.Name(), a.Model(), s.Name(), target.Header.Width, target.Header.Height)
	r, err := breaks.Run(ctx, a, orc, target)
	if err != nil {
		return err
	}
	rep := breakReport{Result: r}
	rep.Oracle.Decryption = pol.Decrypt
	switch {
	case len(target.Header.Nonce) == 0:
		rep.Oracle.Nonce = "none"
	case pol.NonceReuse:
		rep.Oracle.Nonce = "reused"
	default:
		rep.Oracle.Nonce = "fresh"
	}
	if r.Full {
		if err := cipherWritePNG(o.output, o.force, r.Recovered); err != nil {
			return err
		}
		rep.Output = o.output
	}
	if o.json {
		if err := e.printJSON(rep); err != nil {
			return fmt.Errorf("failed to encode the outcome: %w", err)
		}
	} else {
		fmt.Fprintf(e.stdout, "attack: %s (%s)\nqueries: %d chosen plaintexts, %d chosen ciphertexts, %d known pairs\ntime: %.3f s\nfull recovery claimed: %v\nnote: %s\n",
			r.Attack, r.Model, r.Queries.Encryptions, r.Queries.Decryptions, r.Queries.Known, r.Seconds, r.Full, r.Note)
	}
	if !r.Full {
		return withHint(errors.New("attack "+r.Attack+" did not recover "+o.target+": "+r.Note), "no file written; see docs/baselines.md for what each attack needs")
	}
	e.log.Infof("wrote the recovered plaintext %s", o.output)
	return nil
}
