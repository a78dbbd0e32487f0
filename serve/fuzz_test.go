package serve

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzAPIForms posts arbitrary bodies to both state-changing endpoints: the
// answer is never a server fault (500) and never a panic.
func FuzzAPIForms(f *testing.F) {
	const boundary = "fuzzboundary"
	seeds := []string{
		"",
		"--fuzzboundary--\r\n",
		"--fuzzboundary\r\nContent-Disposition: form-data; name=\"level\"\r\n\r\nZ\r\n--fuzzboundary--\r\n",
		"--fuzzboundary\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n\r\n\x89PNG\r\n\x1a\n\x00\r\n--fuzzboundary--\r\n",
		"--fuzzboundary\r\nContent-Disposition: form-data; name=\"qr\"; filename=\"a.png\"\r\n\r\nGIF89a\r\n--fuzzboundary\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nMEDQR-KEY-1\r\n--fuzzboundary--\r\n",
		"--fuzzboundary\r\nContent-Disposition: form-data; name=\"image\"; filename=\"x.dcm\"\r\n\r\n" + strings.Repeat("\x00", 128) + "DICM\x02\x00\x10\x00UI\r\n--fuzzboundary--\r\n",
		"--fuzzboundary\r\nContent-Disposition: form-data; name=\"identity\"; filename=\"../../id\"\r\n\r\nMEDQR-IDENTITY-1X\r\n--fuzzboundary--\r\n",
	}
	for _, s := range seeds {
		f.Add(s, false)
		f.Add(s, true)
	}
	s := newServer(f, Config{MaxUpload: 1 << 20})
	f.Fuzz(func(t *testing.T, body string, decrypt bool) {
		path := "/api/encrypt"
		if decrypt {
			path = "/api/decrypt"
		}
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		r.Header.Set("Content-Type", "multipart/form-data; boundary="+boundary)
		r.Header.Set("Authorization", "Bearer "+testToken)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("status %d for %q: %s", w.Code, body, w.Body.String())
		}
	})
}
