// Package looptest holds the checks the cipher trainers' tests
// (train/deepkeygen, train/sae, train/lstm) share: a run stopped and
// resumed ends with the same weights file as an uninterrupted run, a second
// fresh run into a used folder is refused, and bad config overrides are
// refused while the shipped config loads; and the two ends of their
// graph-against-inference checks: the shipped weights as the graph's
// tensors, and the graph's weights as the cipher's model. Only tests
// import it.
package looptest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/medqr/medqr/internal/detnn"
	"github.com/medqr/medqr/train/internal/cipherloop"
)

// Trainer is a trainer package's Train function.
type Trainer[C any] func(context.Context, C, cipherloop.Options) (string, error)

// Resume trains c straight through in the run folder "straight", and in
// "resumed" stopped after step stop, refused a second fresh start, then
// resumed; it fails t unless both weights files are equal and the resumed
// folder holds run.json and losses.csv. It returns the weights file's
// bytes.
func Resume[C any, P interface {
	*C
	SetName(string)
}](t *testing.T, train Trainer[C], c C, stop int) []byte {
	t.Helper()
	ctx := context.Background()
	a, b := c, c
	P(&a).SetName("straight")
	P(&b).SetName("resumed")
	pa, err := train(ctx, a, cipherloop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := train(ctx, b, cipherloop.Options{StopAt: stop}); !errors.Is(err, cipherloop.ErrStopped) {
		t.Fatalf("stop at %d: %v", stop, err)
	}
	if _, err := train(ctx, b, cipherloop.Options{}); err == nil {
		t.Fatal("a second fresh run into the same folder was accepted")
	}
	pb, err := train(ctx, b, cipherloop.Options{Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	wa, wb := Read(t, pa), Read(t, pb)
	if len(wa) == 0 || string(wa) != string(wb) {
		t.Fatal("resumed run's weights differ from the uninterrupted run's")
	}
	for _, f := range []string{"run.json", "losses.csv"} {
		if _, err := os.Stat(filepath.Join(filepath.Dir(pb), f)); err != nil {
			t.Error(err)
		}
	}
	return wa
}

// Refused fails t when load accepts any of the key=value overrides in bad
// (each alone over the defaults) or refuses the shipped config file.
func Refused[C any](t *testing.T, load func(string, []string) (C, error), bad []string, shipped string) {
	t.Helper()
	for _, set := range bad {
		if _, err := load("", []string{set}); err == nil {
			t.Errorf("%s accepted", set)
		}
	}
	if _, err := load(shipped, nil); err != nil {
		t.Errorf("shipped config: %v", err)
	}
}

// Read returns the file at p or fails t.
func Read(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Shipped decodes the shipped weights file at path (scheme name, hint as
// in detnn.DecodeWeights) into arch and returns its tensors narrowed to
// float32, the training graph's type, or fails t.
func Shipped(t *testing.T, path, name, hint string, arch detnn.Arch) map[string][]float32 {
	t.Helper()
	ts, err := detnn.DecodeWeights(Read(t, path), name, hint, arch)
	if err != nil {
		t.Fatalf("shipped weights: %v", err)
	}
	out := map[string][]float32{}
	for k, v := range ts {
		for _, x := range v {
			out[k] = append(out[k], float32(x))
		}
	}
	return out
}

// Reload returns the cipher's model of the weights file encode writes (a
// trainer's WeightsFile), decoded by decode, or fails t: the model
// inference would run on what the trainer exports.
func Reload[M any](t *testing.T, encode func() ([]byte, error), decode func([]byte) (M, error)) M {
	t.Helper()
	b, err := encode()
	if err != nil {
		t.Fatalf("encoding the weights file: %v", err)
	}
	m, err := decode(b)
	if err != nil {
		t.Fatalf("the cipher's decoder refused the trainer's weights file: %v", err)
	}
	return m
}
