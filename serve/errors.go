package serve

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"

	"github.com/medqr/medqr/codec"
	"github.com/medqr/medqr/data"
	"github.com/medqr/medqr/qr"
	"github.com/medqr/medqr/seal"
	"github.com/medqr/medqr/store"
)

// apiError is an error answer: {"error", "hint", "field"} with a status.
// Field names the form field the message concerns, so the page can show
// it there.
type apiError struct {
	status int
	msg    string
	hint   string
	field  string
}

func (e *apiError) Error() string { return e.msg }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client went away; nothing to do
}

func writeError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.status, struct {
		Error string `json:"error"`
		Hint  string `json:"hint,omitempty"`
		Field string `json:"field,omitempty"`
	}{e.msg, e.hint, e.field})
}

func badRequest(field, hint, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, field: field, hint: hint, msg: fmt.Sprintf(format, args...)}
}

// message is err's text as the CLI prints it after "medqr: error: ".
func message(err error) string {
	return strings.TrimPrefix(err.Error(), "medqr: ")
}

// cleanName makes an uploaded file name safe to quote: its last path
// element, printable characters only, at most 80 of them.
func cleanName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return -1
	}, name)
	if r := []rune(name); len(r) > 80 {
		name = string(r[:80])
	}
	if name == "" {
		name = "upload"
	}
	return name
}

// encryptError maps a failure of store.EncryptDecoded or data.Decode to
// an answer with the CLI's message and a hint worded for the page. Any
// error not recognised as bad input is a server fault (500). The message
// names the upload as the CLI names its input file.
func (s *Server) encryptError(err error, upload string) *apiError {
	var fe *store.FitError
	var ue *data.UnsupportedError
	bad := func(field, hint string) *apiError {
		return &apiError{status: http.StatusBadRequest, msg: upload + ": " + message(err), hint: hint, field: field}
	}
	switch {
	case errors.As(err, &fe) && fe.MultiOff:
		return bad("lossless", fmt.Sprintf("tick \"lossless\" to split it over %d QR codes", fe.Symbols))
	case errors.As(err, &fe) && fe.Level != qr.L && fe.SymbolsL <= fe.Max:
		return bad("level", fmt.Sprintf("choose level L (it needs %d codes there)", fe.SymbolsL))
	case errors.As(err, &fe):
		return bad("lossless", "untick \"lossless\" to code the image into one QR code")
	case errors.Is(err, codec.ErrBudget):
		return bad("level", "choose a level that holds more (L holds the most)")
	case errors.Is(err, data.ErrUnknownFormat):
		return bad("image", "medqr reads PNG, JPEG and DICOM files")
	case errors.Is(err, data.ErrTooLarge):
		return bad("image", fmt.Sprintf("medqr reads images up to %d pixels; crop or downscale it first", data.DefaultMaxPixels))
	case errors.As(err, &ue) && ue.Format == "dicom":
		return bad("image", "convert the DICOM to an uncompressed transfer syntax first, e.g. \"gdcmconv --raw IN.dcm OUT.dcm\"")
	case errors.As(err, &ue):
		return bad("image", "save the image as an ordinary 8- or 16-bit PNG or a baseline JPEG first")
	case errors.Is(err, store.ErrOptions):
		return bad("mode", "choose one mode: a fresh key, a passphrase or a recipient")
	case isDecodeError(err):
		return bad("image", "the file is damaged or not an image: upload the PNG, JPEG or DICOM file itself")
	}
	return s.internal(err)
}

// isDecodeError reports errors of package data that describe the input
// (typed format errors), as opposed to faults of the server.
func isDecodeError(err error) bool {
	var fe *data.FormatError
	return errors.As(err, &fe)
}

// decryptError maps a failure of store.DecryptFiles like the CLI's
// decryptError: 422 for a wrong key and damaged, foreign or missing
// codes, 400 for files that are not images.
func (s *Server) decryptError(err error, field string) *apiError {
	var me *seal.MissingError
	var sfe *seal.FormatError
	un := func(field, hint string) *apiError {
		return &apiError{status: http.StatusUnprocessableEntity, msg: message(err), hint: hint, field: field}
	}
	switch {
	case errors.Is(err, seal.ErrAuth):
		return un(field, "check that the key belongs to these QR codes; if it does, a code was damaged or altered: scan it again from the original")
	case errors.As(err, &me):
		return un("qr", "add every numbered QR code of the set (medqr-ID-NNofMM.png) or the sheet medqr-ID-sheet.png")
	case errors.Is(err, seal.ErrMixed):
		return un("qr", "upload the QR codes of one record only (their files share the medqr-ID prefix)")
	case errors.Is(err, store.ErrForeignQR):
		return un("qr", "medqr decrypts only QR codes made by medqr")
	case errors.Is(err, store.ErrNoQR):
		return un("qr", "upload the QR code PNG made by medqr; a photo or scan needs at least 2 pixels per module, sharp and uncropped")
	case errors.Is(err, store.ErrNotImage):
		return &apiError{status: http.StatusBadRequest, msg: message(err), field: "qr",
			hint: "upload the QR code image (PNG or JPEG), not the key file or the record"}
	case errors.Is(err, data.ErrTooLarge):
		return &apiError{status: http.StatusBadRequest, msg: message(err), field: "qr",
			hint: "downscale the photo or scan first"}
	case errors.Is(err, seal.ErrVersion):
		return un("qr", "this QR code was made by a newer medqr: decrypt it with that release")
	case errors.As(err, &sfe):
		return un("qr", "the QR code starts like a medqr code but its header is damaged: scan it again from the original")
	}
	return s.internal(err)
}

// internal logs a server fault and answers 500 without details. The log
// line leaves out the name of an uploaded file (a file name may name a
// patient).
func (s *Server) internal(err error) *apiError {
	var fe *store.FileError
	if errors.As(err, &fe) {
		err = fe.Err
	}
	s.cfg.Logf("medqr serve: internal error: %v", err)
	return &apiError{status: http.StatusInternalServerError, msg: "internal error",
		hint: "the server log has the details; please report it"}
}
