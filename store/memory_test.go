package store

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/medqr/medqr/seal"
)

func TestNoKeyFileAndDecryptFiles(t *testing.T) {
	dir := t.TempDir()
	res, err := Encrypt(sampleXray, dir, Options{Codec: "jpeg", NoKeyFile: true, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if res.KeyFile != "" || res.Record.KeyFile != "" || res.Key == (seal.Key{}) {
		t.Fatalf("NoKeyFile: key file %q, record key file %q, key set %v", res.KeyFile, res.Record.KeyFile, res.Key != seal.Key{})
	}
	id := res.Record.ID
	if got, want := listDir(t, dir), []string{"medqr-" + id + ".json", "medqr-" + id + ".png"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("files %v, want %v", got, want)
	}
	b, err := os.ReadFile(res.QRFiles[0])
	if err != nil {
		t.Fatal(err)
	}
	fromDisk, err := Decrypt(res.QRFiles, seal.KeyOpener(res.Key))
	if err != nil {
		t.Fatal(err)
	}
	fromMemory, err := DecryptFiles([]QRFile{{Name: "upload.png", Data: b}}, seal.KeyOpener(res.Key))
	if err != nil {
		t.Fatal(err)
	}
	if !samePixels(fromDisk.Image, fromMemory.Image) {
		t.Fatal("DecryptFiles and Decrypt disagree")
	}

	other, err := seal.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		files []QRFile
		key   seal.Key
		want  error
	}{
		{"wrong key", []QRFile{{"a.png", b}}, other, seal.ErrAuth},
		{"not an image", []QRFile{{"k.txt", []byte("MEDQR-KEY-1")}}, res.Key, ErrNotImage},
		{"empty", []QRFile{{"e.png", nil}}, res.Key, ErrNotImage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecryptFiles(tt.files, seal.KeyOpener(tt.key))
			if !errors.Is(err, tt.want) || got != nil {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
			var fe *FileError
			if tt.want != seal.ErrAuth && (!errors.As(err, &fe) || fe.Path != tt.files[0].Name) {
				t.Fatalf("error %v does not name %s", err, tt.files[0].Name)
			}
		})
	}
	if _, err := DecryptFiles(nil, seal.KeyOpener(res.Key)); err == nil {
		t.Fatal("no files: want an error")
	}
}

func TestReadRecords(t *testing.T) {
	dir := t.TempDir()
	if recs, err := ReadRecords(filepath.Join(dir, "absent")); err != nil || len(recs) != 0 {
		t.Fatalf("absent folder: %v, %v", recs, err)
	}
	var ids []string
	for i, day := range []int{1, 3, 2} {
		now := func() time.Time { return time.Date(2026, 1, day, 0, 0, i, 0, time.UTC) }
		res, err := Encrypt(sampleXray, dir, Options{Codec: "jpeg", NoKeyFile: true, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.Record.ID)
	}
	// Files that look like records but are not are skipped.
	junk := map[string]string{
		"medqr-0123456789abcdef.json": "{not json",
		"medqr-fedcba9876543210.json": `{"format":"medqr-record/1","id":"0000000000000000"}`,
		"notes.json":                  `{"format":"medqr-record/1"}`,
	}
	for name, body := range junk {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	recs, err := ReadRecords(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, r.ID)
	}
	if want := []string{ids[1], ids[2], ids[0]}; !reflect.DeepEqual(got, want) {
		t.Fatalf("records %v, want newest first %v", got, want)
	}
}
