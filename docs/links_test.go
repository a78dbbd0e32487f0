// Package docs holds medqr's documentation pages; its test checks that the
// README stays a front door and that every relative link in README.md and
// docs/*.md resolves, anchors included.
package docs

import (
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// maxREADMELines bounds the front door; details belong in docs/.
const maxREADMELines = 250

var (
	linkRE    = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	headingRE = regexp.MustCompile(`(?m)^#{1,6} +(.+?)\s*$`)
	schemeRE  = regexp.MustCompile(`^[a-z][a-z0-9+.-]*:`)
)

// slug is GitHub's anchor for a heading: lowercase, punctuation other than
// '-' and '_' dropped, spaces to '-'.
func slug(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r > 127:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// anchors returns the anchors a Markdown file defines, skipping fenced code.
func anchors(text string) map[string]bool {
	var prose strings.Builder
	fenced := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "```") {
			fenced = !fenced
			continue
		}
		if !fenced {
			prose.WriteString(line + "\n")
		}
	}
	out := map[string]bool{}
	seen := map[string]int{}
	for _, m := range headingRE.FindAllStringSubmatch(prose.String(), -1) {
		s := slug(m[1])
		if n := seen[s]; n > 0 {
			out[s+"-"+strconv.Itoa(n)] = true
		}
		seen[s]++
		out[s] = true
	}
	return out
}

func pages(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{"../README.md"}, files...)
}

func TestLinksResolve(t *testing.T) {
	for _, page := range pages(t) {
		raw, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range linkRE.FindAllStringSubmatch(string(raw), -1) {
			target := m[1]
			if schemeRE.MatchString(target) {
				continue
			}
			path, frag, _ := strings.Cut(target, "#")
			file := page
			if path != "" {
				file = filepath.Join(filepath.Dir(page), path)
				if _, err := os.Stat(file); err != nil {
					t.Errorf("%s: link %q: %v", page, target, err)
					continue
				}
			}
			if frag == "" || !strings.HasSuffix(file, ".md") {
				continue
			}
			text, err := os.ReadFile(file)
			if err != nil {
				t.Errorf("%s: link %q: %v", page, target, err)
				continue
			}
			if !anchors(string(text))[frag] {
				t.Errorf("%s: link %q: no heading with anchor #%s in %s", page, target, frag, file)
			}
		}
	}
}

func TestREADMEIsAFrontDoor(t *testing.T) {
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(raw), "\n"); n > maxREADMELines {
		t.Errorf("README.md has %d lines, want at most %d: move details to docs/", n, maxREADMELines)
	}
	for _, want := range []string{"make demo", "make test"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("README.md does not show %q", want)
		}
	}
	// Every page under docs/ is reachable from the README.
	files, _ := filepath.Glob("*.md")
	for _, f := range files {
		if !strings.Contains(string(raw), "docs/"+f) {
			t.Errorf("README.md does not link docs/%s", f)
		}
	}
}

// TestAnchors: anchors are GitHub's (lowercase, punctuation other than '-'
// and '_' dropped, spaces to '-'), numbered from the second heading of the
// same text, and never made from lines in fenced code.
func TestAnchors(t *testing.T) {
	for _, c := range []struct {
		text string
		want []string
	}{
		{"# Security model", []string{"security-model"}},
		{"## Keys and sealing (`seal`, `keystream`, `medqr keygen`)", []string{"keys-and-sealing-seal-keystream-medqr-keygen"}},
		{"### iwave: a lifting-wavelet codec", []string{"iwave-a-lifting-wavelet-codec"}},
		{"# Results (104 test images, 256x256, seed 20260101)", []string{"results-104-test-images-256x256-seed-20260101"}},
		{"# Run\n\n## Run\ntext\n# Run\n", []string{"run", "run-1", "run-2"}},
		{"# Top\n```sh\n# not a heading\n```\n#not a heading either\n", []string{"top"}},
	} {
		want := map[string]bool{}
		for _, a := range c.want {
			want[a] = true
		}
		if got := anchors(c.text); !maps.Equal(got, want) {
			t.Errorf("anchors(%q) = %v, want %q", c.text, got, c.want)
		}
	}
}
