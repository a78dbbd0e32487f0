package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"strings"

	"github.com/medqr/medqr/cipherimg"
	"github.com/medqr/medqr/cipherimg/schemes"
	"github.com/medqr/medqr/data"
	"github.com/medqr/medqr/keystream"
	"github.com/medqr/medqr/seal"
	"github.com/medqr/medqr/store"
)

const cipherUsage = `Usage:
    medqr cipher schemes
    medqr cipher encrypt -k KEY [--scheme NAME] [flags] -o OUT.png IMAGE
    medqr cipher decrypt -k KEY [--force] -o OUT.png CIPHER.png

The paper's cipher-image scheme and the published image ciphers it is
compared with. RESEARCH-ONLY.

This is NOT how medqr protects images: none of these schemes has
authentication (a wrong key or a tampered file decrypts to noise without any
error) and the header is not protected. Use "medqr encrypt" for real data.
They exist so that the paper's claims (NPCR, UACI, entropy, noise and crop
robustness) and the surveyed schemes can be measured and attacked (see
docs/baselines.md and "medqr attacks break").

"schemes" lists the schemes, "encrypt" writes a cipher image, "decrypt"
reads one back. Each subcommand has its own help: "medqr help cipher
encrypt".

Flags:
    -h, --help    this help

Examples:
    medqr cipher schemes
    medqr keygen -o key.txt
    medqr cipher encrypt -k key.txt -o xray.cipher.png xray.png
    medqr cipher decrypt -k key.txt -o xray.back.png xray.cipher.png
`

const cipherSchemesUsage = `Usage:
    medqr cipher schemes

List the cipher-image schemes. RESEARCH-ONLY.

Prints the scheme names, one per line, cipherimg (the paper's scheme)
first: the names "medqr cipher encrypt --scheme" and "medqr attacks break
--scheme" take.

Flags:
    -h, --help    this help

Examples:
    medqr cipher schemes
`

const cipherEncryptUsage = `Usage:
    medqr cipher encrypt -k KEY [--scheme NAME] [flags] -o OUT.png IMAGE

Encrypt an image into a noise-like cipher image. RESEARCH-ONLY: no
authentication (see "medqr help cipher"); use "medqr encrypt" for real data.

IMAGE is a PNG, JPEG or DICOM file; 8-bit images give an 8-bit cipher image,
deeper ones a 16-bit cipher image of the same size. The cipher image is a
normal grayscale PNG; its header (nonce, keystream, size, options) is in a
tEXt chunk, so keep the PNG byte for byte (no re-saving, no metadata strip).
Schemes whose papers use one key for every image have no nonce: they ignore
--nonce, and encrypting two images under one key reuses everything.

Flags:
    -k, --key KEY|FILE       256-bit key string (MEDQR-KEY-1...) or key file,
                             e.g. from "medqr keygen -o key.txt" (required)
    -o, --output FILE        output PNG (required)
    --scheme NAME            scheme (default cipherimg; see "medqr cipher schemes")
    --nonce random|fixed     fresh random nonce (default), or a fixed all-zero
                             nonce for differential tests (reuses keystreams);
                             ignored by schemes without a nonce
    --force                  overwrite OUT.png
    --keystream chacha|chaos (cipherimg only) keystream generator (default chacha)
    --rounds N               (cipherimg only) rounds of permutation+network+diffusion
                             (default 1)
    --layers N               (cipherimg only) coupling layers per round (default 2)
    --no-permutation, --no-network, --no-diffusion
                             (cipherimg only) switch a step off (weakened
                             variants for attacks)

Examples:
    medqr cipher encrypt -k key.txt -o xray.cipher.png xray.png
    medqr cipher encrypt --scheme yang2023 -k key.txt -o xray.yang.png xray.png
    medqr cipher encrypt -k MEDQR-KEY-1... --rounds 2 -o xray.cipher.png xray.png
`

const cipherDecryptUsage = `Usage:
    medqr cipher decrypt -k KEY [--force] -o OUT.png CIPHER.png

Decrypt a cipher image written by "medqr cipher encrypt". RESEARCH-ONLY.

The scheme and its options are read from the cipher image's header. There
is no authentication: a wrong key or a damaged file gives noise, not an
error (see "medqr help cipher").

Flags:
    -k, --key KEY|FILE       the key string (MEDQR-KEY-1...) or key file used to
                             encrypt (required)
    -o, --output FILE        output PNG (required)
    --force                  overwrite OUT.png (never the input)

Examples:
    medqr cipher decrypt -k key.txt -o xray.back.png xray.cipher.png
    medqr cipher decrypt -k MEDQR-KEY-1... -o xray.back.png xray.yang.png
`

// cipherOptions are the flags of "medqr cipher decrypt", and of encrypt
// with cipherEncryptOptions.
type cipherOptions struct {
	key    string
	output string
	force  bool
}

func (o *cipherOptions) flags(fs *flag.FlagSet) {
	aliasVar(fs, &o.key, "", "k", "key")
	aliasVar(fs, &o.output, "", "o", "output")
	fs.BoolVar(&o.force, "force", false, "")
}

// ready checks the flags every cipher subcommand needs and warns that the
// scheme is research-only.
func (o *cipherOptions) ready(e *env) error {
	if o.key == "" {
		return usageError{"missing -k KEY"}
	}
	if o.output == "" {
		return usageError{"missing -o OUT.png"}
	}
	warningf(e, "\"medqr cipher\" is a RESEARCH-ONLY scheme without authentication; use \"medqr encrypt\" to protect images")
	return nil
}

type cipherEncryptOptions struct {
	cipherOptions
	scheme        string
	keystream     string
	nonce         string
	rounds        int
	layers        int
	noPermutation bool
	noNetwork     bool
	noDiffusion   bool
}

func (o *cipherEncryptOptions) flags(fs *flag.FlagSet) {
	o.cipherOptions.flags(fs)
	fs.StringVar(&o.scheme, "scheme", cipherimg.SchemeName, "")
	fs.StringVar(&o.keystream, "keystream", "chacha", "")
	fs.StringVar(&o.nonce, "nonce", "random", "")
	fs.IntVar(&o.rounds, "rounds", cipherimg.DefaultRounds, "")
	fs.IntVar(&o.layers, "layers", cipherimg.DefaultLayers, "")
	fs.BoolVar(&o.noPermutation, "no-permutation", false, "")
	fs.BoolVar(&o.noNetwork, "no-network", false, "")
	fs.BoolVar(&o.noDiffusion, "no-diffusion", false, "")
}

// checkFlags refuses cipherimg's own flags with another scheme.
func (o *cipherEncryptOptions) checkFlags(fs *flag.FlagSet) error {
	if o.scheme == cipherimg.SchemeName {
		return nil
	}
	var own []string
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "keystream", "rounds", "layers", "no-permutation", "no-network", "no-diffusion":
			own = append(own, "--"+f.Name)
		}
	})
	if len(own) > 0 {
		return usageError{fmt.Sprintf("%s applies to --scheme cipherimg only, not %s", strings.Join(own, ", "), o.scheme)}
	}
	return nil
}

func init() {
	register(&command{
		name:    "cipher",
		summary: "RESEARCH-ONLY cipher-image scheme (noise-like image, not authenticated)",
		usage:   cipherUsage,
		subs: []*command{
			{name: "schemes", usage: cipherSchemesUsage, run: withFlags(noArgs("cipher schemes"), runCipherSchemes)},
			{name: "encrypt", usage: cipherEncryptUsage, run: withFlags(oneArg("cipher encrypt needs exactly one input file"), runCipherEncrypt)},
			{name: "decrypt", usage: cipherDecryptUsage, run: withFlags(oneArg("cipher decrypt needs exactly one input file"), runCipherDecrypt)},
		},
	})
}

func runCipherSchemes(_ context.Context, e *env, _ noOptions, _ []string) error {
	for _, n := range schemes.Names() {
		fmt.Fprintln(e.stdout, n)
	}
	return nil
}

// parseCipherKey accepts a key string (anything starting MEDQR-KEY-, so a
// typo is reported as such) or the path of a key file.
func parseCipherKey(e *env, s string) (seal.Key, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(strings.ToUpper(s), "MEDQR-KEY-") {
		k, err := seal.ParseKey(s)
		if err != nil {
			return k, withHint(fmt.Errorf("invalid key: %w", err),
				"pass the key string (MEDQR-KEY-1...) used for encryption, or its key file")
		}
		return k, nil
	}
	k, err := seal.ReadKeyFile(s)
	err = permissionWarning(e, err)
	if errors.Is(err, os.ErrNotExist) {
		return k, withHint(fmt.Errorf("no key file %s", s),
			"pass a key string (MEDQR-KEY-1...) or a key file from \"medqr keygen -o FILE\"")
	}
	if err != nil {
		return k, withHint(fmt.Errorf("failed to read key: %w", err),
			"pass a key string (MEDQR-KEY-1...) or a key file from \"medqr keygen -o FILE\"")
	}
	return k, nil
}

func runCipherEncrypt(ctx context.Context, e *env, o cipherEncryptOptions, args []string) error {
	in := args[0]
	if err := o.ready(e); err != nil {
		return err
	}
	if o.scheme != cipherimg.SchemeName {
		return runSchemeEncrypt(ctx, e, o, in)
	}
	opts := cipherimg.Options{
		Rounds: o.rounds, Layers: o.layers,
		NoPermutation: o.noPermutation, NoNetwork: o.noNetwork, NoDiffusion: o.noDiffusion,
	}
	var err error
	if opts.Keystream, err = keystream.ParseKind(o.keystream); err != nil {
		return usageError{fmt.Sprintf("unknown --keystream %q: want chacha or chaos", o.keystream)}
	}
	switch o.nonce {
	case "random":
	case "fixed":
		opts.Nonce = make([]byte, cipherimg.NonceSize)
		warningf(e, "--nonce fixed reuses the keystream of every image encrypted with this key; use it only for differential tests")
	default:
		return usageError{fmt.Sprintf("unknown --nonce %q: want random or fixed", o.nonce)}
	}
	if o.rounds < 1 || o.rounds > cipherimg.MaxRounds {
		return usageError{fmt.Sprintf("--rounds %d outside 1..%d", o.rounds, cipherimg.MaxRounds)}
	}
	if o.layers < 1 || o.layers > cipherimg.MaxLayers {
		return usageError{fmt.Sprintf("--layers %d outside 1..%d", o.layers, cipherimg.MaxLayers)}
	}
	key, img, err := o.input(e, in)
	if err != nil {
		return err
	}
	c, err := cipherimg.Encrypt(img, key, opts)
	if err != nil {
		return fmt.Errorf("failed to encrypt %s: %w", in, err)
	}
	return o.write(e, c, "")
}

// input reads the key and the image to encrypt, after checking that the
// output may be written. An 8-bit source that the decoder widened to 16
// bits is encrypted as 8-bit.
func (o *cipherEncryptOptions) input(e *env, in string) (seal.Key, image.Image, error) {
	key, err := parseCipherKey(e, o.key)
	if err != nil {
		return key, nil, err
	}
	if err := cipherCheckOutput(in, o.output, o.force); err != nil {
		return key, nil, err
	}
	d, err := data.Load(in)
	if err != nil {
		return key, nil, err
	}
	if g, ok := d.Image.(*image.Gray16); ok && d.Meta.BitDepth <= 8 {
		return key, gray16To8(g), nil
	}
	return key, d.Image, nil
}

// write writes the cipher image c of scheme (named in the log line unless
// it is "") to the output.
func (o *cipherEncryptOptions) write(e *env, c *cipherimg.Cipher, scheme string) error {
	err := cipherWriteFile(o.output, o.force, func(w io.Writer) error { return cipherimg.WritePNG(w, c) })
	if err != nil {
		return err
	}
	if scheme != "" {
		scheme += " "
	}
	e.log.Infof("wrote %d-bit %dx%d %scipher image %s", c.Header.Depth, c.Header.Width, c.Header.Height, scheme, o.output)
	return nil
}

func runCipherDecrypt(_ context.Context, e *env, o cipherOptions, args []string) error {
	in := args[0]
	if err := o.ready(e); err != nil {
		return err
	}
	key, err := parseCipherKey(e, o.key)
	if err != nil {
		return err
	}
	if err := cipherCheckOutput(in, o.output, o.force); err != nil {
		return err
	}
	c, err := readCipherImage(in)
	if err != nil {
		return err
	}
	img, err := cipherimg.Decrypt(c, key)
	if err != nil {
		return fmt.Errorf("failed to decrypt %s: %w", in, err)
	}
	e.log.Infof("scheme %s (from the header)", c.Header.SchemeName())
	if err := cipherWritePNG(o.output, o.force, img); err != nil {
		return err
	}
	e.log.Infof("wrote %s (no authentication: a wrong key gives noise, not an error)", o.output)
	return nil
}

// runSchemeEncrypt encrypts with a scheme other than cipherimg: no options
// besides the nonce, which only schemes with a nonce use.
func runSchemeEncrypt(_ context.Context, e *env, o cipherEncryptOptions, in string) error {
	s, err := cipherimg.Lookup(o.scheme)
	if err != nil {
		return withHint(fmt.Errorf("unknown --scheme %q", o.scheme), "run \"medqr cipher schemes\" for the list")
	}
	info := s.Info()
	var nonce []byte
	switch o.nonce {
	case "random", "fixed":
	default:
		return usageError{fmt.Sprintf("unknown --nonce %q: want random or fixed", o.nonce)}
	}
	switch {
	case info.NonceSize == 0 && info.AuxSize > 0:
		warningf(e, "%s has no nonce, as its paper: its keys vary only with a %d-byte hash of the image, which travels in the cipher image's header in the clear (see docs/baselines.md)", s.Name(), info.AuxSize)
	case info.NonceSize == 0:
		warningf(e, "%s uses one key for every image without a nonce, as its paper does: images encrypted under one key share every key-derived sequence (see docs/baselines.md)", s.Name())
	case o.nonce == "fixed":
		nonce = make([]byte, info.NonceSize)
		warningf(e, "--nonce fixed reuses the keystream of every image encrypted with this key; use it only for differential tests")
	}
	key, img, err := o.input(e, in)
	if err != nil {
		return err
	}
	c, err := cipherimg.EncryptWith(s, img, key, nonce)
	if errors.Is(err, cipherimg.ErrUnsupported) {
		return withHint(fmt.Errorf("failed to encrypt %s: %w", in, err), "%s covers %s images; convert the image, or pick a scheme from \"medqr cipher schemes\"", s.Name(), info.DepthText())
	}
	if err != nil {
		return fmt.Errorf("failed to encrypt %s: %w", in, err)
	}
	return o.write(e, c, s.Name())
}

// gray16To8 keeps 8-bit sources 8-bit when the decoder widened them.
func gray16To8(g *image.Gray16) *image.Gray {
	b := g.Bounds()
	out := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			out.Pix[y*out.Stride+x] = uint8(g.Gray16At(b.Min.X+x, b.Min.Y+y).Y)
		}
	}
	return out
}

// cipherCheckOutput refuses to overwrite the input or an existing file without
// --force.
func cipherCheckOutput(in, out string, force bool) error {
	if sameFile(in, out) {
		return usageError{fmt.Sprintf("output %s is the input file", out)}
	}
	if _, err := os.Stat(out); err == nil && !force {
		return outputExists(out)
	}
	return nil
}

// readCipherImage reads the cipher image at path, a PNG written by "medqr
// cipher encrypt" (cipher decrypt and attacks break read one).
func readCipherImage(path string) (*cipherimg.Cipher, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, withHint(fmt.Errorf("failed to open cipher image: %w", err), "pass a cipher image written by \"medqr cipher encrypt\"")
	}
	defer f.Close()
	c, err := cipherimg.ReadPNG(f)
	if err != nil {
		return nil, withHint(fmt.Errorf("failed to read %s: %w", path, err), "pass the PNG written by \"medqr cipher encrypt\", unchanged")
	}
	return c, nil
}

// cipherWritePNG writes img, a decrypted or recovered plaintext, as an
// ordinary PNG through cipherWriteFile.
func cipherWritePNG(path string, force bool, img image.Image) error {
	return cipherWriteFile(path, force, func(w io.Writer) error { return png.Encode(w, img) })
}

// cipherWriteFile writes what write makes to path, mode 0600, with
// store.WriteFileAtomic: a failure leaves no partial output, and a file
// that appeared at path meanwhile is replaced only with force.
func cipherWriteFile(path string, force bool, write func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	err := store.WriteFileAtomic(path, buf.Bytes(), 0o600, force)
	if errors.Is(err, store.ErrExists) {
		return outputExists(path)
	}
	return err
}
