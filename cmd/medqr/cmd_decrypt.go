package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/medqr/medqr/seal"
	"github.com/medqr/medqr/store"
)

const decryptUsage = `Usage:
    medqr decrypt (-k KEY | --passphrase-file FILE | -i IDENTITYFILE) [flags] -o OUT.png QR.png...

Decrypt QR code(s) made by "medqr encrypt" back to an image.

QR.png are the QR code images, in any order: the single code, every
numbered code of a set (encrypt --lossless or --codes), the sheet, or
photos/scans holding several codes (PNG or JPEG). Every symbol is
authenticated before anything is written; a wrong key or a damaged symbol
writes nothing. OUT.png is 8-bit gray, or 16-bit gray for a 16-bit
lossless image, mode 0600. When the images hold QR codes of several
records (a printed page, a photo), the record the key opens is decrypted
and the others are counted. Exit status 3 means the key is wrong or the QR
data was tampered with.

Flags:
    -k, --key KEY|KEYFILE     the key string (MEDQR-KEY-1...) or the key file
                              written by "medqr encrypt"
    --passphrase-file FILE    the passphrase, on the first line of FILE
    -i, --identity FILE       the identity file of the recipient (HPKE)
    -o, --output OUT.png      output image (required)
    --force                   overwrite OUT.png if it exists (never an
                              input: a QR image, key or reference)
    --reference IMAGE         report PSNR/SSIM against the original image
    --json                    print a JSON summary instead of text

Examples:
    medqr decrypt -k out/medqr-ID-key.txt -o back.png out/medqr-ID.png
    medqr decrypt -k MEDQR-KEY-1... -o back.png out/medqr-ID-sheet.png
`

func init() {
	register(&command{name: "decrypt", usage: decryptUsage, run: withFlags(someArgs("decrypt needs at least one QR image"), runDecrypt),
		summary: "decrypt QR code(s) made by \"medqr encrypt\" back to the image"})
}

type decryptOptions struct {
	key, passphraseFile, identity, output, reference string
	force, json                                      bool
}

func (o *decryptOptions) flags(fs *flag.FlagSet) {
	aliasVar(fs, &o.key, "", "k", "key")
	fs.StringVar(&o.passphraseFile, "passphrase-file", "", "")
	aliasVar(fs, &o.identity, "", "i", "identity")
	aliasVar(fs, &o.output, "", "o", "output")
	fs.BoolVar(&o.force, "force", false, "")
	fs.StringVar(&o.reference, "reference", "", "")
	fs.BoolVar(&o.json, "json", false, "")
}

// keyPrefix is how every key string starts; an argument with it is parsed
// as a key (so a typo is reported as such), anything else as a key file.
const keyPrefix = "MEDQR-KEY-"

// bech32Chars is the data alphabet of key strings after "MEDQR-KEY-1".
const bech32Chars = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

// keyAttempt reports whether a -k argument is meant as a key string rather
// than a file name, and returns it with white space removed (a key pasted
// with spaces or line breaks inside) and the prefix restored when only the
// body ("1..." in the bech32 alphabet, any case) was pasted. Such an
// argument is parsed as a key and never echoed.
func keyAttempt(arg string) (string, bool) {
	s := strings.Join(strings.Fields(arg), "")
	if strings.HasPrefix(strings.ToUpper(s), "MEDQR") && !strings.ContainsAny(s, "/.") {
		// A key string, or an identity or public recipient string in the
		// wrong place: seal.ParseKey says which.
		return s, true
	}
	if len(s) < 20 || s[0] != '1' {
		return "", false
	}
	for _, r := range strings.ToLower(s[1:]) {
		if !strings.ContainsRune(bech32Chars, r) {
			return "", false
		}
	}
	if strings.ToLower(s) == s {
		return strings.ToLower(keyPrefix) + s, true
	}
	return keyPrefix + strings.ToUpper(s), true
}

// echoable reports whether a credential argument (-k, -i,
// --passphrase-file) that names no existing file may appear in an error:
// only when it reads as a path (a folder separator or a short file-name
// extension, no white space), which a key string or a typical passphrase
// does not.
func echoable(arg string) bool {
	if arg == "" || strings.ContainsAny(arg, " \t\r\n") {
		return false
	}
	if strings.ContainsRune(arg, '/') {
		return true
	}
	ext := filepath.Ext(arg)
	if len(ext) < 2 || len(ext) > 5 {
		return false
	}
	for _, r := range ext[1:] {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// missingCredential is the error for a credential file that does not
// exist; it names the file only when echoable allows.
func missingCredential(what, flag, arg string) error {
	if echoable(arg) {
		return fmt.Errorf("no %s %s", what, arg)
	}
	return fmt.Errorf("no %s at the %s argument (not shown: it may be a secret)", what, flag)
}

func decryptOpener(e *env, o decryptOptions) (seal.Opener, error) {
	switch {
	case o.key != "":
		if s, ok := keyAttempt(o.key); ok {
			k, err := seal.ParseKey(s)
			if err != nil {
				return nil, withHint(fmt.Errorf("invalid key: %w", err), "the key string is mistyped or truncated: copy it again, whole (MEDQR-KEY-1...), from the key file written by \"medqr encrypt\"")
			}
			return seal.KeyOpener(k), nil
		}
		s := o.key
		if _, err := os.Stat(s); errors.Is(err, os.ErrNotExist) {
			return nil, withHint(missingCredential("key file", "-k", s), "pass the key string (MEDQR-KEY-1...) or the path of the key file written by \"medqr encrypt\"")
		}
		k, err := seal.ReadKeyFile(s)
		err = permissionWarning(e, err)
		if err != nil {
			return nil, withHint(fmt.Errorf("failed to read key: %w", err), "pass the key string (MEDQR-KEY-1...) or the key file written by \"medqr encrypt\"")
		}
		return seal.KeyOpener(k), nil
	case o.passphraseFile != "":
		pass, err := readPassphraseFile(o.passphraseFile)
		if err != nil {
			return nil, err
		}
		return seal.PassphraseOpener(pass), nil
	default:
		if _, err := os.Stat(o.identity); errors.Is(err, os.ErrNotExist) {
			return nil, withHint(missingCredential("identity file", "-i", o.identity), "pass the identity file written by \"medqr keygen --recipient\"")
		}
		id, err := seal.ReadIdentityFile(o.identity)
		err = permissionWarning(e, err)
		if err != nil {
			return nil, withHint(fmt.Errorf("failed to read identity: %w", err), "pass the identity file written by \"medqr keygen --recipient\"")
		}
		return seal.IdentityOpener(id), nil
	}
}

// decryptSummary is the --json output of decrypt.
type decryptSummary struct {
	Output       string `json:"output"`
	Bytes        int    `json:"bytes"`
	Codec        string `json:"codec"`
	Level        string `json:"level"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	Depth        int    `json:"depth"`
	Symbols      int    `json:"symbols"`
	PayloadBytes int    `json:"payload_bytes"`
	// OtherCodes counts the medqr QR codes read besides the opened
	// record's (OtherRecords other records, or damaged codes).
	OtherCodes   int              `json:"other_codes"`
	OtherRecords int              `json:"other_records"`
	Fidelity     *fidelitySummary `json:"fidelity,omitempty"`
}

func runDecrypt(_ context.Context, e *env, o decryptOptions, inputs []string) error {
	if o.output == "" {
		return usageError{"missing -o OUT.png"}
	}
	n := 0
	for _, s := range []string{o.key, o.passphraseFile, o.identity} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return usageError{"pass exactly one of -k KEY, --passphrase-file FILE or -i IDENTITYFILE"}
	}
	out := o.output
	if err := outputNotInput(o, inputs); err != nil {
		return err
	}
	if _, err := os.Lstat(out); err == nil && !o.force {
		return outputExists(out)
	}
	opener, err := decryptOpener(e, o)
	if err != nil {
		return err
	}
	dec, err := store.Decrypt(inputs, opener)
	if err != nil {
		return decryptError(err)
	}
	sum := decryptSummary{
		Output: out, Codec: dec.Codec, Level: dec.Level, Width: dec.Meta.Width, Height: dec.Meta.Height,
		Depth: dec.Meta.Depth, Symbols: dec.Symbols, PayloadBytes: dec.Payload,
		OtherCodes: dec.Others, OtherRecords: dec.OtherRecords,
	}
	if o.reference != "" {
		ref, err := store.Reference(o.reference, dec)
		if err != nil {
			return withHint(fmt.Errorf("failed to read --reference: %w", err), "%s", cmp.Or(inputHint(err, o.reference), "pass the original image that was encrypted"))
		}
		sum.Fidelity = fidelity(ref, dec.Image, "the reference "+o.reference+" as encrypt codes it")
		if sum.Fidelity == nil {
			warningf(e, "the reference %s cannot be compared with the decrypted %dx%d image", o.reference, sum.Width, sum.Height)
		}
	}
	if err := store.WritePNG(out, dec.Image, o.force); err != nil {
		if errors.Is(err, store.ErrExists) {
			return outputExists(out)
		}
		return fmt.Errorf("failed to write %s: %w", out, err)
	}
	if fi, err := os.Stat(out); err == nil {
		sum.Bytes = int(fi.Size())
	}
	if o.json {
		return e.printJSON(sum)
	}
	fmt.Fprintf(e.stdout, "decrypted %d QR code(s): %dx%d %d-bit, codec %s, level %s\n", sum.Symbols, sum.Width, sum.Height, sum.Depth, sum.Codec, sum.Level)
	fmt.Fprintf(e.stdout, "image:  %s (%d bytes)\n", out, sum.Bytes)
	if sum.OtherCodes > 0 {
		fmt.Fprintf(e.stdout, "others: %d more medqr QR code(s) were present (%d other record(s)) and were not opened\n", sum.OtherCodes, sum.OtherRecords)
	}
	if sum.Fidelity != nil {
		fmt.Fprintf(e.stdout, "fidelity: %s\n", sum.Fidelity)
	}
	return nil
}

// outputNotInput refuses an output path that is one of the command's
// inputs (a QR image, the key, identity or passphrase file, the reference),
// with or without --force: overwriting it would lose the key or the data.
func outputNotInput(o decryptOptions, qrs []string) error {
	out := o.output
	for _, in := range qrs {
		if sameFile(in, out) {
			return withHint(fmt.Errorf("output %s is one of the input files", out), "choose another -o: medqr never writes over an input, even with --force")
		}
	}
	key := o.key
	if _, ok := keyAttempt(key); ok {
		key = ""
	}
	for _, in := range []struct{ path, what string }{
		{key, "the key file (-k)"},
		{o.identity, "the identity file (-i)"},
		{o.passphraseFile, "the passphrase file"},
		{o.reference, "the --reference image"},
	} {
		if in.path != "" && sameFile(in.path, out) {
			return withHint(fmt.Errorf("output %s is %s", out, in.what), "choose another -o: medqr never writes over an input, even with --force")
		}
	}
	return nil
}

func sameFile(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	if err1 == nil && err2 == nil {
		return os.SameFile(fa, fb)
	}
	pa, _ := filepath.Abs(a)
	pb, _ := filepath.Abs(b)
	return pa == pb
}

// decryptError adds the next step to a decryption failure and marks
// authentication failures for exit status 3.
func decryptError(err error) error {
	var me *seal.MissingError
	var sfe *seal.FormatError
	switch {
	case errors.Is(err, store.ErrDamaged):
		return authError{withHint(err, "scan or copy the QR code again from the original; a code altered after encryption cannot be opened")}
	case errors.Is(err, seal.ErrAuth):
		return authError{withHint(err, "check that the key belongs to these QR codes; if it does, a code was damaged or altered: scan it again from the original")}
	case errors.As(err, &me):
		return withHint(err, "pass every numbered QR code of the set (medqr-ID-NNofMM.png) or the sheet medqr-ID-sheet.png")
	case errors.Is(err, seal.ErrMixed):
		return withHint(err, "pass the QR codes of one record only (their files share the medqr-ID prefix)")
	case errors.Is(err, store.ErrForeignQR):
		return withHint(err, "medqr decrypts only QR codes made by \"medqr encrypt\"")
	case errors.Is(err, store.ErrNoQR):
		return withHint(err, "pass the QR code PNG written by \"medqr encrypt\"; a photo or scan needs at least 2 pixels per module, sharp and uncropped")
	case errors.Is(err, store.ErrNotImage):
		return withHint(err, "pass the QR code image (PNG or JPEG), not the key file or the record")
	case errors.Is(err, seal.ErrVersion):
		return withHint(err, "if the code was made by a newer medqr, decrypt it with that release; if not, the version byte was damaged: scan the code again from the original")
	case errors.As(err, &sfe):
		return withHint(err, "the QR code starts like a medqr code but its header is damaged: scan it again from the original")
	case errors.Is(err, os.ErrNotExist):
		return withHint(err, "check the paths of the QR images")
	}
	return err
}
