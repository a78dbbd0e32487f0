package attacks

import (
	"context"
	"errors"
	"testing"

	"github.com/medqr/medqr/eval/shard"
)

// TestShardMergeExact runs a trimmed quick setting unsharded and as three
// shards, merges the shards, and requires the same report.json (apart from
// the timings), report.md, plots and images; a missing or doubled shard is
// refused naming its number.
func TestShardMergeExact(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the quick attack suite twice, about 15 s")
	}
	cfg := QuickConfig()
	cfg.Images = repoPath("data", "samples", "kermany_cxr_224")
	cfg.Learned.Epochs, cfg.Learned.Train = 1, 400
	cfg.Tamper.Trials = 600
	cfg.Brute.KeyTrials, cfg.Brute.RecipTrials, cfg.Brute.WrongKeys = 50, 5, 10
	ctx := context.Background()
	want := t.TempDir()
	if _, err := Run(ctx, cfg, Options{Out: want, Quick: true, Code: "test"}); err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for i := 0; i < 3; i++ {
		d := t.TempDir()
		if _, err := RunShard(ctx, cfg, Options{Out: d, Quick: true, Code: "test"}, shard.Spec{Index: i, Count: 3}); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, d)
	}
	got := t.TempDir()
	if _, err := MergeShards(got, dirs); err != nil {
		t.Fatal(err)
	}
	compareRuns(t, want, got)

	var missing *shard.MissingError
	if _, err := MergeShards(t.TempDir(), dirs[:2]); !errors.As(err, &missing) || len(missing.Shards) != 1 || missing.Shards[0] != 2 {
		t.Errorf("merge without shard 2: %v", err)
	}
	var dup *shard.DuplicateError
	if _, err := MergeShards(t.TempDir(), []string{dirs[0], dirs[1], dirs[1], dirs[2]}); !errors.As(err, &dup) || dup.Shard != 1 {
		t.Errorf("merge with shard 1 twice: %v", err)
	}
	// a shard of another config (its meta says so) is refused
	m, err := shard.ReadMeta(dirs[0])
	if err != nil {
		t.Fatal(err)
	}
	m.Config = map[bool]string{true: "1", false: "0"}[m.Config[0] == '0'] + m.Config[1:]
	if err := shard.WriteMeta(dirs[0], m); err != nil {
		t.Fatal(err)
	}
	var mm *shard.MismatchError
	if _, err := MergeShards(t.TempDir(), dirs); !errors.As(err, &mm) || mm.Field != "config" {
		t.Errorf("merge with a shard of another config: %v", err)
	}
}
