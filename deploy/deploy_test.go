// Package deploy holds the container and Kubernetes files of the sharded
// research runs (Dockerfile at the repository root, k8s/ here) and the
// tests that check their shape: docker and a cluster are not available
// where the tests run, so the files are read, not run (docs/scale.md).
package deploy

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// The parts of the Kubernetes objects that the tests look at; the YAML
// decoder ignores the rest.
type object struct {
	APIVersion string   `yaml:"apiVersion"`
	Kind       string   `yaml:"kind"`
	Metadata   metadata `yaml:"metadata"`
	Spec       struct {
		// PersistentVolumeClaim
		AccessModes []string `yaml:"accessModes"`
		// Job
		CompletionMode string `yaml:"completionMode"`
		Completions    *int   `yaml:"completions"`
		Parallelism    *int   `yaml:"parallelism"`
		Template       struct {
			Spec podSpec `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type metadata struct {
	Name string `yaml:"name"`
}

type podSpec struct {
	RestartPolicy string      `yaml:"restartPolicy"`
	Containers    []container `yaml:"containers"`
	Volumes       []struct {
		Name string `yaml:"name"`
		PVC  *struct {
			ClaimName string `yaml:"claimName"`
		} `yaml:"persistentVolumeClaim"`
	} `yaml:"volumes"`
}

type container struct {
	Name  string   `yaml:"name"`
	Image string   `yaml:"image"`
	Args  []string `yaml:"args"`
	Env   []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			FieldRef *struct {
				FieldPath string `yaml:"fieldPath"`
			} `yaml:"fieldRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

func (c container) env(name string) (value, fieldPath string, ok bool) {
	for _, e := range c.Env {
		if e.Name == name {
			if e.ValueFrom != nil && e.ValueFrom.FieldRef != nil {
				return "", e.ValueFrom.FieldRef.FieldPath, true
			}
			return e.Value, "", true
		}
	}
	return "", "", false
}

// flag returns the value of --name=V or -name=V in args.
func flagValue(args []string, name string) (string, bool) {
	for _, a := range args {
		for _, p := range []string{"--" + name + "=", "-" + name + "="} {
			if v, ok := strings.CutPrefix(a, p); ok {
				return v, true
			}
		}
	}
	return "", false
}

func loadObjects(t *testing.T) map[string]object {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("k8s", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests under k8s/: %v", err)
	}
	objs := map[string]object{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			var o object
			if err := dec.Decode(&o); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				t.Fatalf("%s: %v", f, err)
			}
			if o.Kind == "" || o.APIVersion == "" || o.Metadata.Name == "" {
				t.Fatalf("%s: an object without kind, apiVersion or name", f)
			}
			key := o.Kind + "/" + o.Metadata.Name
			if _, dup := objs[key]; dup {
				t.Fatalf("%s: %s defined twice", f, key)
			}
			objs[key] = o
		}
	}
	return objs
}

const indexAnnotation = "metadata.annotations['batch.kubernetes.io/job-completion-index']"

// TestShardJobs: each shard Job is an Indexed Job whose N (completions,
// parallelism, SHARD_COUNT) agree, whose pods get their index from the
// completion-index annotation and pass it to --shard and -o, and which
// mounts the shared ReadWriteMany claim; the merge Job lists exactly the
// folders 0..N-1 that each shard Job writes.
func TestShardJobs(t *testing.T) {
	objs := loadObjects(t)
	pvc, ok := objs["PersistentVolumeClaim/medqr-work"]
	if !ok || !slices.Contains(pvc.Spec.AccessModes, "ReadWriteMany") {
		t.Fatalf("want a ReadWriteMany PersistentVolumeClaim medqr-work, got %+v", pvc.Spec.AccessModes)
	}
	merge, ok := objs["Job/medqr-merge"]
	if !ok {
		t.Fatal("no Job medqr-merge")
	}
	mergeArgs := map[string][]string{} // output folder pattern -> shard folders merged
	for _, c := range merge.Spec.Template.Spec.Containers {
		if len(c.Args) == 0 || c.Args[0] != "merge" {
			t.Errorf("merge container %s does not run medqr merge: %v", c.Name, c.Args)
			continue
		}
		var dirs []string
		for _, a := range c.Args[1:] {
			if !strings.HasPrefix(a, "-") {
				dirs = append(dirs, a)
			}
		}
		if len(dirs) > 0 {
			mergeArgs[filepath.Dir(dirs[0])] = dirs
		}
	}
	jobs := 0
	for key, o := range objs {
		if o.Kind != "Job" || o.Metadata.Name == "medqr-merge" {
			continue
		}
		jobs++
		t.Run(key, func(t *testing.T) {
			s := o.Spec
			if o.APIVersion != "batch/v1" || s.CompletionMode != "Indexed" {
				t.Fatalf("want a batch/v1 Job with completionMode Indexed, got %s %q", o.APIVersion, s.CompletionMode)
			}
			if s.Completions == nil || s.Parallelism == nil || *s.Completions < 1 {
				t.Fatal("completions and parallelism must be set")
			}
			n := *s.Completions
			if *s.Parallelism != n {
				t.Errorf("parallelism %d, completions %d: run every shard at once", *s.Parallelism, n)
			}
			pod := s.Template.Spec
			if pod.RestartPolicy != "Never" && pod.RestartPolicy != "OnFailure" {
				t.Errorf("restartPolicy %q", pod.RestartPolicy)
			}
			if len(pod.Containers) != 1 {
				t.Fatalf("%d containers, want 1", len(pod.Containers))
			}
			c := pod.Containers[0]
			if _, fp, ok := c.env("JOB_COMPLETION_INDEX"); !ok || fp != indexAnnotation {
				t.Errorf("JOB_COMPLETION_INDEX must come from %s, got %q", indexAnnotation, fp)
			}
			count, _, _ := c.env("SHARD_COUNT")
			if count != strconv.Itoa(n) {
				t.Errorf("SHARD_COUNT %q, completions %d", count, n)
			}
			if sh, _ := flagValue(c.Args, "shard"); sh != "$(JOB_COMPLETION_INDEX)/$(SHARD_COUNT)" {
				t.Errorf("--shard %q, want $(JOB_COMPLETION_INDEX)/$(SHARD_COUNT)", sh)
			}
			out, _ := flagValue(c.Args, "o")
			if !strings.HasSuffix(out, "/$(JOB_COMPLETION_INDEX)") || !strings.HasPrefix(out, "/work/") {
				t.Fatalf("-o %q: want a folder per shard on the shared volume, .../$(JOB_COMPLETION_INDEX)", out)
			}
			if cfg, ok := flagValue(c.Args, "config"); ok {
				if _, err := os.Stat(filepath.Join("..", cfg)); err != nil {
					t.Errorf("--config %s: not in the repository (the image copies experiments/): %v", cfg, err)
				}
			}
			mounted := false
			for _, m := range c.VolumeMounts {
				if m.MountPath == "/work" {
					for _, v := range pod.Volumes {
						mounted = mounted || (v.Name == m.Name && v.PVC != nil && v.PVC.ClaimName == "medqr-work")
					}
				}
			}
			if !mounted {
				t.Error("/work is not the medqr-work claim")
			}
			base := strings.TrimSuffix(out, "/$(JOB_COMPLETION_INDEX)")
			var want []string
			for i := 0; i < n; i++ {
				want = append(want, fmt.Sprintf("%s/%d", base, i))
			}
			if got := mergeArgs[base]; !slices.Equal(got, want) {
				t.Errorf("the merge Job merges %v, the Job writes %v", got, want)
			}
		})
	}
	if jobs < 2 {
		t.Errorf("%d shard Jobs, want eval and attacks", jobs)
	}
}

// TestDockerfile: a multi-stage build of a static binary (CGO_ENABLED=0)
// whose last stage copies only the binary and the files the runs read, and
// runs unprivileged.
func TestDockerfile(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type stage struct {
		from, name string
		lines      []string
	}
	var stages []stage
	var cont string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if strings.HasSuffix(l, "\\") {
			cont += strings.TrimSuffix(l, "\\") + " "
			continue
		}
		l, cont = cont+l, ""
		fields := strings.Fields(l)
		if strings.EqualFold(fields[0], "FROM") {
			st := stage{from: fields[1]}
			if len(fields) == 4 && strings.EqualFold(fields[2], "AS") {
				st.name = fields[3]
			}
			stages = append(stages, st)
			continue
		}
		if len(stages) == 0 {
			t.Fatalf("instruction before FROM: %s", l)
		}
		stages[len(stages)-1].lines = append(stages[len(stages)-1].lines, l)
	}
	if len(stages) < 2 {
		t.Fatalf("%d stages, want a multi-stage build", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]
	joined := strings.Join(build.lines, "\n")
	if !regexp.MustCompile(`CGO_ENABLED=0 go build [^\n]*\./cmd/medqr`).MatchString(joined) {
		t.Error("the build stage does not build ./cmd/medqr with CGO_ENABLED=0")
	}
	if !strings.Contains(final.from, "static") && final.from != "scratch" {
		t.Errorf("final base %s: want a static base (distroless/static or scratch)", final.from)
	}
	var entry, user bool
	for _, l := range final.lines {
		fields := strings.Fields(l)
		switch strings.ToUpper(fields[0]) {
		case "COPY":
			if !strings.HasPrefix(fields[1], "--from="+build.name) {
				t.Errorf("final stage copies from outside the build stage: %s", l)
				continue
			}
			src := strings.TrimPrefix(fields[2], "/src/")
			if src != fields[2] {
				if _, err := os.Stat(filepath.Join("..", src)); err != nil {
					t.Errorf("%s: %v", l, err)
				}
			}
		case "RUN", "ADD":
			t.Errorf("final stage runs or adds: %s", l)
		case "ENTRYPOINT":
			entry = strings.Contains(l, "medqr")
		case "USER":
			user = fields[1] != "root" && !strings.HasPrefix(fields[1], "0")
		}
	}
	if !entry || !user {
		t.Errorf("final stage: ENTRYPOINT medqr %v, unprivileged USER %v", entry, user)
	}
}

// TestKubectlDryRun validates the manifests with "kubectl apply
// --dry-run=client" where kubectl and a cluster to ask for the API schema
// are reachable, and says why it skips otherwise.
func TestKubectlDryRun(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl not installed (Debian: apt-get install kubernetes-client): manifests checked by TestShardJobs only")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, kubectl, "version", "--request-timeout=5s").CombinedOutput(); err != nil {
		t.Skipf("kubectl finds no cluster to validate against (client-side dry runs need the API schema): %s", firstLine(out))
	}
	out, err := exec.CommandContext(ctx, kubectl, "apply", "--dry-run=client", "-f", "k8s/").CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl apply --dry-run=client: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}

func firstLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}
