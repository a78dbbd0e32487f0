package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"os"
	"strings"

	"github.com/medqr/medqr/codec"
	"github.com/medqr/medqr/data"
	"github.com/medqr/medqr/eval"
	"github.com/medqr/medqr/qr"
	"github.com/medqr/medqr/seal"
	"github.com/medqr/medqr/store"
)

const encryptUsage = `Usage:
    medqr encrypt [flags] -o DIR IMAGE

Encrypt an X-ray into a QR code and a key.

IMAGE is a PNG, JPEG or DICOM file. By default it is preprocessed to 256x256
8-bit gray, coded to fit one QR code at the chosen level, sealed with a fresh
random 256-bit key (HKDF-SHA256 and ChaCha20-Poly1305, see docs/sealing.md), and
written to DIR as:

    DIR/medqr-ID.png        the QR code (hand this out)
    DIR/medqr-ID-key.txt    the key file, mode 0600 (keep it apart from the QR code)
    DIR/medqr-ID.json       a record: id, time, codec, level, sizes, sha256 of the
                            PNGs; no patient data and no key

With --lossless the exact pixels (8- or 16-bit) are split over numbered QR
codes medqr-ID-NNofMM.png, also laid out on one page medqr-ID-sheet.png.
With --codes N one lossy image is spread over up to N such numbered codes at
a larger size: 256 x floor(sqrt(N)), so 4 codes give 512x512, 9 give 768x768
and 16 give 1024x1024, never more than the source's shorter side. --psnr P
instead picks the fewest codes (up to --codes, default 16) whose decoded
image reaches P dB, at the size those codes imply, or at --size S when
given (to choose the resolution and let the target choose the codes). Both
decrypt like a --lossless set: the numbered files in any order, the sheet,
or a photo.
Nothing in DIR is ever overwritten; on any error nothing is written.

Flags:
    -o, --output DIR          output folder (created if needed) (required)
    --level L|M|Q|H           QR error correction: L holds the most, H survives
                              the most damage (default M)
    --codec NAME              iwave, learned, jpeg or lossless (default: iwave,
                              the best measured at every QR level)
    --lossless                exact pixels over as many QR codes as needed
                              (implies --codec lossless)
    --size N                  working size NxN (default 256; with --lossless the
                              default is the exact native image; with --codes
                              it follows the code count, see above)
    --codes N                 spread one lossy image over up to N QR codes
                              (1..64) at a larger size
    --psnr P                  pick the fewest codes (up to --codes, default 16)
                              whose decoded image reaches P dB PSNR
    --px N                    pixels per QR module, 4..32 (default 4)
    --frame N                 frame of a multi-frame DICOM, from 1 (default 1)
    --passphrase-file FILE    seal with a passphrase (Argon2id) read from FILE
                              instead of a random key
    --recipient medqr1...     seal to a recipient's public key (HPKE); only the
                              holder of the identity can decrypt
    --print-key               also print the key string on stdout (key mode)
    --json                    print a JSON summary instead of text

Examples:
    medqr encrypt -o out chest.dcm
    medqr encrypt --level H -o out chest.png
    medqr encrypt --lossless --level L -o out chest.png
    medqr encrypt --codes 16 --level L -o out chest.dcm
    medqr encrypt --psnr 45 --size 1024 --level L -o out chest.dcm
    medqr decrypt -k out/medqr-ID-key.txt -o back.png out/medqr-ID.png
`

func init() {
	register(&command{name: "encrypt", usage: encryptUsage, run: withFlags(oneArg("encrypt needs exactly one input image"), runEncrypt),
		summary: "encrypt an X-ray (PNG, JPEG, DICOM) into a QR code and a key"})
}

type encryptOptions struct {
	output, level, codec, passphraseFile, recipient string
	size, codes, px, frame                          int
	psnr                                            float64
	lossless, printKey, json                        bool
}

func (o *encryptOptions) flags(fs *flag.FlagSet) {
	aliasVar(fs, &o.output, "", "o", "output")
	fs.StringVar(&o.level, "level", "M", "")
	fs.StringVar(&o.codec, "codec", "", "")
	fs.BoolVar(&o.lossless, "lossless", false, "")
	fs.IntVar(&o.size, "size", 0, "")
	fs.IntVar(&o.codes, "codes", 0, "")
	fs.Float64Var(&o.psnr, "psnr", 0, "")
	fs.IntVar(&o.px, "px", qr.DefaultPxPerModule, "")
	fs.IntVar(&o.frame, "frame", 1, "")
	fs.StringVar(&o.passphraseFile, "passphrase-file", "", "")
	fs.StringVar(&o.recipient, "recipient", "", "")
	fs.BoolVar(&o.printKey, "print-key", false, "")
	fs.BoolVar(&o.json, "json", false, "")
}

// encryptSummary is the --json output of encrypt.
type encryptSummary struct {
	ID           string           `json:"id"`
	Codec        string           `json:"codec"`
	Level        string           `json:"level"`
	Mode         string           `json:"mode"`
	Width        int              `json:"width"`
	Height       int              `json:"height"`
	Depth        int              `json:"depth"`
	Symbols      int              `json:"symbols"`
	PayloadBytes int              `json:"payload_bytes"`
	SealedBytes  int              `json:"sealed_bytes"`
	QR           []fileSummary    `json:"qr"`
	Sheet        *fileSummary     `json:"sheet,omitempty"`
	KeyFile      string           `json:"key_file,omitempty"`
	Record       string           `json:"record"`
	Fidelity     *fidelitySummary `json:"fidelity,omitempty"`
	Notes        []string         `json:"notes,omitempty"`
}

type fileSummary struct {
	Path   string `json:"path"`
	Bytes  int    `json:"bytes"`
	SHA256 string `json:"sha256,omitempty"`
}

// fidelitySummary compares an output image with its reference. Exact
// images have no finite PSNR, so they report exact=true instead.
type fidelitySummary struct {
	Against string   `json:"against"`
	Exact   bool     `json:"exact"`
	PSNR    *float64 `json:"psnr_db,omitempty"`
	SSIM    *float64 `json:"ssim,omitempty"`
}

func fidelity(ref, got image.Image, against string) *fidelitySummary {
	s, err := eval.MeasureShown(ref, got)
	if err != nil {
		return nil
	}
	f := &fidelitySummary{Against: against, Exact: s.Exact}
	if !s.Exact {
		f.PSNR = &s.PSNR
	}
	if s.SSIMErr == nil {
		f.SSIM = &s.SSIM
	}
	return f
}

func (f *fidelitySummary) String() string {
	if f.Exact {
		return "exact (every pixel identical) against " + f.Against
	}
	s := fmt.Sprintf("PSNR %.2f dB", *f.PSNR)
	if f.SSIM != nil {
		s += fmt.Sprintf(", SSIM %.4f", *f.SSIM)
	}
	return s + " against " + f.Against
}

func readPassphraseFile(path string) (string, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", withHint(missingCredential("passphrase file", "--passphrase-file", path), "write the passphrase on the first line of a file and pass its path")
	}
	if err != nil {
		return "", withHint(fmt.Errorf("failed to read passphrase file: %w", err), "write the passphrase on the first line of a file and pass its path")
	}
	if fi.Size() > 4096 {
		return "", fmt.Errorf("passphrase file %s is larger than 4096 bytes", path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("failed to read passphrase file: %w", err)
	}
	pass := strings.TrimRight(string(b), "\r\n")
	if pass == "" {
		return "", withHint(fmt.Errorf("passphrase file %s is empty", path), "write the passphrase on the first line of the file")
	}
	return pass, nil
}

func runEncrypt(_ context.Context, e *env, o encryptOptions, args []string) error {
	in := args[0]
	if o.output == "" {
		return usageError{"missing -o DIR (the output folder)"}
	}
	level, err := qr.ParseLevel(o.level)
	if err != nil {
		return usageError{fmt.Sprintf("unknown --level %q: want L, M, Q or H", o.level)}
	}
	name := o.codec
	if o.lossless {
		if name != "" && name != "lossless" {
			return usageError{fmt.Sprintf("--lossless conflicts with --codec %s", name)}
		}
		name = "lossless"
	}
	if name == "" {
		name = store.DefaultCodec()
	}
	if _, err := codec.ByName(name); err != nil {
		return usageError{fmt.Sprintf("unknown --codec %q: want one of %s", name, strings.Join(codec.Names(), ", "))}
	}
	if o.size < 0 || o.size > 4096 {
		return usageError{fmt.Sprintf("--size %d outside 1..4096", o.size)}
	}
	if err := checkCodesFlags(o, name); err != nil {
		return err
	}
	if o.px < qr.MinPxPerModule || o.px > qr.MaxPxPerModule {
		return usageError{fmt.Sprintf("--px %d outside %d..%d", o.px, qr.MinPxPerModule, qr.MaxPxPerModule)}
	}
	if o.passphraseFile != "" && o.recipient != "" {
		return usageError{"--passphrase-file and --recipient cannot be used together"}
	}
	if o.printKey && (o.passphraseFile != "" || o.recipient != "") {
		return usageError{"--print-key only applies to the default key mode"}
	}
	if o.printKey && isTerminal(os.Stdout) && e.stdout == os.Stdout {
		warningf(e, "printing the key to the terminal; it is also in the key file")
	}
	so := store.Options{Codec: name, Level: level, Multi: o.lossless, Size: o.size, PxPerModule: o.px, Frame: o.frame, Codes: o.codes, PSNR: o.psnr}
	if o.passphraseFile != "" {
		if so.Passphrase, err = readPassphraseFile(o.passphraseFile); err != nil {
			return err
		}
	}
	if o.recipient != "" {
		if so.Recipient, err = seal.ParseRecipient(strings.TrimSpace(o.recipient)); err != nil {
			return withHint(fmt.Errorf("invalid --recipient: %w", err), "pass the public key printed by \"medqr keygen --recipient\" (medqr1... or medqrpq1...)")
		}
	}
	if fi, err := os.Stat(o.output); err == nil && !fi.IsDir() {
		return withHint(fmt.Errorf("output %s exists and is not a folder", o.output), "-o names a folder; medqr writes the QR code(s), key file and record into it")
	}

	e.log.Debugf("encrypting %s with codec %s at level %s", in, name, level)
	res, err := store.Encrypt(in, o.output, so)
	if err != nil {
		return encryptError(err, in, o, level)
	}
	// The notice (a colour image reduced to luminance) is in the header.
	if m, err := data.LoadConfig(in, data.LoadOptions{Frame: o.frame}); err == nil && m.Notice != "" {
		warningf(e, "%s: %s", in, m.Notice)
	}

	sum := encryptSummary{
		ID: res.Record.ID, Codec: res.Record.Codec, Level: res.Record.Level, Mode: res.Record.Mode,
		Width: res.Record.Width, Height: res.Record.Height, Depth: res.Record.Depth,
		Symbols: res.Record.Symbols, PayloadBytes: res.Record.Payload, SealedBytes: res.SealedBytes,
		KeyFile: res.KeyFile, Record: res.RecordFile, Notes: res.Notes,
	}
	for i, p := range res.QRFiles {
		fi := res.Record.QR[i]
		sum.QR = append(sum.QR, fileSummary{Path: p, Bytes: fi.Bytes, SHA256: fi.SHA256})
	}
	if res.SheetFile != "" {
		sum.Sheet = &fileSummary{Path: res.SheetFile, Bytes: res.Record.Sheet.Bytes, SHA256: res.Record.Sheet.SHA256}
	}
	against := fmt.Sprintf("the %dx%d input as coded", sum.Width, sum.Height)
	sum.Fidelity = fidelity(res.Coded, res.Decoded, against)

	if o.json {
		out := struct {
			encryptSummary
			Key string `json:"key,omitempty"`
		}{encryptSummary: sum}
		if o.printKey {
			out.Key = res.Key.String()
		}
		return e.printJSON(out)
	}
	w := e.stdout
	plural := "code"
	if sum.Symbols > 1 {
		plural = "codes"
	}
	fmt.Fprintf(w, "encrypted %s: %dx%d %d-bit, codec %s, %d payload bytes in %d level-%s QR %s (%d sealed bytes)\n",
		in, sum.Width, sum.Height, sum.Depth, sum.Codec, sum.PayloadBytes, sum.Symbols, sum.Level, plural, sum.SealedBytes)
	for _, q := range sum.QR {
		fmt.Fprintf(w, "qr:     %s (%d bytes)\n", q.Path, q.Bytes)
	}
	if sum.Sheet != nil {
		fmt.Fprintf(w, "sheet:  %s (%d bytes)\n", sum.Sheet.Path, sum.Sheet.Bytes)
	}
	if sum.KeyFile != "" {
		fmt.Fprintf(w, "key:    %s (keep it apart from the QR %s)\n", sum.KeyFile, plural)
	}
	fmt.Fprintf(w, "record: %s\n", sum.Record)
	if sum.Fidelity != nil {
		fmt.Fprintf(w, "fidelity: %s\n", sum.Fidelity)
	}
	for _, n := range sum.Notes {
		fmt.Fprintf(w, "note:   %s\n", n)
	}
	if o.printKey {
		fmt.Fprintln(w, res.Key.String())
	}
	return nil
}

// encryptError adds the next step to an encryption failure.
func encryptError(err error, in string, o encryptOptions, level qr.Level) error {
	var fe *store.FitError
	if ce := codesError(err, in, o, level); ce != nil {
		return ce
	}
	switch {
	case errors.As(err, &fe) && fe.MultiOff && fe.Symbols > store.DefaultMaxSymbols:
		// --lossless would refuse too: only a smaller image helps.
		return withHint(err, "pass --lossless --size 256 to code the 8-bit 256x256 image exactly over several QR codes, or --size 64 (or smaller) for one code")
	case errors.As(err, &fe) && fe.MultiOff:
		return withHint(err, "pass --lossless to split it over %d QR codes, or --size 64 (or smaller) to code a smaller 8-bit image in one", fe.Symbols)
	case errors.As(err, &fe) && fe.Level != qr.L && fe.SymbolsL <= fe.Max:
		return withHint(err, "pass --level L (it needs %d codes there), or --size 256 to code the 8-bit 256x256 image losslessly", fe.SymbolsL)
	case errors.As(err, &fe):
		return withHint(err, "pass --size 256 to code the 8-bit 256x256 image losslessly (the exact native image needs more than %d codes)", fe.Max)
	case errors.Is(err, codec.ErrBudget):
		if level != qr.L {
			return withHint(err, "pick a level that holds more (--level L holds the most) or a smaller --size")
		}
		return withHint(err, "pass a smaller --size")
	case errors.Is(err, store.ErrOptions):
		return usageError{err.Error()}
	}
	if h := inputHint(err, in); h != "" {
		return withHint(err, "%s", h)
	}
	return err
}

// inputHint is the next step for an error of reading an input image
// (data.Load), or "" when err is none of those.
func inputHint(err error, in string) string {
	var dfe *data.FormatError
	switch {
	case errors.Is(err, data.ErrUnknownFormat):
		return "medqr reads PNG, JPEG and DICOM files"
	case errors.Is(err, data.ErrTooLarge):
		return fmt.Sprintf("medqr reads images up to %d pixels; crop or downscale it first", data.DefaultMaxPixels)
	case errors.Is(err, os.ErrNotExist):
		return "check the path of the input image"
	case errors.Is(err, os.ErrPermission):
		return "check that you may read the file (ls -l)"
	}
	if h := unsupportedHint(err, in); h != "" {
		return h
	}
	if errors.As(err, &dfe) {
		return "the file is damaged or incomplete: copy or export it again from its source"
	}
	return ""
}

// unsupportedHint is the next step for a *data.UnsupportedError, or "" for
// other errors. Only a known transfer syntax that medqr does not decode can
// be helped by a conversion; an unknown syntax or an unsupported pixel
// layout needs another export.
func unsupportedHint(err error, in string) string {
	var ue *data.UnsupportedError
	if !errors.As(err, &ue) {
		return ""
	}
	switch {
	case ue.Format != "dicom":
		return "save the image as 8- or 16-bit PNG, JPEG or DICOM first"
	case ue.UID != "" && data.TransferSyntaxName(ue.UID) != "unknown transfer syntax":
		return fmt.Sprintf("convert the DICOM to an uncompressed transfer syntax first, e.g. \"gdcmconv --raw %s out.dcm\"", in)
	case ue.UID != "":
		return "ask for the image in a standard transfer syntax (Explicit VR Little Endian is read everywhere); no converter knows this one"
	}
	return "export the image from its source (PACS or viewer) as an 8- or 16-bit gray DICOM or PNG; converting the transfer syntax does not change this"
}
