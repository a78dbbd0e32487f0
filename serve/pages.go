package serve

import (
	"bytes"
	"embed"
	"encoding/json"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"regexp"
	"strings"

	"github.com/medqr/medqr/codec"
	"github.com/medqr/medqr/store"
)

//go:embed web
var webFS embed.FS

// pages holds the parsed page templates: each page (web/NAME.html, which
// defines its "title" and may define blocks layout.html calls) in a set of
// its own with web/layout.html, so that one page's definitions never
// replace another's.
type pages struct {
	t map[string]*template.Template // by page name
}

func loadPages() (*pages, error) {
	funcs := template.FuncMap{"inc": func(i int) int { return i + 1 }}
	layout, err := template.New("").Funcs(funcs).ParseFS(webFS, "web/layout.html")
	if err != nil {
		return nil, err
	}
	files, err := fs.Glob(webFS, "web/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{t: map[string]*template.Template{}}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(webFS, f)
		if err != nil {
			return nil, err
		}
		p.t[name] = t
	}
	return p, nil
}

// staticHandler serves the embedded style sheet, script and icon.
func staticHandler() http.Handler {
	sub, err := fs.Sub(webFS, "web/static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return http.StripPrefix("/static/", http.FileServerFS(sub))
}

// pageData is what every page template sees.
type pageData struct {
	Page         string // encrypt, decrypt, records, print
	CSRF         string
	Codecs       []string
	DefaultCodec string
	MaxUploadMiB int64
	Record       *recordView  // print page
	Records      []recordView // records page
}

func (s *Server) page(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.render(w, name, pageData{})
	}
}

func (s *Server) render(w http.ResponseWriter, name string, d pageData) {
	d.Page = name
	d.CSRF = s.csrf
	d.DefaultCodec = store.DefaultCodec()
	for _, n := range codec.Names() {
		if n != "lossless" { // the lossless checkbox chooses it
			d.Codecs = append(d.Codecs, n)
		}
	}
	d.MaxUploadMiB = s.cfg.MaxUpload >> 20
	var buf bytes.Buffer
	if err := s.pages.t[name].ExecuteTemplate(&buf, name+".html", d); err != nil {
		writeError(w, s.internal(err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes()) // the client went away; nothing to do
}

// fileName matches the files of the store folder the server hands out: QR
// codes, sheets and records, never key files.
var fileName = regexp.MustCompile(`^medqr-[0-9a-f]{16}(-[0-9]{2}of[0-9]{2}|-sheet)?\.(png|json)$`)

var recordID = regexp.MustCompile(`^[0-9a-f]{16}$`)

// openStored opens a file of the store folder for a request whose path
// value key must match pattern; file names the file from the value. A
// value that does not match, or a file that is absent or a link out of
// the folder, is a 404; a folder that does not open a 500. ok is false
// when the response has been written.
func (s *Server) openStored(w http.ResponseWriter, r *http.Request, key string, pattern *regexp.Regexp, file func(string) string) (f *os.File, value string, ok bool) {
	value = r.PathValue(key)
	if !pattern.MatchString(value) {
		http.NotFound(w, r)
		return nil, "", false
	}
	root, err := os.OpenRoot(s.cfg.Dir)
	if err != nil {
		writeError(w, s.internal(err))
		return nil, "", false
	}
	defer root.Close()
	if f, err = root.Open(file(value)); err != nil {
		http.NotFound(w, r)
		return nil, "", false
	}
	return f, value, true
}

// handleFile serves a QR code, sheet or record from the store folder.
func (s *Server) handleFile(w http.ResponseWriter, r *http.Request) {
	f, name, ok := s.openStored(w, r, "name", fileName, func(name string) string { return name })
	if !ok {
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	if strings.HasSuffix(name, ".png") {
		w.Header().Set("Content-Type", "image/png")
	} else {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	if r.URL.Query().Get("download") == "1" {
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	}
	http.ServeContent(w, r, name, fi.ModTime(), f)
}

// recordView is a record with the URLs of its files.
type recordView struct {
	Record store.Record `json:"record"`
	QR     []string     `json:"qr"`
	Sheet  string       `json:"sheet,omitempty"`
	Print  string       `json:"print"`
	JSON   string       `json:"json"`
}

func viewOf(rec store.Record) recordView {
	v := recordView{Record: rec, Print: "/print/" + rec.ID, JSON: "/files/medqr-" + rec.ID + ".json"}
	for _, q := range rec.QR {
		v.QR = append(v.QR, "/files/"+q.Name)
	}
	if rec.Sheet != nil {
		v.Sheet = "/files/" + rec.Sheet.Name
	}
	return v
}

// recordViews reads the store folder's records, newest first; ok is false
// when the error response has been written.
func (s *Server) recordViews(w http.ResponseWriter) (views []recordView, ok bool) {
	recs, err := store.ReadRecords(s.cfg.Dir)
	if err != nil {
		writeError(w, s.internal(err))
		return nil, false
	}
	views = []recordView{}
	for _, rec := range recs {
		views = append(views, viewOf(rec))
	}
	return views, true
}

// handleRecords lists the store folder's records, newest first.
func (s *Server) handleRecords(w http.ResponseWriter, r *http.Request) {
	views, ok := s.recordViews(w)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Records []recordView `json:"records"`
	}{views})
}

// handlePrint renders a printable page of one record's QR codes.
func (s *Server) handlePrint(w http.ResponseWriter, r *http.Request) {
	f, id, ok := s.openStored(w, r, "id", recordID, func(id string) string { return "medqr-" + id + ".json" })
	if !ok {
		return
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	var rec store.Record
	if json.Unmarshal(b, &rec) != nil || rec.Format != store.RecordFormat || rec.ID != id {
		http.NotFound(w, r)
		return
	}
	v := viewOf(rec)
	s.render(w, "print", pageData{Record: &v})
}

// handleRecordsPage renders the store page.
func (s *Server) handleRecordsPage(w http.ResponseWriter, r *http.Request) {
	views, ok := s.recordViews(w)
	if !ok {
		return
	}
	s.render(w, "records", pageData{Records: views})
}
