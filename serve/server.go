package serve

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strings"
	"time"
)

// Defaults of Config.
const (
	DefaultMaxUpload      = 64 << 20
	DefaultQueue          = 64
	DefaultRequestTimeout = 5 * time.Minute
	// MinTokenLength is the shortest access token New accepts.
	MinTokenLength = 16
)

// CookieName is the name of the cookie that carries the access token.
const CookieName = "medqr_token"

// CSRFHeader is the request header that carries the page's CSRF token.
const CSRFHeader = "X-CSRF-Token"

// Config configures a Server.
type Config struct {
	// Dir is the store folder: QR codes and records are written to it and
	// listed from it. It is created if needed.
	Dir string
	// Token is the access token (at least MinTokenLength characters);
	// GenerateToken makes one.
	Token string
	// MaxUpload bounds the body of one request in bytes; 0 = DefaultMaxUpload.
	MaxUpload int64
	// Workers bounds the encryptions and decryptions that run at once;
	// 0 = GOMAXPROCS.
	Workers int
	// Queue bounds the requests that wait for a worker; more are refused
	// with 503. 0 = DefaultQueue.
	Queue int
	// RequestTimeout bounds one request, waiting included;
	// 0 = DefaultRequestTimeout.
	RequestTimeout time.Duration
	// Secure marks the cookie Secure (the server runs behind TLS).
	Secure bool
	// Logf logs one line about a server fault (never a secret); nil = no log.
	Logf func(format string, args ...any)
}

// Server is the upload application. Make one with New; it is an
// http.Handler.
type Server struct {
	cfg     Config
	csrf    string
	slots   chan struct{}
	waiting chan struct{}
	mux     *http.ServeMux
	cop     *http.CrossOriginProtection
	pages   *pages
}

// GenerateToken returns a fresh access token: 24 bytes from crypto/rand,
// base64url.
func GenerateToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("serve: failed to generate a token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// New returns a Server for cfg, creating the store folder if needed.
func New(cfg Config) (*Server, error) {
	if len(cfg.Token) < MinTokenLength {
		return nil, fmt.Errorf("serve: the access token has %d characters, want at least %d", len(cfg.Token), MinTokenLength)
	}
	if strings.ContainsAny(cfg.Token, " ;,\"\\\t\r\n") {
		return nil, errors.New("serve: the access token may not contain spaces, quotes, commas, semicolons or backslashes")
	}
	if cfg.Dir == "" {
		return nil, errors.New("serve: no store folder")
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("serve: failed to create the store folder: %w", err)
	}
	if cfg.MaxUpload <= 0 {
		cfg.MaxUpload = DefaultMaxUpload
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.Queue <= 0 {
		cfg.Queue = DefaultQueue
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	mac := hmac.New(sha256.New, []byte(cfg.Token))
	mac.Write([]byte("medqr-serve/v1/csrf"))
	s := &Server{
		cfg:     cfg,
		csrf:    hex.EncodeToString(mac.Sum(nil)),
		slots:   make(chan struct{}, cfg.Workers),
		waiting: make(chan struct{}, cfg.Queue),
		mux:     http.NewServeMux(),
		cop:     http.NewCrossOriginProtection(),
	}
	var err error
	if s.pages, err = loadPages(); err != nil {
		return nil, err
	}
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	s.mux.HandleFunc("GET /{$}", s.page("encrypt"))
	s.mux.HandleFunc("GET /decrypt", s.page("decrypt"))
	s.mux.HandleFunc("GET /records", s.handleRecordsPage)
	s.mux.HandleFunc("GET /print/{id}", s.handlePrint)
	s.mux.Handle("GET /static/", staticHandler())
	s.mux.HandleFunc("GET /files/{name}", s.handleFile)
	s.mux.HandleFunc("POST /api/encrypt", s.handleEncrypt)
	s.mux.HandleFunc("POST /api/decrypt", s.handleDecrypt)
	s.mux.HandleFunc("GET /api/records", s.handleRecords)
}

// contentSecurityPolicy allows only the server's own script, style sheet
// and images (data: and blob: for previews and decrypted images made in
// the page), and no framing.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"media-src 'self' blob:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// ServeHTTP sets the security headers, bounds the request time, checks the
// access token and the CSRF rules, and dispatches.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
	if strings.HasPrefix(r.URL.Path, "/static/") {
		h.Set("Cache-Control", "no-cache")
	} else {
		h.Set("Cache-Control", "no-store")
	}
	deadline := time.Now().Add(s.cfg.RequestTimeout)
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(deadline)  // not every ResponseWriter supports deadlines (httptest)
	_ = rc.SetWriteDeadline(deadline) // likewise
	ctx, cancel := context.WithDeadline(r.Context(), deadline)
	defer cancel()
	r = r.WithContext(ctx)

	if r.URL.Query().Has("token") {
		s.tokenLogin(w, r)
		return
	}
	via, ok := s.authenticate(r)
	if !ok {
		s.unauthorized(w, r)
		return
	}
	if via == viaCookie && !safeMethod(r.Method) {
		if err := s.cop.Check(r); err != nil {
			writeError(w, &apiError{status: http.StatusForbidden, msg: "cross-site request refused",
				hint: "use the medqr page itself, or send the token as Authorization: Bearer TOKEN"})
			return
		}
		if !hmac.Equal([]byte(r.Header.Get(CSRFHeader)), []byte(s.csrf)) {
			writeError(w, &apiError{status: http.StatusForbidden, msg: "missing or wrong CSRF token",
				hint: "reload the page and try again; API clients send Authorization: Bearer TOKEN"})
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

type authVia int

const (
	viaNone authVia = iota
	viaBearer
	viaCookie
)

func (s *Server) tokenOK(t string) bool {
	return subtle.ConstantTimeCompare([]byte(t), []byte(s.cfg.Token)) == 1
}

// authenticate checks the Authorization header if there is one (a wrong
// one is not rescued by a cookie), else the cookie.
func (s *Server) authenticate(r *http.Request) (authVia, bool) {
	if a := r.Header.Get("Authorization"); a != "" {
		t, ok := strings.CutPrefix(a, "Bearer ")
		return viaBearer, ok && s.tokenOK(strings.TrimSpace(t))
	}
	if c, err := r.Cookie(CookieName); err == nil && s.tokenOK(c.Value) {
		return viaCookie, true
	}
	return viaNone, false
}

// tokenLogin handles "?token=": a GET with the right token sets the cookie
// and redirects to the same URL without the token, so it stays out of the
// history and of any Referer.
func (s *Server) tokenLogin(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if r.Method != http.MethodGet || !s.tokenOK(q.Get("token")) {
		s.unauthorized(w, r)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: s.cfg.Token, Path: "/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.cfg.Secure,
	})
	q.Del("token")
	u := *r.URL
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
}

func (s *Server) unauthorized(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="medqr"`)
	e := &apiError{status: http.StatusUnauthorized, msg: "missing or wrong access token",
		hint: "open the URL that \"medqr serve\" printed (it ends in ?token=...), or send Authorization: Bearer TOKEN"}
	if strings.HasPrefix(r.URL.Path, "/api/") {
		writeError(w, e)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(e.status)
	fmt.Fprintf(w, "medqr: %s\n%s\n", e.msg, e.hint)
}

// acquire waits for a worker slot. It fails at once with 503 when the
// queue is full, and when the request's context ends while waiting.
func (s *Server) acquire(ctx context.Context) (release func(), err *apiError) {
	busy := &apiError{status: http.StatusServiceUnavailable, msg: "the server is busy",
		hint: "try again in a minute"}
	select {
	case s.slots <- struct{}{}:
		return func() { <-s.slots }, nil
	default:
	}
	select {
	case s.waiting <- struct{}{}:
	default:
		return nil, busy
	}
	defer func() { <-s.waiting }()
	select {
	case s.slots <- struct{}{}:
		return func() { <-s.slots }, nil
	case <-ctx.Done():
		return nil, busy
	}
}
