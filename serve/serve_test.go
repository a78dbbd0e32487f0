package serve

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medqr/medqr/internal/testimg"
	"github.com/medqr/medqr/qr"
	"github.com/medqr/medqr/seal"
	"github.com/medqr/medqr/store"
)

const (
	testToken  = "test-token-0123456789abcdef"
	demoDICOM  = "../data/samples/dicom/siim_acr_cxr_mono2_8bit_jpegbaseline.dcm"
	sampleJPEG = "../data/samples/kermany_cxr_224/NORMAL/IM-0115-0001.jpeg"
)

func newServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	if cfg.Token == "" {
		cfg.Token = testToken
	}
	cfg.Logf = t.Logf
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// part is one multipart field: a file when file != "".
type part struct {
	name, file string
	data       []byte
}

func field(name, value string) part             { return part{name: name, data: []byte(value)} }
func file(name, fname string, data []byte) part { return part{name: name, file: fname, data: data} }

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func multipartBody(t testing.TB, parts ...part) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		var w io.Writer
		var err error
		if p.file != "" {
			w, err = mw.CreateFormFile(p.name, p.file)
		} else {
			w, err = mw.CreateFormField(p.name)
		}
		if err != nil {
			t.Fatal(err)
		}
		w.Write(p.data)
	}
	mw.Close()
	return &buf, mw.FormDataContentType()
}

// apiPost posts a multipart form with the Bearer token.
func apiPost(t testing.TB, s http.Handler, path string, parts ...part) *httptest.ResponseRecorder {
	t.Helper()
	body, ct := multipartBody(t, parts...)
	r := httptest.NewRequest(http.MethodPost, path, body)
	r.Header.Set("Content-Type", ct)
	r.Header.Set("Authorization", "Bearer "+testToken)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

func apiGet(t testing.TB, s http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	r.Header.Set("Authorization", "Bearer "+testToken)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

type errorBody struct {
	Error, Hint, Field string
}

func decodeError(t testing.TB, w *httptest.ResponseRecorder) errorBody {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" {
		t.Fatalf("status %d: body is not an error answer: %q", w.Code, w.Body.String())
	}
	return e
}

func encrypt(t testing.TB, s http.Handler, parts ...part) encryptResponse {
	t.Helper()
	w := apiPost(t, s, "/api/encrypt", parts...)
	if w.Code != http.StatusOK {
		t.Fatalf("encrypt: status %d: %s", w.Code, w.Body.String())
	}
	var r encryptResponse
	if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func get(t testing.TB, s http.Handler, path string) []byte {
	t.Helper()
	w := apiGet(t, s, path)
	if w.Code != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", path, w.Code, w.Body.String())
	}
	return w.Body.Bytes()
}

func decodePNG(t testing.TB, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func samePixels(a, b image.Image) bool { return testimg.SamePixels(a, b) == nil }

func TestAuth(t *testing.T) {
	s := newServer(t, Config{})
	tests := []struct {
		name       string
		method     string
		target     string
		header     map[string]string
		cookie     string
		wantStatus int
	}{
		{"page without token", "GET", "/", nil, "", 401},
		{"api without token", "GET", "/api/records", nil, "", 401},
		{"encrypt without token", "POST", "/api/encrypt", nil, "", 401},
		{"static without token", "GET", "/static/app.js", nil, "", 401},
		{"wrong bearer", "GET", "/api/records", map[string]string{"Authorization": "Bearer nope-nope-nope-nope"}, "", 401},
		{"basic auth", "GET", "/api/records", map[string]string{"Authorization": "Basic " + testToken}, "", 401},
		{"wrong bearer beats right cookie", "GET", "/api/records", map[string]string{"Authorization": "Bearer x"}, testToken, 401},
		{"wrong cookie", "GET", "/", nil, "not-the-token-at-all", 401},
		{"right bearer", "GET", "/api/records", map[string]string{"Authorization": "Bearer " + testToken}, "", 200},
		{"right cookie", "GET", "/", nil, testToken, 200},
		{"wrong query token", "GET", "/?token=guess-guess-guess", nil, "", 401},
		{"query token on POST", "POST", "/api/encrypt?token=" + testToken, nil, "", 401},
		{"query token", "GET", "/decrypt?token=" + testToken + "&x=1", nil, "", 303},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, nil)
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			if tt.cookie != "" {
				r.AddCookie(&http.Cookie{Name: CookieName, Value: tt.cookie})
			}
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			if w.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.wantStatus, w.Body.String())
			}
			if w.Code == 401 {
				if strings.HasPrefix(tt.target, "/api/") {
					e := decodeError(t, w)
					if !strings.Contains(e.Hint, "?token=") {
						t.Errorf("hint %q does not say how to get in", e.Hint)
					}
				}
				if strings.Contains(w.Body.String(), testToken) {
					t.Error("401 answer quotes the token")
				}
			}
		})
	}

	// The login redirect sets a strict cookie and drops the token from the URL.
	r := httptest.NewRequest("GET", "/decrypt?token="+testToken+"&x=1", nil)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if loc := w.Header().Get("Location"); loc != "/decrypt?x=1" {
		t.Errorf("redirect to %q, want /decrypt?x=1", loc)
	}
	cs := w.Result().Cookies()
	if len(cs) != 1 || cs[0].Name != CookieName || cs[0].Value != testToken || !cs[0].HttpOnly ||
		cs[0].SameSite != http.SameSiteStrictMode || cs[0].Path != "/" || cs[0].Secure {
		t.Errorf("cookie %+v", cs)
	}
	sTLS := newServer(t, Config{Secure: true})
	w = httptest.NewRecorder()
	sTLS.ServeHTTP(w, httptest.NewRequest("GET", "/?token="+testToken, nil))
	if cs := w.Result().Cookies(); len(cs) != 1 || !cs[0].Secure {
		t.Errorf("with TLS: cookie %+v, want Secure", cs)
	}
}

func TestNewRefusesWeakToken(t *testing.T) {
	for _, tok := range []string{"", "short", "has space in the token", "semi;colon-0123456789"} {
		if _, err := New(Config{Dir: t.TempDir(), Token: tok}); err == nil {
			t.Errorf("token %q accepted", tok)
		}
	}
	tok, err := GenerateToken()
	if err != nil || len(tok) < MinTokenLength {
		t.Fatalf("GenerateToken: %q, %v", tok, err)
	}
	if tok2, _ := GenerateToken(); tok2 == tok {
		t.Fatal("GenerateToken repeats itself")
	}
}

func TestCSRF(t *testing.T) {
	s := newServer(t, Config{})
	csrf := s.csrf
	tests := []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"cookie without CSRF token", nil, 403},
		{"cookie with wrong CSRF token", map[string]string{CSRFHeader: "00"}, 403},
		{"cross-site fetch", map[string]string{CSRFHeader: csrf, "Sec-Fetch-Site": "cross-site"}, 403},
		{"foreign origin", map[string]string{CSRFHeader: csrf, "Origin": "https://evil.example"}, 403},
		// Passes the checks; the empty body is then refused as bad input.
		{"same-origin page", map[string]string{CSRFHeader: csrf, "Sec-Fetch-Site": "same-origin"}, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/api/encrypt", nil)
			r.AddCookie(&http.Cookie{Name: CookieName, Value: testToken})
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.want, w.Body.String())
			}
		})
	}
	// The page carries the CSRF token for its script.
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: CookieName, Value: testToken})
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if !strings.Contains(w.Body.String(), `<meta name="csrf-token" content="`+csrf+`">`) {
		t.Fatal("page lacks the CSRF token")
	}
}

func TestHeadersAndPages(t *testing.T) {
	s := newServer(t, Config{})
	for _, path := range []string{"/", "/decrypt", "/records", "/static/app.js", "/static/app.css", "/static/icon.svg", "/api/records", "/nope"} {
		w := apiGet(t, s, path)
		h := w.Header()
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self'") ||
			strings.Contains(csp, "unsafe") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" || h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: headers %v", path, h)
		}
		want := "no-store"
		if strings.HasPrefix(path, "/static/") {
			want = "no-cache"
		}
		if cc := h.Get("Cache-Control"); cc != want {
			t.Errorf("%s: Cache-Control %q, want %q", path, cc, want)
		}
		if path == "/nope" {
			if w.Code != 404 {
				t.Errorf("/nope: status %d", w.Code)
			}
			continue
		}
		if w.Code != 200 {
			t.Errorf("%s: status %d", path, w.Code)
		}
		// Nothing is loaded from elsewhere.
		if body := w.Body.String(); strings.Contains(body, "http://") || strings.Contains(body, "https://") {
			if path != "/static/icon.svg" || strings.Contains(strings.ReplaceAll(body, "http://www.w3.org/2000/svg", ""), "http") {
				t.Errorf("%s refers to another server", path)
			}
		}
	}
	page := string(get(t, s, "/"))
	for _, want := range []string{`<label for="image">`, `<html lang="en">`, `name="viewport"`, `aria-current="page"`, `<option value="jpeg"`} {
		if !strings.Contains(page, want) {
			t.Errorf("encrypt page lacks %s", want)
		}
	}
	if w := apiGet(t, s, "/api/encrypt"); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET /api/encrypt: status %d", w.Code)
	}
}

func TestEncryptDecryptRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s := newServer(t, Config{Dir: dir})
	r := encrypt(t, s, file("image", "chest.dcm", readFile(t, demoDICOM)))
	if !strings.HasPrefix(r.Key, "MEDQR-KEY-1") || r.Record.Mode != "key" || r.Record.Codec != store.DefaultCodec() || len(r.QR) != 1 {
		t.Fatalf("response %+v", r)
	}
	if r.Fidelity.Exact || r.Fidelity.PSNR == nil || *r.Fidelity.PSNR < 25 || r.Fidelity.SSIM < 0.5 {
		t.Fatalf("fidelity %+v", r.Fidelity)
	}
	if r.Bytes.Input != len(readFile(t, demoDICOM)) || r.Bytes.Payload == 0 || r.Bytes.Sealed <= r.Bytes.Payload || r.Bytes.QRPNG == 0 {
		t.Fatalf("bytes %+v", r.Bytes)
	}
	if !strings.HasPrefix(r.Preview.Input, "data:image/png;base64,") || !strings.HasPrefix(r.Preview.Decoded, "data:image/png;base64,") {
		t.Fatal("previews are not PNG data URLs")
	}
	// The store folder holds the QR code and the record, no key.
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
		if strings.Contains(e.Name(), "key") {
			t.Fatalf("key file in the store: %s", e.Name())
		}
		if b := readFile(t, filepath.Join(dir, e.Name())); bytes.Contains(b, []byte(r.Key)) {
			t.Fatalf("%s holds the key", e.Name())
		}
	}
	if len(names) != 2 {
		t.Fatalf("store holds %v", names)
	}
	qrPNG := get(t, s, r.QR[0])
	if w := apiGet(t, s, r.QR[0]); w.Header().Get("Content-Type") != "image/png" || w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("QR headers %v", w.Header())
	}

	// Decrypt through the API and through store (the CLI's path): same pixels.
	w := apiPost(t, s, "/api/decrypt", file("qr", "code.png", qrPNG), field("key", r.Key))
	if w.Code != 200 || w.Header().Get("Content-Type") != "image/png" || w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("decrypt: status %d, headers %v: %s", w.Code, w.Header(), w.Body.String())
	}
	if w.Header().Get(HeaderWidth) != "256" || w.Header().Get(HeaderDepth) != "8" || w.Header().Get(HeaderSymbols) != "1" {
		t.Fatalf("decrypt headers %v", w.Header())
	}
	k, err := seal.ParseKey(r.Key)
	if err != nil {
		t.Fatal(err)
	}
	want, err := store.Decrypt([]string{filepath.Join(dir, "medqr-"+r.ID+".png")}, seal.KeyOpener(k))
	if err != nil {
		t.Fatal(err)
	}
	if !samePixels(decodePNG(t, w.Body.Bytes()), want.Image) {
		t.Fatal("API decryption differs from store.Decrypt")
	}
	if !samePixels(decodePNG(t, w.Body.Bytes()), decodePNG(t, mustDataURL(t, r.Preview.Decoded))) {
		t.Fatal("decoded preview differs from the decryption")
	}

	// The key as an uploaded key file, in the format "medqr encrypt" writes.
	kf := filepath.Join(t.TempDir(), "k.txt")
	if err := seal.WriteKeyFile(kf, k, "test"); err != nil {
		t.Fatal(err)
	}
	if w := apiPost(t, s, "/api/decrypt", file("qr", "code.png", qrPNG), file("key", "k.txt", readFile(t, kf))); w.Code != 200 {
		t.Fatalf("key file: status %d: %s", w.Code, w.Body.String())
	}

	// Refusals, each naming its field.
	other, _ := seal.GenerateKey()
	tampered := tamper(t, qrPNG)
	foreign, err := qr.EncodePNG([]byte("https://example.org/not-medqr"), qr.M, 4)
	if err != nil {
		t.Fatal(err)
	}
	checkRefusals(t, s, "/api/decrypt", []refusal{
		{"wrong key", []part{file("qr", "a.png", qrPNG), field("key", other.String())}, 422, "key"},
		{"mistyped key", []part{file("qr", "a.png", qrPNG), field("key", r.Key[:len(r.Key)-1]+"x")}, 400, "key"},
		{"key file with two keys", []part{file("qr", "a.png", qrPNG), file("key", "k.txt", []byte(r.Key+"\n"+r.Key+"\n"))}, 400, "key"},
		{"passphrase for a key-sealed code", []part{file("qr", "a.png", qrPNG), field("passphrase", "guess")}, 422, "passphrase"},
		{"no key", []part{file("qr", "a.png", qrPNG)}, 400, "key"},
		{"key and passphrase", []part{file("qr", "a.png", qrPNG), field("key", r.Key), field("passphrase", "x")}, 400, "key"},
		{"no QR", []part{field("key", r.Key)}, 400, "qr"},
		{"not an image", []part{file("qr", "key.txt", []byte(r.Key)), field("key", r.Key)}, 400, "qr"},
		{"tampered code", []part{file("qr", "a.png", tampered), field("key", r.Key)}, 422, "key"},
		{"foreign code", []part{file("qr", "a.png", foreign), field("key", r.Key)}, 422, "qr"},
		{"blank image", []part{file("qr", "a.png", blankPNG(t)), field("key", r.Key)}, 422, "qr"},
		{"unknown field", []part{file("qr", "a.png", qrPNG), field("key", r.Key), field("colour", "red")}, 400, "colour"},
		{"bad identity", []part{file("qr", "a.png", qrPNG), file("identity", "id.txt", []byte("# nothing\n"))}, 400, "identity"},
	}, func(t *testing.T, tt refusal, w *httptest.ResponseRecorder, e errorBody) {
		if tt.name == "wrong key" && e.Error != seal.ErrAuth.Error() {
			t.Errorf("wrong key: %q, want the CLI's %q", e.Error, seal.ErrAuth.Error())
		}
		if strings.Contains(w.Body.String(), r.Key[12:]) {
			t.Fatal("the answer quotes the key")
		}
	})
}

// refusal is a form that the API must refuse with status, in an error
// answer that names field.
type refusal struct {
	name   string
	parts  []part
	status int
	field  string
}

// checkRefusals posts each form to path and requires its status and an
// error answer naming its field, with a hint; then check, if not nil,
// looks further at the answer.
func checkRefusals(t *testing.T, s http.Handler, path string, tests []refusal, check func(t *testing.T, tt refusal, w *httptest.ResponseRecorder, e errorBody)) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := apiPost(t, s, path, tt.parts...)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body.String())
			}
			e := decodeError(t, w)
			if e.Field != tt.field || e.Hint == "" {
				t.Fatalf("error %+v, want field %q and a hint", e, tt.field)
			}
			if check != nil {
				check(t, tt, w, e)
			}
		})
	}
}

func mustDataURL(t testing.TB, u string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(u, "data:image/png;base64,"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tamper flips one bit of the sealed container in a QR PNG and renders it
// again: a code that reads perfectly and must fail authentication.
func tamper(t testing.TB, b []byte) []byte {
	t.Helper()
	c, err := qr.Decode(decodePNG(t, b))
	if err != nil {
		t.Fatal(err)
	}
	c[len(c)-40] ^= 1
	out, err := qr.EncodePNG(c, qr.M, 4)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func blankPNG(t testing.TB) []byte {
	t.Helper()
	g := image.NewGray(image.Rect(0, 0, 300, 300))
	for i := range g.Pix {
		g.Pix[i] = 255
	}
	var buf bytes.Buffer
	png.Encode(&buf, g)
	return buf.Bytes()
}

func TestEncryptModes(t *testing.T) {
	s := newServer(t, Config{})
	img := readFile(t, sampleJPEG)

	// Passphrase: no key in the answer; the passphrase opens it.
	r := encrypt(t, s, file("image", "x.jpeg", img), field("codec", "jpeg"), field("level", "Q"), field("passphrase", "correct horse"))
	if r.Key != "" || r.Record.Mode != "passphrase" || r.Record.Level != "Q" || r.Record.Codec != "jpeg" {
		t.Fatalf("passphrase mode: %+v", r)
	}
	code := get(t, s, r.QR[0])
	if w := apiPost(t, s, "/api/decrypt", file("qr", "a.png", code), field("passphrase", "correct horse")); w.Code != 200 {
		t.Fatalf("passphrase decrypt: %d %s", w.Code, w.Body.String())
	}
	if w := apiPost(t, s, "/api/decrypt", file("qr", "a.png", code), field("passphrase", "wrong horse")); w.Code != 422 || decodeError(t, w).Field != "passphrase" {
		t.Fatalf("wrong passphrase: %d %s", w.Code, w.Body.String())
	}

	// Recipient: the identity file opens it.
	id, err := seal.GenerateIdentity(seal.SuiteX25519)
	if err != nil {
		t.Fatal(err)
	}
	idFile := filepath.Join(t.TempDir(), "id.txt")
	if err := seal.WriteIdentityFile(idFile, id, "test"); err != nil {
		t.Fatal(err)
	}
	r = encrypt(t, s, file("image", "x.jpeg", img), field("codec", "jpeg"), field("recipient", id.Recipient().String()))
	if r.Key != "" || r.Record.Mode == "key" {
		t.Fatalf("recipient mode: %+v", r)
	}
	code = get(t, s, r.QR[0])
	if w := apiPost(t, s, "/api/decrypt", file("qr", "a.png", code), file("identity", "id.txt", readFile(t, idFile))); w.Code != 200 {
		t.Fatalf("identity decrypt: %d %s", w.Code, w.Body.String())
	}

	// Lossless over several codes: every code, the sheet, or a code short.
	r = encrypt(t, s, file("image", "x.jpeg", img), field("lossless", "true"), field("level", "L"))
	if len(r.QR) < 2 || r.Sheet == "" || !r.Fidelity.Exact || r.Fidelity.PSNR != nil {
		t.Fatalf("lossless: %d codes, sheet %q, fidelity %+v", len(r.QR), r.Sheet, r.Fidelity)
	}
	var all []part
	for i, u := range r.QR {
		all = append(all, file("qr", fmt.Sprintf("c%d.png", i), get(t, s, u)))
	}
	key := field("key", r.Key)
	w := apiPost(t, s, "/api/decrypt", append(all, key)...)
	if w.Code != 200 || !samePixels(decodePNG(t, w.Body.Bytes()), decodePNG(t, mustDataURL(t, r.Preview.Input))) {
		t.Fatalf("lossless decrypt: %d, or pixels differ", w.Code)
	}
	if w := apiPost(t, s, "/api/decrypt", file("qr", "sheet.png", get(t, s, r.Sheet)), key); w.Code != 200 {
		t.Fatalf("sheet decrypt: %d %s", w.Code, w.Body.String())
	}
	w = apiPost(t, s, "/api/decrypt", append(all[1:], key)...)
	if e := decodeError(t, w); w.Code != 422 || e.Field != "qr" || !strings.Contains(e.Error, "missing: number 1") {
		t.Fatalf("missing code: %d %+v", w.Code, e)
	}
	// Print page and records list.
	if page := string(get(t, s, r.Print)); !strings.Contains(page, r.QR[1]) {
		t.Fatal("print page lacks the codes")
	}
	var list struct{ Records []recordView }
	if err := json.Unmarshal(get(t, s, "/api/records"), &list); err != nil || len(list.Records) != 3 {
		t.Fatalf("records: %v, %+v", err, list)
	}
	if list.Records[0].Record.ID != r.ID && list.Records[0].Record.Time == r.Record.Time {
		// Same second: ordered by id.
		if list.Records[0].Record.ID > r.ID {
			t.Fatal("records not ordered")
		}
	}
	if page := string(get(t, s, "/records")); !strings.Contains(page, r.ID) {
		t.Fatal("store page lacks a record")
	}
}

func TestEncryptRefusals(t *testing.T) {
	s := newServer(t, Config{MaxUpload: 1 << 20})
	img := readFile(t, sampleJPEG)
	big := bytes.Repeat([]byte{0}, 2<<20)
	checkRefusals(t, s, "/api/encrypt", []refusal{
		{"no image", []part{field("level", "M")}, 400, "image"},
		{"two images", []part{file("image", "a.jpeg", img), file("image", "b.jpeg", img)}, 400, "image"},
		{"not an image", []part{file("image", "notes.txt", []byte("hello"))}, 400, "image"},
		{"empty file", []part{file("image", "empty.png", nil)}, 400, "image"},
		{"truncated PNG", []part{file("image", "t.png", blankPNG(t)[:60])}, 400, "image"},
		{"bad level", []part{file("image", "a.jpeg", img), field("level", "X")}, 400, "level"},
		{"bad codec", []part{file("image", "a.jpeg", img), field("codec", "webp")}, 400, "codec"},
		{"lossless and codec", []part{file("image", "a.jpeg", img), field("codec", "jpeg"), field("lossless", "true")}, 400, "lossless"},
		{"lossless not boolean", []part{file("image", "a.jpeg", img), field("lossless", "maybe")}, 400, "lossless"},
		{"lossless in one code", []part{file("image", "a.jpeg", img), field("codec", "lossless")}, 400, "lossless"},
		{"passphrase and recipient", []part{file("image", "a.jpeg", img), field("passphrase", "p"), field("recipient", "medqr1x")}, 400, "mode"},
		{"bad recipient", []part{file("image", "a.jpeg", img), field("recipient", "medqr1notakey")}, 400, "recipient"},
		{"long field", []part{file("image", "a.jpeg", img), field("passphrase", strings.Repeat("p", maxFieldBytes+1))}, 400, "passphrase"},
		{"too large", []part{file("image", "big.png", big)}, 413, ""},
	}, nil)
	// Like the CLI, a message about the image names the file.
	w := apiPost(t, s, "/api/encrypt", file("image", `C:\scans\notes.txt`, []byte("hello")))
	if e := decodeError(t, w); !strings.HasPrefix(e.Error, "notes.txt: ") {
		t.Errorf("error %q does not name the upload", e.Error)
	}

	// A body that is not a multipart form, and a too large body announced
	// by its length, are refused before anything is read.
	for _, tc := range []struct {
		ct     string
		body   string
		length int64
		want   int
	}{
		{"application/json", "{}", 2, 400},
		{"multipart/form-data; boundary=x", "garbage", 7, 400},
		{"multipart/form-data; boundary=x", "", 2 << 20, 413},
	} {
		r := httptest.NewRequest("POST", "/api/encrypt", strings.NewReader(tc.body))
		r.Header.Set("Content-Type", tc.ct)
		r.Header.Set("Authorization", "Bearer "+testToken)
		r.ContentLength = tc.length
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("%s %q: status %d, want %d", tc.ct, tc.body, w.Code, tc.want)
		}
	}
	// Nothing was written by any refusal.
	if recs, _ := store.ReadRecords(s.cfg.Dir); len(recs) != 0 {
		t.Fatalf("refusals left %d records", len(recs))
	}
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	s := newServer(t, Config{Dir: dir})
	id := "0123456789abcdef"
	for _, n := range []string{"medqr-" + id + "-key.txt", "medqr-" + id + ".png", "secret.png"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "medqr-fedcba9876543210.json")); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]int{
		"/files/medqr-" + id + ".png":              200,
		"/files/medqr-" + id + "-key.txt":          404,
		"/files/secret.png":                        404,
		"/files/medqr-fedcba9876543210.json":       404, // a link out of the folder
		"/files/" + url.PathEscape("../x.png"):     404,
		"/files/medqr-" + id + ".png/..":           307, // cleaned to /files/, then 404
		"/print/" + id:                             404, // no record
		"/print/..%2fetc":                          404,
		"/files/medqr-" + id + ".png?download=1":   200,
		"/files/medqr-aaaaaaaaaaaaaaaa-01of02.png": 404,
	} {
		if w := apiGet(t, s, path); w.Code != want {
			t.Errorf("GET %s: status %d, want %d", path, w.Code, want)
		}
	}
	w := apiGet(t, s, "/files/medqr-"+id+".png?download=1")
	if cd := w.Header().Get("Content-Disposition"); cd != `attachment; filename="medqr-`+id+`.png"` {
		t.Errorf("Content-Disposition %q", cd)
	}
}

func TestBusy(t *testing.T) {
	s := newServer(t, Config{Workers: 1, Queue: 1})
	s.slots <- struct{}{}
	s.waiting <- struct{}{}
	w := apiPost(t, s, "/api/encrypt", file("image", "a.jpeg", readFile(t, sampleJPEG)))
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", w.Code)
	}
	decodeError(t, w)
	// Pages never wait for a worker.
	if w := apiGet(t, s, "/"); w.Code != 200 {
		t.Fatalf("page while busy: %d", w.Code)
	}
}

// TestPageTitles: each page carries its own title (every page once had
// the last parsed page's) and its own submit button.
func TestPageTitles(t *testing.T) {
	s := newServer(t, Config{})
	for _, c := range []struct{ path, title, button string }{
		{"/", "<title>Encrypt an X-ray · medqr</title>", `<button type="submit" id="encrypt-button">Encrypt</button>`},
		{"/decrypt", "<title>Decrypt QR codes · medqr</title>", `<button type="submit" id="decrypt-button">Decrypt</button>`},
		{"/records", "<title>Store · medqr</title>", ""},
	} {
		b := string(get(t, s, c.path))
		if !strings.Contains(b, c.title) || !strings.Contains(b, c.button) {
			t.Errorf("GET %s: want %q and %q in the page", c.path, c.title, c.button)
		}
	}
}
