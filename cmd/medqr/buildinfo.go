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

// codeVersion reports the module version and VCS revision when the binary
// was built with them, so logs and results can name the code they came
// from. Built without VCS stamping (GOFLAGS=-buildvcs=false, as on this
// project's machines), it asks git through train.CodeVersion instead.
func codeVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if buildRevision != "" {
		v := "(devel)"
		if ok {
			v = bi.Main.Version
		}
		return v + " " + buildRevision
	}
	if !ok {
		return train.CodeVersion()
	}
	v, rev := bi.Main.Version, false
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			v += " " + s.Value
			rev = true
		}
		if s.Key == "vcs.modified" && s.Value == "true" {
			v += "+dirty"
		}
	}
	if !rev {
		return v + " " + train.CodeVersion()
	}
	return v
}
