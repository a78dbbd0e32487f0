package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"strings"
	"time"

	"github.com/medqr/medqr/codec"
	"github.com/medqr/medqr/data"
	"github.com/medqr/medqr/qr"
	"github.com/medqr/medqr/seal"
)

// DefaultMaxSymbols caps the symbols of one multi-code message: 64
// version-40 symbols hold about 140 KB, a 256x256 16-bit image at 8 bits
// per pixel of residual; more is not a sheet anyone should print.
const DefaultMaxSymbols = 64

// Options controls Encrypt. The zero value encrypts with the default codec
// at level M into one QR code with a fresh random key.
type Options struct {
	Codec string   // codec name; "" = DefaultCodec()
	Level qr.Level // error-correction level; 0 = qr.DefaultLevel
	// Multi splits the sealed payload over as many numbered symbols as it
	// needs (the lossless mode). Without it everything must fit one symbol.
	Multi bool
	// Size is the working size: lossy codecs code the image preprocessed to
	// Size x Size (0 = data.DefaultSize). The lossless codec codes the exact
	// decoded pixels (8- or 16-bit) when Size is 0, and the preprocessed
	// 8-bit Size x Size image otherwise.
	Size        int
	PxPerModule int // QR module size in pixels; 0 = qr.DefaultPxPerModule
	MaxSymbols  int // multi-code cap; 0 = DefaultMaxSymbols
	Frame       int // frame of a multi-frame DICOM, from 1; 0 = the first

	// Codes > 0 spreads a lossy payload over up to Codes numbered symbols
	// (lossy multi-code mode, multicode.go) at the working size Size, or
	// SizeForCodes(Codes) when Size is 0, capped at the source's shorter
	// side. PSNR > 0 instead picks the fewest symbols, up to Codes (0 =
	// DefaultPSNRCodes), whose decoded image reaches PSNR dB at its size.
	Codes int
	PSNR  float64

	// Key mode (default): a fresh key from crypto/rand, written to the key
	// file. Passphrase mode: Passphrase != "" (Argon2 zero = seal.DefaultArgon2).
	// Recipient mode: Recipient != nil. At most one of the two may be set.
	Passphrase string
	Argon2     seal.Argon2Params
	Recipient  *seal.Recipient

	// Now returns the record time; nil = time.Now.
	Now func() time.Time

	// NoKeyFile, in key mode, returns the key in Result.Key and writes no
	// key file: for callers that hand the key to the user themselves and
	// keep nothing (the web application, package serve).
	NoKeyFile bool
}

// DefaultCodec is the lossy codec with the best measured rate-distortion at
// the QR budgets (results/codec/rd.md): "iwave", the learned lifting-wavelet
// codec with its trained decoder, when registered, else "jpeg".
func DefaultCodec() string {
	if _, err := codec.ByName("iwave"); err == nil {
		return "iwave"
	}
	return "jpeg"
}

// FileInfo names one written file with its size and SHA-256.
type FileInfo struct {
	Name   string `json:"name"`
	Bytes  int    `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// Record is the JSON record written beside the QR codes. It holds only what
// the QR headers carry in clear plus file checksums: no patient data, no key.
type Record struct {
	Format  string     `json:"format"` // "medqr-record/1"
	ID      string     `json:"id"`
	Time    string     `json:"time"` // RFC 3339, UTC
	Codec   string     `json:"codec"`
	Level   string     `json:"level"`
	Mode    string     `json:"mode"` // key, passphrase, or the recipient suite
	Width   int        `json:"width"`
	Height  int        `json:"height"`
	Depth   int        `json:"depth"` // bits per sample of the coded image
	Symbols int        `json:"symbols"`
	Payload int        `json:"payload_bytes"` // codec output before sealing
	QR      []FileInfo `json:"qr"`
	Sheet   *FileInfo  `json:"sheet,omitempty"`
	KeyFile string     `json:"key_file,omitempty"` // name of the key file (key mode)
}

// RecordFormat is the Record's format tag.
const RecordFormat = "medqr-record/1"

// Result is what Encrypt made. Paths are in the output folder.
type Result struct {
	Record     Record
	QRFiles    []string
	SheetFile  string // multi-code mode only
	KeyFile    string // key mode only
	RecordFile string
	// Key is the generated key in key mode (for printing on request; it is
	// also in KeyFile). Zero in the other modes.
	Key seal.Key
	// Coded is the image the codec coded (preprocessed, or exact pixels),
	// and Decoded what decryption will give back, for fidelity reports.
	Coded, Decoded image.Image
	// SealedBytes is the total size of the containers in the QR codes.
	SealedBytes int
	// Notes says what lossy multi-code mode chose (a size capped at the
	// source's, the set a PSNR target picked), for the user.
	Notes []string
}

// FitError reports a lossless image that does not fit one symbol (Multi
// off) or needs more symbols than the cap (Multi on).
type FitError struct {
	Need     int // payload bytes
	Budget   int // payload bytes one symbol holds
	Symbols  int // symbols the payload needs
	SymbolsL int // symbols it would need at level L
	Max      int // the symbol cap (Multi) or 1
	Level    qr.Level
	Width    int
	Height   int
	MultiOff bool
	// Estimated: Need and the symbol counts are estimated from a sample of
	// the image (refused before coding it whole, since even half the
	// estimate would not fit).
	Estimated bool
}

func (e *FitError) Error() string {
	need := fmt.Sprintf("%d bytes", e.Need)
	if e.Estimated {
		need = fmt.Sprintf("about %d bytes (estimated from a sample)", e.Need)
	}
	if e.MultiOff {
		return fmt.Sprintf("store: the lossless %dx%d image needs %s, one level-%s QR code holds %d (it would take %d codes)", e.Width, e.Height, need, e.Level, e.Budget, e.Symbols)
	}
	return fmt.Sprintf("store: the lossless %dx%d image needs %s in %d level-%s QR codes, more than the limit of %d", e.Width, e.Height, need, e.Symbols, e.Level, e.Max)
}

// ErrOptions reports options that contradict each other.
var ErrOptions = errors.New("store: conflicting options")

// Encrypt encrypts the image file input into the folder dir (created if
// needed) as described in the package documentation.
func Encrypt(input, dir string, o Options) (*Result, error) {
	d, err := load(input, data.LoadOptions{Frame: o.Frame})
	if err != nil {
		return nil, err
	}
	return EncryptDecoded(d, dir, o)
}

// load reads the image file path with data.LoadWith; its error names the
// file once (data's errors mostly name it already).
func load(path string, o data.LoadOptions) (*data.Decoded, error) {
	d, err := data.LoadWith(path, o)
	if err != nil {
		if !strings.Contains(err.Error(), path) {
			err = fmt.Errorf("%s: %w", path, err)
		}
		return nil, err
	}
	return d, nil
}

// prepared is an image made ready for sealing, before any file is written.
type prepared struct {
	codec      codec.Codec
	level      qr.Level
	coded      image.Image
	payload    []byte
	containers [][]byte
	pngs       [][]byte // the QR PNG files, read back
	sheet      *image.Gray
	key        seal.Key
	mode       string
	meta       seal.Meta
	multi      bool        // numbered symbols and a sheet
	notes      []string    // what lossy multi-code mode chose
	decoded    image.Image // the payload decoded, where already known
}

// EncryptDecoded is Encrypt for an image already decoded by package data.
func EncryptDecoded(d *data.Decoded, dir string, o Options) (*Result, error) {
	p, err := prepare(d, o)
	if err != nil {
		return nil, err
	}
	return p.write(dir, o)
}

func prepare(d *data.Decoded, o Options) (*prepared, error) {
	name := o.Codec
	if name == "" {
		name = DefaultCodec()
	}
	c, err := codec.ByName(name)
	if err != nil {
		return nil, err
	}
	level := o.Level
	if level == 0 {
		level = qr.DefaultLevel
	}
	if !level.Valid() {
		return nil, fmt.Errorf("%w: level %q", qr.ErrLevel, byte(level))
	}
	if o.Multi && c.ID() != codec.IDLossless {
		return nil, fmt.Errorf("%w: multi-code mode is for the lossless codec, not %s", ErrOptions, c.Name())
	}
	lossyMulti := o.Codes > 0 || o.PSNR > 0
	if err := checkMultiOptions(c, o); err != nil {
		return nil, err
	}
	if o.Passphrase != "" && o.Recipient != nil {
		return nil, fmt.Errorf("%w: both a passphrase and a recipient", ErrOptions)
	}
	size := o.Size
	if size < 0 {
		return nil, fmt.Errorf("%w: size %d", ErrOptions, size)
	}

	// The image the codec sees.
	var img image.Image
	depth := 8
	if c.ID() == codec.IDLossless && size == 0 {
		img = d.Image
		if _, ok := img.(*image.Gray16); ok {
			depth = 16
		} else if _, ok := img.(*image.Gray); !ok {
			img = d.Display() // data always gives Gray or Gray16; be safe
		}
	} else if lossyMulti {
		img = d.Display() // codeMulti chooses the working size
	} else {
		if size == 0 {
			size = data.DefaultSize
		}
		img = data.Preprocess(d.Display(), size)
	}
	b := img.Bounds()

	p := &prepared{codec: c, level: level, coded: img, multi: o.Multi}
	var s seal.Sealer
	switch {
	case o.Passphrase != "":
		params := o.Argon2
		if params == (seal.Argon2Params{}) {
			params = seal.DefaultArgon2
		}
		s, err = seal.NewPassphraseSealer(o.Passphrase, params)
		if err != nil {
			return nil, err
		}
		p.mode = "passphrase"
	case o.Recipient != nil:
		s = seal.NewRecipientSealer(o.Recipient)
		p.mode = o.Recipient.Suite().String()
	default:
		p.key, err = seal.GenerateKey()
		if err != nil {
			return nil, err
		}
		s = seal.NewKeySealer(p.key)
		p.mode = "key"
	}

	capacity := qr.Capacity(level)
	budget := seal.PayloadBudget(capacity, s)
	maxSym := o.MaxSymbols
	if maxSym <= 0 {
		maxSym = DefaultMaxSymbols
	}
	if c.ID() == codec.IDLossless {
		// Refuse at once what cannot fit, judged from a sample.
		if est, ok := losslessEstimate(c, img); ok {
			limit := budget * maxSym
			if !o.Multi {
				limit = budget
			}
			if est > estimateMargin*limit {
				fe := &FitError{Need: est, Estimated: true, Budget: budget, Symbols: seal.SymbolCount(est, capacity, s), Max: maxSym, Level: level,
					Width: b.Dx(), Height: b.Dy(), SymbolsL: seal.SymbolCount(est, qr.Capacity(qr.L), s)}
				if !o.Multi {
					fe.MultiOff, fe.Max = true, 1
				}
				return nil, fe
			}
		}
		p.payload, err = c.Encode(img, 0)
		if err != nil {
			return nil, err
		}
		n := seal.SymbolCount(len(p.payload), capacity, s)
		fe := &FitError{Need: len(p.payload), Budget: budget, Symbols: n, Max: maxSym, Level: level, Width: b.Dx(), Height: b.Dy(),
			SymbolsL: seal.SymbolCount(len(p.payload), qr.Capacity(qr.L), s)}
		if !o.Multi && n > 1 {
			fe.MultiOff, fe.Max = true, 1
			return nil, fe
		}
		if n > maxSym {
			return nil, fe
		}
	} else if lossyMulti {
		m, err := codeMulti(c, img.(*image.Gray), o, level, s, maxSym)
		if err != nil {
			return nil, err
		}
		p.coded, p.payload, p.notes, p.decoded = m.img, m.payload, m.notes, m.rec
		b = m.img.Bounds()
		p.multi = seal.SymbolCount(len(p.payload), capacity, s) > 1
	} else {
		p.payload, err = c.Encode(img, budget)
		if err != nil {
			return nil, fmt.Errorf("failed to fit the image into one level-%s QR code: %w", level, err)
		}
	}
	p.meta = seal.Meta{Codec: c.ID(), Width: b.Dx(), Height: b.Dy(), Depth: depth, Level: byte(level)}
	p.containers, err = seal.SealMessage(p.meta, p.payload, capacity, s)
	if err != nil {
		return nil, err
	}
	var images []*image.Gray
	for i, ct := range p.containers {
		sym, file, px, err := qr.EncodeSymbolPNG(ct, level, o.PxPerModule)
		if err != nil {
			return nil, fmt.Errorf("failed to render QR code %d: %w", i+1, err)
		}
		// Read every PNG file back before anything is written: what we
		// hand out must decode to exactly the sealed bytes. qr.ReadBack
		// decodes the file to the pixels image/png gives and requires
		// every pixel to lie on the module grid and the grid to be an
		// exact, error-free symbol.
		got, err := qr.ReadBack(file, level, px)
		if err != nil {
			return nil, fmt.Errorf("QR code %d does not read back: %w", i+1, err)
		}
		if !bytes.Equal(got, ct) {
			return nil, fmt.Errorf("QR code %d reads back different bytes", i+1)
		}
		p.pngs = append(p.pngs, file)
		if p.multi {
			images = append(images, sym.Image(px))
		}
	}
	if p.multi {
		p.sheet = qr.Sheet(images, 0)
	}
	return p, nil
}

// pngBytes writes a QR sheet as a 1-bit PNG (qr.PNG): several times
// faster to encode and smaller than 8-bit gray.
func pngBytes(img image.Image) ([]byte, error) {
	return qr.PNG(img)
}

func fileInfo(name string, b []byte) FileInfo {
	h := sha256.Sum256(b)
	return FileInfo{Name: name, Bytes: len(b), SHA256: hex.EncodeToString(h[:])}
}

func (p *prepared) write(dir string, o Options) (*Result, error) {
	h, err := seal.ParseHeader(p.containers[0])
	if err != nil {
		return nil, err
	}
	id := hex.EncodeToString(h.MessageID[:8])
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	rec := Record{
		Format: RecordFormat, ID: id, Time: now().UTC().Format(time.RFC3339),
		Codec: p.codec.Name(), Level: p.level.String(), Mode: p.mode,
		Width: p.meta.Width, Height: p.meta.Height, Depth: p.meta.Depth,
		Symbols: len(p.containers), Payload: len(p.payload),
	}
	st, err := newStaging(dir)
	if err != nil {
		return nil, err
	}
	defer st.cleanup()
	res := &Result{Coded: p.coded, Notes: p.notes}
	base := "medqr-" + id
	for i, b := range p.pngs {
		name := base + ".png"
		if p.multi {
			name = fmt.Sprintf("%s-%02dof%02d.png", base, i+1, len(p.pngs))
		}
		if err := st.write(name, b, 0o644); err != nil {
			return nil, fmt.Errorf("failed to write %s: %w", name, err)
		}
		rec.QR = append(rec.QR, fileInfo(name, b))
		res.QRFiles = append(res.QRFiles, joinDir(dir, name))
		res.SealedBytes += len(p.containers[i])
	}
	if p.sheet != nil {
		name := base + "-sheet.png"
		b, err := pngBytes(p.sheet)
		if err != nil {
			return nil, fmt.Errorf("failed to encode %s: %w", name, err)
		}
		if err := st.write(name, b, 0o644); err != nil {
			return nil, fmt.Errorf("failed to write %s: %w", name, err)
		}
		fi := fileInfo(name, b)
		rec.Sheet = &fi
		res.SheetFile = joinDir(dir, name)
	}
	if p.mode == "key" && o.NoKeyFile {
		res.Key = p.key
	} else if p.mode == "key" {
		name := base + "-key.txt"
		if err := seal.WriteKeyFile(st.path(name), p.key, "decrypts the medqr QR code(s) "+base+"*.png"); err != nil {
			return nil, fmt.Errorf("failed to write the key file: %w", err)
		}
		rec.KeyFile = name
		res.KeyFile = joinDir(dir, name)
		res.Key = p.key
	}
	recName := base + ".json"
	rb, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := st.write(recName, append(rb, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("failed to write %s: %w", recName, err)
	}
	res.RecordFile = joinDir(dir, recName)
	res.Record = rec

	// What decryption gives back, for fidelity reports (before commit, so
	// a codec that cannot read its own payload leaves nothing behind).
	res.Decoded = p.decoded
	if res.Decoded == nil {
		res.Decoded, err = p.codec.Decode(p.payload)
	}
	if err != nil {
		return nil, fmt.Errorf("the %s codec cannot decode its own payload: %w", p.codec.Name(), err)
	}
	if err := st.commit(); err != nil {
		return nil, err
	}
	return res, nil
}
