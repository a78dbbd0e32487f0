// Package jsonconfig holds the two rules every medqr run config follows:
// a config file is exactly one JSON object whose fields must all be known
// (DecodeStrict), and a "-set key=value" override names a field by its
// dotted JSON path (Set). Packages keep their own defaults and validation.
package jsonconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
)

// DecodeStrict decodes one JSON object from b into v, refusing unknown
// fields and anything after the object.
func DecodeStrict(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

// ReadFile reads the config file at path into v with DecodeStrict. Its
// errors read "failed to read config: ..." or "config PATH: ...", for the
// caller to prefix with its package name.
func ReadFile(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("failed to read config: %w", err)
	}
	if err := DecodeStrict(b, v); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	return nil
}

// Set applies one "key=value" override to the struct v points to. Nested
// fields use dotted JSON names ("filter.channels=24"). A string field takes
// the value as written (a quoted value is unquoted); any other field takes
// it as JSON (numbers, booleans, arrays). Unknown fields are errors, and v
// is left unchanged on any error.
func Set(v any, kv string) error {
	k, val, ok := strings.Cut(kv, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q: want key=value", kv)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var root map[string]any
	if err := json.Unmarshal(b, &root); err != nil {
		return err
	}
	keys := strings.Split(k, ".")
	node := root
	for i, key := range keys {
		cur, ok := node[key]
		if !ok {
			return fmt.Errorf("%s: unknown config field %q", k, strings.Join(keys[:i+1], "."))
		}
		if i == len(keys)-1 {
			var x any
			if _, isStr := cur.(string); isStr {
				x = val
				if u, err := strconv.Unquote(val); err == nil {
					x = u
				}
			} else if err := json.Unmarshal([]byte(val), &x); err != nil {
				return fmt.Errorf("%s: value %q is not valid JSON", k, val)
			}
			node[key] = x
			break
		}
		sub, ok := cur.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: %q is not a group of fields", k, strings.Join(keys[:i+1], "."))
		}
		node = sub
	}
	if b, err = json.Marshal(root); err != nil {
		return err
	}
	fresh := reflect.New(reflect.TypeOf(v).Elem())
	if err := DecodeStrict(b, fresh.Interface()); err != nil {
		return fmt.Errorf("%s: %w", k, err)
	}
	reflect.ValueOf(v).Elem().Set(fresh.Elem())
	return nil
}
