package data

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// npzPixel is the generator's formula (testdata/gen_npz.py).
func npzPixel(seed, i, y, x int) uint8 { return uint8((seed + 7*i + 3*y + x) % 256) }

func TestReadNPZVectors(t *testing.T) {
	for _, name := range []string{"small_stored.npz", "small_deflate.npz"} {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			arrays, err := ReadNPZ(b, 0)
			if err != nil {
				t.Fatal(err)
			}
			byName := map[string]*Array{}
			for _, a := range arrays {
				byName[a.Name] = a
			}
			for _, tc := range []struct {
				name  string
				seed  int
				n     int
				label []int
			}{{"train", 0, 5, []int{0, 1, 1, 0, 1}}, {"val", 100, 2, []int{1, 0}}} {
				img, lab := byName[tc.name+"_images"], byName[tc.name+"_labels"]
				if img == nil || lab == nil {
					t.Fatalf("missing %s arrays: %v", tc.name, byName)
				}
				if img.DType != "|u1" || len(img.Shape) != 3 || img.Shape[0] != tc.n || img.Shape[1] != 4 || img.Shape[2] != 3 {
					t.Fatalf("%s_images: %s %v", tc.name, img.DType, img.Shape)
				}
				for i := 0; i < tc.n; i++ {
					for y := 0; y < 4; y++ {
						for x := 0; x < 3; x++ {
							if got, want := img.Data[i*12+y*3+x], npzPixel(tc.seed, i, y, x); got != want {
								t.Fatalf("%s[%d][%d][%d] = %d, want %d", tc.name, i, y, x, got, want)
							}
						}
					}
					if lab.Int(i) != tc.label[i] {
						t.Errorf("%s label %d = %d, want %d", tc.name, i, lab.Int(i), tc.label[i])
					}
				}
			}
		})
	}
}

func TestNPZInvalidVectors(t *testing.T) {
	tests := []struct {
		file string
		kind string // "unsupported" or "format"
		text string
	}{
		{"invalid-float.npz", "unsupported", "<f4"},
		{"invalid-fortran.npz", "unsupported", "Fortran-order"},
		{"invalid-labels-mismatch.npz", "format", "do not match"},
		{"invalid-no-images.npz", "format", "no <name>_images array"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			p := filepath.Join("testdata", tc.file)
			_, err := Index(p)
			if err == nil {
				t.Fatal("Index succeeded")
			}
			var ue *UnsupportedError
			var fe *FormatError
			if (tc.kind == "unsupported" && !errors.As(err, &ue)) || (tc.kind == "format" && !errors.As(err, &fe)) {
				t.Errorf("error %v (%T), want %s error", err, err, tc.kind)
			}
			if !strings.Contains(err.Error(), tc.text) || !strings.Contains(err.Error(), p) {
				t.Errorf("error %q does not name the file and %q", err, tc.text)
			}
		})
	}
}

func TestNPZTruncatedAndGarbage(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "small_stored.npz"))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, 30, len(b) / 2, len(b) - 1} {
		if _, err := ReadNPZ(b[:n], 0); err == nil {
			t.Errorf("truncated to %d bytes: no error", n)
		}
	}
	if _, err := ReadNPZ(b, 50); !errors.Is(err, ErrTooLarge) { // the arrays hold 91 bytes
		t.Errorf("limit 50 bytes: err = %v, want ErrTooLarge", err)
	}
}

func TestParseNPYHeader(t *testing.T) {
	tests := []struct {
		h       string
		descr   string
		fortran bool
		shape   []int
		ok      bool
	}{
		{"{'descr': '|u1', 'fortran_order': False, 'shape': (3882, 28, 28), }", "|u1", false, []int{3882, 28, 28}, true},
		{"{'descr': '<i8', 'fortran_order': False, 'shape': (5,), }", "<i8", false, []int{5}, true},
		{"{'descr': '<u2', 'fortran_order': True, 'shape': (), }", "<u2", true, []int{}, true},
		{"{'descr': '|u1', 'shape': (2, 2), }", "", false, nil, false},
		{"{'descr': '|u1', 'fortran_order': False, 'shape': (-1, 2), }", "", false, nil, false},
		{"not a dict", "", false, nil, false},
	}
	for _, tc := range tests {
		d, f, s, err := parseNPYHeader(tc.h)
		if (err == nil) != tc.ok {
			t.Errorf("%q: err = %v", tc.h, err)
			continue
		}
		if tc.ok && (d != tc.descr || f != tc.fortran || len(s) != len(tc.shape)) {
			t.Errorf("%q: got %q %v %v", tc.h, d, f, s)
		}
	}
}

// TestPneumoniaMNIST indexes the shared PneumoniaMNIST-derived arrays and
// checks the counts stated in its PROVENANCE.md.
func TestPneumoniaMNIST(t *testing.T) {
	p := filepath.Join("..", "..", "shared", "data", "pneumoniamnist", "pneumoniamnist_train_val.npz")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared PneumoniaMNIST not found at %s", p)
	}
	m, err := Index(p)
	if err != nil {
		t.Fatal(err)
	}
	perArray := map[string][2]int{}
	for _, s := range m.Samples {
		arr, _, _ := strings.Cut(s.Path, "/")
		c := perArray[arr]
		c[s.Label]++
		perArray[arr] = c
		if s.Size != 28*28 {
			t.Fatalf("%s: %d pixels", s.Path, s.Size)
		}
	}
	want := map[string][2]int{"train_images": {388, 3494}, "val_images": {135, 389}}
	for k, v := range want {
		if perArray[k] != v {
			t.Errorf("%s: normal/pneumonia = %v, want %v (PROVENANCE.md)", k, perArray[k], v)
		}
	}
	if len(m.Classes) != 2 {
		t.Errorf("classes %v", m.Classes)
	}
}
