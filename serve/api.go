package serve

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/medqr/medqr/codec"
	"github.com/medqr/medqr/data"
	"github.com/medqr/medqr/eval"
	"github.com/medqr/medqr/qr"
	"github.com/medqr/medqr/seal"
	"github.com/medqr/medqr/store"
)

// Limits of the multipart forms besides Config.MaxUpload.
const (
	maxFieldBytes = 4096 // a text field (level, key, passphrase, recipient)
	maxQRFiles    = 64   // store.DefaultMaxSymbols symbols, one file each
)

// upload is one file part of a form.
type upload struct {
	name string
	data []byte
}

// form is a parsed multipart form: text fields and files by field name.
type form struct {
	values map[string]string
	files  map[string][]upload
}

// readForm reads a multipart form whose fields are all in allowed, each
// text field at most maxFieldBytes; the body is bounded by MaxUpload.
func (s *Server) readForm(w http.ResponseWriter, r *http.Request, allowed ...string) (*form, *apiError) {
	if r.ContentLength > s.cfg.MaxUpload {
		return nil, s.tooLarge()
	}
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "multipart/form-data" {
		return nil, badRequest("", "send the fields as multipart/form-data (curl -F)", "the request is not a multipart form")
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUpload)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, badRequest("", "send the fields as multipart/form-data (curl -F)", "malformed multipart form: %v", err)
	}
	f := &form{values: map[string]string{}, files: map[string][]upload{}}
	nfiles := 0
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return f, nil
		}
		if err != nil {
			return nil, s.bodyError(err)
		}
		name := p.FormName()
		known := false
		for _, a := range allowed {
			known = known || a == name
		}
		if !known {
			return nil, badRequest(name, "the fields are "+strings.Join(allowed, ", "), "unknown form field %q", cleanName(name))
		}
		if p.FileName() != "" {
			nfiles++
			if nfiles > maxQRFiles {
				return nil, badRequest(name, "upload the sheet instead of the separate codes", "more than %d files in one request", maxQRFiles)
			}
			b, err := io.ReadAll(p)
			if err != nil {
				return nil, s.bodyError(err)
			}
			f.files[name] = append(f.files[name], upload{name: cleanName(p.FileName()), data: b})
			continue
		}
		b, err := io.ReadAll(io.LimitReader(p, maxFieldBytes+1))
		if err != nil {
			return nil, s.bodyError(err)
		}
		if len(b) > maxFieldBytes {
			return nil, badRequest(name, "shorten it: keys, passphrases and recipients are far shorter", "form field %q is longer than %d bytes", name, maxFieldBytes)
		}
		if _, dup := f.values[name]; dup {
			return nil, badRequest(name, "send each field once", "form field %q given twice", name)
		}
		f.values[name] = string(b)
	}
}

func (s *Server) tooLarge() *apiError {
	return &apiError{status: http.StatusRequestEntityTooLarge,
		msg:  fmt.Sprintf("the upload is larger than %d MiB", s.cfg.MaxUpload>>20),
		hint: "upload a smaller file; the server's limit is set with medqr serve --max-upload"}
}

func (s *Server) bodyError(err error) *apiError {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return s.tooLarge()
	}
	return badRequest("", "send the fields as multipart/form-data (curl -F)", "malformed multipart form: %v", err)
}

// text returns a text field, or the content of a file given under the same
// name (a key file or identity file upload).
func (f *form) text(name string) (string, bool) {
	if v, ok := f.values[name]; ok {
		return v, true
	}
	if fs := f.files[name]; len(fs) == 1 {
		return string(fs[0].data), true
	}
	return "", false
}

// encryptResponse is the answer of POST /api/encrypt.
type encryptResponse struct {
	ID       string       `json:"id"`
	Key      string       `json:"key,omitempty"`
	QR       []string     `json:"qr"`
	Sheet    string       `json:"sheet,omitempty"`
	Print    string       `json:"print"`
	Record   store.Record `json:"record"`
	Fidelity fidelity     `json:"fidelity"`
	Bytes    byteCounts   `json:"bytes"`
	Preview  preview      `json:"preview"`
}

type fidelity struct {
	Exact bool     `json:"exact"`
	PSNR  *float64 `json:"psnr_db,omitempty"` // absent when exact
	SSIM  float64  `json:"ssim"`
}

type byteCounts struct {
	Input   int `json:"input"`
	Payload int `json:"payload"`
	Sealed  int `json:"sealed"`
	QRPNG   int `json:"qr_png"`
}

// preview holds the coded input and what decryption gives back, as PNG
// data URLs, so that the server keeps neither.
type preview struct {
	Input   string `json:"input"`
	Decoded string `json:"decoded"`
}

// startJob takes a job slot and reads the form of r (only the allowed
// fields); ok is false when the error response has been written. The
// caller defers release.
func (s *Server) startJob(w http.ResponseWriter, r *http.Request, allowed ...string) (f *form, release func(), ok bool) {
	release, aerr := s.acquire(r.Context())
	if aerr != nil {
		writeError(w, aerr)
		return nil, nil, false
	}
	f, aerr = s.readForm(w, r, allowed...)
	if aerr != nil {
		writeError(w, aerr)
		release()
		return nil, nil, false
	}
	return f, release, true
}

func (s *Server) handleEncrypt(w http.ResponseWriter, r *http.Request) {
	f, release, ok := s.startJob(w, r, "image", "level", "codec", "lossless", "codes", "passphrase", "recipient")
	if !ok {
		return
	}
	defer release()
	o, aerr := encryptOptions(f)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	img := f.files["image"]
	if len(img) != 1 {
		writeError(w, badRequest("image", "choose one PNG, JPEG or DICOM file", "%d image files uploaded, want 1", len(img)))
		return
	}
	d, err := data.Decode(bytes.NewReader(img[0].data))
	if err != nil {
		writeError(w, s.encryptError(err, img[0].name))
		return
	}
	res, err := store.EncryptDecoded(d, s.cfg.Dir, o)
	if err != nil {
		writeError(w, s.encryptError(err, img[0].name))
		return
	}
	out := encryptResponse{
		ID: res.Record.ID, Record: res.Record, Print: "/print/" + res.Record.ID,
		Bytes: byteCounts{Input: len(img[0].data), Payload: res.Record.Payload, Sealed: res.SealedBytes},
	}
	v := viewOf(res.Record)
	out.QR, out.Sheet = v.QR, v.Sheet
	for _, q := range res.Record.QR {
		out.Bytes.QRPNG += q.Bytes
	}
	if res.Record.Mode == "key" {
		out.Key = res.Key.String()
		res.Key = seal.Key{}
	}
	if out.Fidelity, err = measure(res.Coded, res.Decoded); err != nil {
		writeError(w, s.internal(err))
		return
	}
	if out.Preview.Input, err = dataURL(res.Coded); err == nil {
		out.Preview.Decoded, err = dataURL(res.Decoded)
	}
	if err != nil {
		writeError(w, s.internal(err))
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// encryptOptions reads the encryption settings of a form, refusing what the
// CLI refuses.
func encryptOptions(f *form) (store.Options, *apiError) {
	o := store.Options{NoKeyFile: true}
	lv := f.values["level"]
	if lv == "" {
		lv = qr.DefaultLevel.String()
	}
	level, err := qr.ParseLevel(lv)
	if err != nil {
		return o, badRequest("level", "choose L, M, Q or H", "unknown level %q", cleanName(lv))
	}
	o.Level = level
	name := f.values["codec"]
	switch v := f.values["lossless"]; v {
	case "", "0", "false", "off":
	case "1", "true", "on":
		if name != "" && name != "lossless" {
			return o, badRequest("lossless", "untick lossless or leave the codec at its default", "lossless conflicts with codec %s", cleanName(name))
		}
		name, o.Multi = "lossless", true
	default:
		return o, badRequest("lossless", "send lossless=true or leave it out", "lossless=%q is not true or false", cleanName(v))
	}
	if v := f.values["codes"]; v != "" && v != "1" {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil || n < 1 || n > store.DefaultMaxSymbols:
			return o, badRequest("codes", fmt.Sprintf("send a number of QR codes from 1 to %d", store.DefaultMaxSymbols), "codes=%q is not a number from 1 to %d", cleanName(v), store.DefaultMaxSymbols)
		case o.Multi:
			return o, badRequest("codes", "untick lossless, or leave the number of codes at 1", "several lossy codes conflict with lossless")
		}
		o.Codes = n
	}
	if name == "" {
		name = store.DefaultCodec()
	}
	if _, err := codec.ByName(name); err != nil {
		return o, badRequest("codec", "want one of "+strings.Join(codec.Names(), ", "), "unknown codec %q", cleanName(name))
	}
	o.Codec = name
	pass, rcpt := f.values["passphrase"], strings.TrimSpace(f.values["recipient"])
	if pass != "" && rcpt != "" {
		return o, badRequest("mode", "choose one mode: a fresh key, a passphrase or a recipient", "a passphrase and a recipient cannot be used together")
	}
	o.Passphrase = pass
	if rcpt != "" {
		r, err := seal.ParseRecipient(rcpt)
		if err != nil {
			return o, badRequest("recipient", "paste the public key printed by \"medqr keygen --recipient\" (medqr1... or medqrpq1...)", "invalid recipient: %s", message(err))
		}
		o.Recipient = r
	}
	return o, nil
}

// measure compares the coded image with what decryption gives back.
func measure(coded, decoded image.Image) (fidelity, error) {
	s, err := eval.MeasureShown(coded, decoded)
	if err == nil {
		err = s.SSIMErr
	}
	if err != nil {
		return fidelity{}, err
	}
	f := fidelity{Exact: s.Exact, SSIM: s.SSIM}
	if !s.Exact {
		f.PSNR = &s.PSNR
	}
	return f, nil
}

func dataURL(img image.Image) (string, error) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", err
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

// Response headers of POST /api/decrypt describing the image.
const (
	HeaderWidth   = "Medqr-Width"
	HeaderHeight  = "Medqr-Height"
	HeaderDepth   = "Medqr-Depth"
	HeaderCodec   = "Medqr-Codec"
	HeaderLevel   = "Medqr-Level"
	HeaderSymbols = "Medqr-Symbols"
)

func (s *Server) handleDecrypt(w http.ResponseWriter, r *http.Request) {
	f, release, ok := s.startJob(w, r, "qr", "key", "passphrase", "identity")
	if !ok {
		return
	}
	defer release()
	opener, field, aerr := decryptOpener(f)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	ups := f.files["qr"]
	if len(ups) == 0 {
		writeError(w, badRequest("qr", "add the QR code image(s): the single code, every numbered code, or the sheet", "no QR images uploaded"))
		return
	}
	files := make([]store.QRFile, len(ups))
	for i, u := range ups {
		files[i] = store.QRFile{Name: u.name, Data: u.data}
	}
	dec, err := store.DecryptFiles(files, opener)
	if err != nil {
		writeError(w, s.decryptError(err, field))
		return
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, dec.Image); err != nil {
		writeError(w, s.internal(err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "image/png")
	h.Set("Content-Disposition", `attachment; filename="medqr-decrypted.png"`)
	h.Set(HeaderWidth, strconv.Itoa(dec.Meta.Width))
	h.Set(HeaderHeight, strconv.Itoa(dec.Meta.Height))
	h.Set(HeaderDepth, strconv.Itoa(dec.Meta.Depth))
	h.Set(HeaderCodec, dec.Codec)
	h.Set(HeaderLevel, dec.Level)
	h.Set(HeaderSymbols, strconv.Itoa(dec.Symbols))
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	_, _ = w.Write(buf.Bytes()) // the client went away; nothing to do
	clear(buf.Bytes())
}

// decryptOpener reads exactly one of key, passphrase and identity from the
// form, and names the field it came from.
func decryptOpener(f *form) (seal.Opener, string, *apiError) {
	key, hasKey := f.text("key")
	pass, hasPass := f.text("passphrase")
	ident, hasIdent := f.text("identity")
	n := 0
	for _, b := range []bool{hasKey && key != "", hasPass && pass != "", hasIdent && ident != ""} {
		if b {
			n++
		}
	}
	if n != 1 {
		return nil, "key", badRequest("key", "paste the key (MEDQR-KEY-1...) or upload its key file, or type the passphrase, or upload the identity file", "give exactly one of key, passphrase or identity")
	}
	switch {
	case key != "":
		s, err := seal.SecretLine(key)
		if err == nil {
			var k seal.Key
			if k, err = seal.ParseKey(s); err == nil {
				return seal.KeyOpener(k), "key", nil
			}
		}
		return nil, "key", badRequest("key", "the key is mistyped or truncated: copy it again, or upload the key file", "invalid key: %s", message(err))
	case pass != "":
		return seal.PassphraseOpener(strings.TrimRight(pass, "\r\n")), "passphrase", nil
	default:
		s, err := seal.SecretLine(ident)
		if err == nil {
			var id *seal.Identity
			if id, err = seal.ParseIdentity(s); err == nil {
				return seal.IdentityOpener(id), "identity", nil
			}
		}
		return nil, "identity", badRequest("identity", "upload the identity file written by \"medqr keygen --recipient\"", "invalid identity: %s", message(err))
	}
}
