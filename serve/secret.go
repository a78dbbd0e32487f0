package serve

import (
	"errors"
	"strings"
)

// Errors of secretLine. They never quote the input, which holds a secret.
var (
	errNoSecret    = errors.New("no key in it (only comments or blank lines)")
	errManySecrets = errors.New("more than one line besides comments")
)

// secretLine returns the one secret of a pasted key string or an uploaded
// key or identity file (the format seal.WriteKeyFile writes): lines
// starting with '#' and blank lines are skipped, exactly one line must
// remain, and it is returned trimmed of surrounding white space.
func secretLine(text string) (string, error) {
	var secret string
	found := false
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if found {
			return "", errManySecrets
		}
		secret, found = line, true
	}
	if !found {
		return "", errNoSecret
	}
	return secret, nil
}
