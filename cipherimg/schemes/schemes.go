// Package schemes registers every cipher-image scheme medqr studies:
// importing it (for its side effects) makes cipherimg.Lookup and
// cipherimg.Names know them all. cipherimg registers itself; this file
// imports the classical baselines, and each further group of schemes adds
// its own file here with blank imports (for example learned.go for the
// gorgonia-trained ones), so no one edits another's list.
package schemes

import (
	"github.com/medqr/medqr/cipherimg"

	_ "github.com/medqr/medqr/cipherimg/arnold"
	_ "github.com/medqr/medqr/cipherimg/logistic"
	_ "github.com/medqr/medqr/cipherimg/wang2020"
	_ "github.com/medqr/medqr/cipherimg/yang2023"
)

// Names lists the registered schemes, "cipherimg" first.
func Names() []string { return cipherimg.Names() }
