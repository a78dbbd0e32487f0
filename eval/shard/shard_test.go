package shard

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Spec
		err  string
	}{
		{"0/1", Spec{0, 1}, ""},
		{"0/4", Spec{0, 4}, ""},
		{"3/4", Spec{3, 4}, ""},
		{" 2/3 ", Spec{2, 3}, ""},
		{"99999/100000", Spec{99999, 100000}, ""},
		{"4/4", Spec{}, "I must be between 0 and N-1 = 3"},
		{"-1/4", Spec{}, "I must be between"},
		{"0/0", Spec{}, "N must be between 1"},
		{"0/100001", Spec{}, "N must be between 1"},
		{"1", Spec{}, "want I/N"},
		{"", Spec{}, "want I/N"},
		{"a/4", Spec{}, "integers"},
		{"1/b", Spec{}, "integers"},
		{"$(JOB_COMPLETION_INDEX)/4", Spec{}, "integers"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := Parse(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Parse(%q) = %v, %v; want error with %q", tc.in, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Parse(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
			if back, err := Parse(got.String()); err != nil || back != got {
				t.Errorf("round trip of %v: %v, %v", got, back, err)
			}
		})
	}
	if (Spec{}).Enabled() || (Spec{}).String() != "" {
		t.Error("the zero Spec is enabled")
	}
}

// TestOwns: every key belongs to exactly one shard, the split is stable and
// about even, and the zero Spec owns everything.
func TestOwns(t *testing.T) {
	const n, keys = 4, 4000
	count := make([]int, n)
	for k := 0; k < keys; k++ {
		key := fmt.Sprintf("%064x", k)
		owners := 0
		for i := 0; i < n; i++ {
			if (Spec{i, n}).Owns(key) {
				owners++
				count[i]++
			}
		}
		if owners != 1 {
			t.Fatalf("key %s has %d owners", key, owners)
		}
		if !(Spec{}).Owns(key) || !(Spec{0, 1}).Owns(key) {
			t.Fatal("an unsharded run does not own every key")
		}
	}
	for i, c := range count {
		if c < keys/n*9/10 || c > keys/n*11/10 {
			t.Errorf("shard %d owns %d of %d keys", i, c, keys)
		}
	}
	// the assignment is a fixed function of the key: pin two values
	if Of("attacks/tamper", 4) != Of("attacks/tamper", 4) || Of("x", 1) != 0 {
		t.Error("Of is not a function of its key")
	}
}

func metaSet(n int) ([]string, []Meta) {
	var dirs []string
	var ms []Meta
	for i := 0; i < n; i++ {
		m := NewMeta("eval", Spec{i, n}, "cfg", "v1")
		m.Units, m.Total = 2, 2*n
		dirs = append(dirs, fmt.Sprintf("s%d", i))
		ms = append(ms, m)
	}
	return dirs, ms
}

func TestCheck(t *testing.T) {
	dirs, ms := metaSet(3)
	// out of order is fine
	got, err := Check("eval", []string{dirs[2], dirs[0], dirs[1]}, []Meta{ms[2], ms[0], ms[1]})
	if err != nil || got[0].Shard != 0 || got[2].Shard != 2 {
		t.Fatalf("Check: %v, %v", got, err)
	}
	var miss *MissingError
	if _, err := Check("eval", dirs[:2], ms[:2]); !errors.As(err, &miss) || err.Error() != "shard 2 of 3 missing" {
		t.Errorf("missing shard: %v", err)
	}
	if _, err := Check("eval", dirs[1:2], ms[1:2]); !errors.As(err, &miss) || err.Error() != "shards 0, 2 of 3 missing" {
		t.Errorf("missing shards: %v", err)
	}
	var dup *DuplicateError
	if _, err := Check("eval", append(dirs, "again"), append(ms, ms[1])); !errors.As(err, &dup) || dup.Shard != 1 || !strings.Contains(err.Error(), "s1 and again") {
		t.Errorf("doubled shard: %v", err)
	}
	for _, tc := range []struct {
		field string
		edit  func(*Meta)
	}{
		{"kind", func(m *Meta) { m.Kind = "attacks" }},
		{"shard count", func(m *Meta) { m.Shards = 4 }},
		{"config", func(m *Meta) { m.Config = "other" }},
		{"code version", func(m *Meta) { m.Binary = "other" }},
		{"total units", func(m *Meta) { m.Total = 7 }},
	} {
		bad := append([]Meta{}, ms...)
		tc.edit(&bad[1])
		var mm *MismatchError
		if _, err := Check("eval", dirs, bad); !errors.As(err, &mm) || mm.Field != tc.field {
			t.Errorf("%s mismatch: %v", tc.field, err)
		}
	}
	// the same binary under a code version that moved (git HEAD read at
	// run time) is the same code; without binary hashes the versions decide
	same := append([]Meta{}, ms...)
	same[1].Code = "v2"
	if _, err := Check("eval", dirs, same); err != nil {
		t.Errorf("same binary, other version string: %v", err)
	}
	for i := range same {
		same[i].Binary = ""
	}
	var mm *MismatchError
	if _, err := Check("eval", dirs, same); !errors.As(err, &mm) || mm.Field != "code version" {
		t.Errorf("no binary hashes, other versions: %v", err)
	}
	short := append([]Meta{}, ms...)
	short[0].Units = 1
	if _, err := Check("eval", dirs, short); err == nil || !strings.Contains(err.Error(), "incomplete") {
		t.Errorf("units that do not add up: %v", err)
	}
}

func TestMetaFiles(t *testing.T) {
	dir := t.TempDir()
	m := NewMeta("attacks", Spec{1, 2}, "abc", "v1")
	m.Units, m.Total, m.Seconds = 3, 7, 1.5
	if err := WriteMeta(dir, m); err != nil {
		t.Fatal(err)
	}
	got, err := ReadMeta(dir)
	if err != nil || got != m {
		t.Fatalf("ReadMeta = %+v, %v; want %+v", got, err, m)
	}
	if _, err := ReadMeta(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a shard folder") {
		t.Errorf("folder without meta: %v", err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, FileMeta))
	for _, tc := range []struct{ name, from, to, want string }{
		{"version", `"version": 1`, `"version": 2`, "version 2"},
		{"format", `"medqr-shard"`, `"other"`, "format"},
		{"shard", `"shard": 1`, `"shard": 2`, "shard 2 of 2"},
		{"unknown", `"kind"`, `"sort"`, "unknown field"},
		{"units", `"units": 3`, `"units": 8`, "8 units of 7"},
	} {
		if _, err := ParseMeta([]byte(strings.Replace(string(b), tc.from, tc.to, 1))); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
		}
	}
}

// TestWriteFiles: every file lands under dir with its contents, folders
// (dir itself, and nested ones) are created, files already there are
// replaced, and a folder that cannot be created is an error.
func TestWriteFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	files := map[string][]byte{
		"a.json":                          []byte("{}\n"),
		filepath.Join("sub", "b.csv"):     []byte("x,y\n"),
		filepath.Join("sub", "c", "d.md"): {},
	}
	for range 2 {
		if err := WriteFiles(dir, files); err != nil {
			t.Fatal(err)
		}
		for name, want := range files {
			got, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil || string(got) != string(want) {
				t.Errorf("%s: %q, %v; want %q", name, got, err, want)
			}
			if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Mode().Perm() != 0o644 {
				t.Errorf("%s: mode %v, %v; want 0644", name, fi.Mode(), err)
			}
		}
		files["a.json"] = []byte("{\"again\": true}\n")
	}
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFiles(blocker, files); err == nil {
		t.Error("made a folder where a file is")
	}
	if err := WriteFiles(dir, map[string][]byte{filepath.Join("a.json", "x"): nil}); err == nil {
		t.Error("wrote into a file as if it were a folder")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"0/1", "3/4", "4/4", "-1/2", "x/y", "", "1/100000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			if p != (Spec{}) {
				t.Fatalf("Parse(%q) returned %v with an error", s, p)
			}
			return
		}
		if p.Index < 0 || p.Index >= p.Count || p.Count > MaxCount {
			t.Fatalf("Parse(%q) = %v out of range", s, p)
		}
		if q, err := Parse(p.String()); err != nil || q != p {
			t.Fatalf("round trip %v: %v, %v", p, q, err)
		}
	})
}

func FuzzParseMeta(f *testing.F) {
	m := NewMeta("eval", Spec{0, 2}, "abc", "v1")
	m.Total = 4
	b, _ := json.Marshal(m)
	f.Add(b)
	f.Add([]byte(`{"format":"medqr-shard","version":1,"kind":"x","shard":0,"shards":1}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseMeta(b)
		if err != nil {
			if m != (Meta{}) {
				t.Fatal("a meta returned with an error")
			}
			return
		}
		if m.Shard < 0 || m.Shard >= m.Shards || m.Units > m.Total || m.Kind == "" {
			t.Fatalf("accepted an inconsistent meta %+v", m)
		}
	})
}

// toyPartial is a minimal shard.Partial for TestMerge.
type toyPartial struct {
	Config string `json:"config"`
	Units
}

func (p *toyPartial) ShardConfig() any { return p.Config }

// TestMerge: Merge hands the partials to merge in shard order, and refuses
// a partial that does not match its meta and a missing shard.
func TestMerge(t *testing.T) {
	images := []string{"a", "b", "c"}
	// write makes shard i of 2 owning owned, run with config cfg; its meta
	// says config "cfg".
	write := func(t *testing.T, i int, owned []int, cfg string) string {
		dir := t.TempDir()
		b, err := json.Marshal(toyPartial{Config: cfg, Units: Units{Images: images, Owned: owned}})
		if err != nil {
			t.Fatal(err)
		}
		if err := Write(dir, "toy", Spec{i, 2}, "cfg", "v1", len(owned), len(images), 1, map[string][]byte{"part.json": b}); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	read := func(dir string) (*toyPartial, error) {
		b, err := os.ReadFile(filepath.Join(dir, "part.json"))
		if err != nil {
			return nil, err
		}
		var p toyPartial
		return &p, json.Unmarshal(b, &p)
	}
	merge := func(ps []*toyPartial) ([]int, error) {
		var all []int
		for _, p := range ps {
			all = append(all, p.Owned...)
		}
		return all, nil
	}
	for _, tc := range []struct {
		name  string
		dirs  func(t *testing.T) []string
		want  []int
		error string
	}{
		{"two shards, given in reverse", func(t *testing.T) []string {
			return []string{write(t, 1, []int{1}, "cfg"), write(t, 0, []int{0, 2}, "cfg")}
		}, []int{0, 2, 1}, ""},
		{"partial's config differs from the meta's", func(t *testing.T) []string {
			return []string{write(t, 0, []int{0, 2}, "cfg"), write(t, 1, []int{1}, "other")}
		}, nil, "do not match"},
		{"missing shard", func(t *testing.T) []string {
			return []string{write(t, 0, []int{0, 2}, "cfg")}
		}, nil, "missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, metas, err := Merge("toy", tc.dirs(t), read, merge)
			if tc.error != "" {
				if err == nil || !strings.Contains(err.Error(), tc.error) || got != nil {
					t.Fatalf("Merge = %v, %v; want no result and an error with %q", got, err, tc.error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) || len(metas) != 2 || metas[0].Shard != 0 || metas[1].Shard != 1 {
				t.Fatalf("Merge = %v, metas %+v; want %v in shard order", got, metas, tc.want)
			}
		})
	}
}

// failingJSON is a value whose JSON encoding fails.
type failingJSON struct{}

var errFailingJSON = errors.New("no JSON for this value")

func (failingJSON) MarshalJSON() ([]byte, error) { return nil, errFailingJSON }

// TestEncodePartial: EncodePartial writes one line of JSON and a newline
// that DecodePartial reads back, and passes on (wrapped) the error of a
// value JSON cannot hold.
func TestEncodePartial(t *testing.T) {
	type toy struct {
		Schema string  `json:"schema"`
		Value  float64 `json:"value"`
		Units
	}
	for _, tc := range []struct {
		name string
		in   any
	}{
		{"empty", toy{Schema: "toy/v1"}},
		{"units", toy{Schema: "toy/v1", Value: 0.5, Units: Units{Images: []string{"a", "b"}, Owned: []int{1}}}},
		{"not encodable", failingJSON{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := EncodePartial(tc.in)
			want, ok := tc.in.(toy)
			if !ok {
				if !errors.Is(err, errFailingJSON) || b != nil {
					t.Fatalf("EncodePartial = %q, %v; want no bytes and the encoder's error", b, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Count(string(b), "\n") != 1 || !strings.HasSuffix(string(b), "}\n") {
				t.Fatalf("EncodePartial = %q, want one line of JSON and a newline", b)
			}
			var got toy
			if err := DecodePartial(b, "toy/v1", &got); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("read back %+v, want %+v", got, want)
			}
		})
	}
}
