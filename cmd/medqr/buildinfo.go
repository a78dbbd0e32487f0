package main

import (
	"runtime/debug"

	"github.com/medqr/medqr/train"
)

// buildRevision is set with -ldflags "-X main.buildRevision=REV" by a build
// made from a clean export of commit REV ("git archive", as make eval-quick
// does): the binary is then exactly that commit's code, whatever the
// working tree holds, and codeVersion names it without "+dirty".
var buildRevision string

// codeVersion names the code a run came from, for logs and results: the
// VCS revision ("+dirty" when the tree had uncommitted changes), preceded
// by the module version only when the binary was built from a tagged
// module (a local build's version is Go's placeholder "(devel)", which
// says nothing and is left out). Built without VCS stamping
// (GOFLAGS=-buildvcs=false, as on this project's machines), it asks git
// through train.CodeVersion instead.
func codeVersion() string {
	bi, ok := debug.ReadBuildInfo()
	prefix := ""
	if ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		prefix = bi.Main.Version + " "
	}
	if buildRevision != "" {
		return prefix + buildRevision
	}
	if !ok {
		return train.CodeVersion()
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return prefix + train.CodeVersion()
	}
	if dirty {
		rev += "+dirty"
	}
	return prefix + rev
}
