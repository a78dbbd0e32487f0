package rd

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/medqr/medqr/qr"
	"github.com/medqr/medqr/seal"
	"github.com/medqr/medqr/store"
)

func TestParseMultiPoints(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []MultiPoint
		bad  bool
	}{
		{in: "256:1,512:4,768:9,1024:16", want: []MultiPoint{{256, 1}, {512, 4}, {768, 9}, {1024, 16}}},
		{in: " 64:2 ", want: []MultiPoint{{64, 2}}},
		{in: "512x4", bad: true},
		{in: "512:0", bad: true},
		{in: "512:65", bad: true},
		{in: "4:1", bad: true},
		{in: "5000:1", bad: true},
		{in: "256:1,256:1", bad: true},
		{in: "", bad: true},
	} {
		got, err := ParseMultiPoints(tc.in)
		if tc.bad != (err != nil) || (!tc.bad && !slices.Equal(got, tc.want)) {
			t.Errorf("ParseMultiPoints(%q) = %v, %v", tc.in, got, err)
		}
	}
}

func TestMultiLevels(t *testing.T) {
	one, err := MultiLevels(1, "LMQH")
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range KeyModeLevels() {
		if one[i] != l {
			t.Errorf("one code at %s: %+v, want %+v", l.Level, one[i], l)
		}
	}
	four, err := MultiLevels(4, "L")
	if err != nil {
		t.Fatal(err)
	}
	if want := store.MessageBudget(4, qr.Capacity(qr.L), seal.NewKeySealer(seal.Key{})); len(four) != 1 || four[0].Budget != want {
		t.Errorf("four level-L codes: %+v, want budget %d", four, want)
	}
	for _, bad := range []string{"", "X", "LX"} {
		if _, err := MultiLevels(2, bad); err == nil {
			t.Errorf("levels %q accepted", bad)
		}
	}
}

// RunMulti on real files: the 224x224 JPEG is left out at 256 (never
// upscaled), rows pair the first method with the second, and the files
// written are the same twice over.
func TestRunMulti(t *testing.T) {
	files := []string{
		"../../data/samples/dicom/siim_acr_cxr_mono2_8bit_jpegbaseline.dcm",
		"../../data/samples/dicom/nema_CR-MONO1-10-chest_nometa.dcm",
		"../../data/samples/kermany_cxr_224/NORMAL/IM-0115-0001.jpeg",
	}
	mr, err := RunMulti(context.Background(), Config{Methods: jpegMethods(t)}, files, []MultiPoint{{128, 2}, {256, 1}}, "LM", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(mr.Tables) != 2 || len(mr.Tables[0].Report.Images) != 3 || len(mr.Tables[1].Report.Images) != 2 {
		t.Fatalf("tables %+v", mr.Tables)
	}
	if s := mr.Tables[1].Skipped; len(s) != 1 || s[0] != "IM-0115-0001.jpeg (224x224)" {
		t.Errorf("skipped at 256: %q", s)
	}
	rows := MultiRows(mr)
	if len(rows) != 4 {
		t.Fatalf("%d rows, want 2 points x 2 levels", len(rows))
	}
	for _, r := range rows {
		if r.Ref != "jpeg" || r.Rival != GoJPEGName || r.Wins > r.Images || math.Abs(r.DPSNR-(r.RefPSNR-r.RivalPSNR)) > 1e-9 ||
			r.DPSNRMin > r.DPSNR || r.DPSNR > r.DPSNRMax || r.BPP != float64(r.Budget)*8/float64(r.Size*r.Size) {
			t.Errorf("row %+v", r)
		}
	}
	if rows[0].Budget != 2*qr.Capacity(qr.L)-2*(seal.HeaderSize+seal.TagSize)-1 {
		t.Errorf("two level-L codes: budget %d", rows[0].Budget)
	}
	var outs [2]map[string][]byte
	for i := range outs {
		dir := t.TempDir()
		if err := WriteMulti(dir, mr); err != nil {
			t.Fatal(err)
		}
		outs[i] = map[string][]byte{}
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				b, _ := os.ReadFile(p)
				rel, _ := filepath.Rel(dir, p)
				outs[i][rel] = b
			}
			return err
		})
	}
	want := []string{"128px-2codes/rd.csv", "128px-2codes/rd.json", "256px-1codes/rd.csv", "256px-1codes/rd.json", "multicode.json", "multicode.md"}
	if len(outs[0]) != len(want) {
		t.Fatalf("wrote %d files, want %v", len(outs[0]), want)
	}
	for _, n := range want {
		if !bytes.Equal(outs[0][n], outs[1][n]) || len(outs[0][n]) == 0 {
			t.Errorf("%s: empty or different twice", n)
		}
	}
	if md := string(outs[0]["multicode.md"]); !strings.Contains(md, "left out (smaller than 256): IM-0115-0001.jpeg (224x224)") || !strings.Contains(md, "| 256 | 1 | M | 2283 |") {
		t.Errorf("multicode.md:\n%s", md)
	}
}
