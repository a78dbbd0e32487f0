package runio

import (
	"fmt"
	"strings"

	"github.com/medqr/medqr/internal/jsonconfig"
)

// LoadConfig returns def overlaid by the JSON config file at path (none
// when path is empty; unknown fields are errors), then by each key=value
// override in sets (dotted keys for nested fields, jsonconfig.Set), then
// checked by validate. Errors of the file and the overrides start with
// prefix (the package, e.g. "train/lstm"); validate's are returned as they
// are.
func LoadConfig[C any](prefix, path string, sets []string, def C, validate func(C) error) (C, error) {
	c := def
	if path != "" {
		if err := jsonconfig.ReadFile(path, &c); err != nil {
			return c, fmt.Errorf("%s: %w", prefix, err)
		}
	}
	for _, kv := range sets {
		if err := Set(prefix, &c, kv); err != nil {
			return c, err
		}
	}
	return c, validate(c)
}

// Set applies one key=value override to the config *c (jsonconfig.Set);
// its error starts with "prefix: -set".
func Set(prefix string, c any, kv string) error {
	if err := jsonconfig.Set(c, kv); err != nil {
		return fmt.Errorf("%s: -set %w", prefix, err)
	}
	return nil
}

// CheckName refuses a run name that is empty or holds a path separator (a
// run folder is Out/Name).
func CheckName(prefix, name string) error {
	if name == "" || strings.ContainsAny(name, `/\`) {
		return fmt.Errorf("%s: name %q must be a plain folder name", prefix, name)
	}
	return nil
}

// Check returns the first non-nil error of errs (the checks of a config's
// parts, e.g. its architecture and its schedule) with prefix in front, or
// nil.
func Check(prefix string, errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return fmt.Errorf("%s: %w", prefix, err)
		}
	}
	return nil
}
