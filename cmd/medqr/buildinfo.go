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
// says nothing and is left out). The revision comes from
// train.CodeVersion, which asks git when the binary was built without VCS
// stamping (GOFLAGS=-buildvcs=false, as on this project's machines).
func codeVersion() string {
	prefix := ""
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		prefix = bi.Main.Version + " "
	}
	if buildRevision != "" {
		return prefix + buildRevision
	}
	return prefix + train.CodeVersion()
}
