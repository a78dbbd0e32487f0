package main

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// Every command's help has one shape. TestHelpShape walks every registered
// command and subcommand ("attacks break"), so one added later is held to
// it too. The rules:
//
//  1. The text starts with a "Usage:" line, then one or more lines of
//     "    medqr NAME ..." (four spaces; NAME is the full name of a
//     subcommand, "attacks break"), then a blank line.
//  2. Then the description: one or more paragraphs, the first a one-line
//     summary. Lines ending in ":" are fine there; section names are not.
//  3. Then "Flags:" on its own line. Each flag entry is indented four
//     spaces and starts with "-"; continuation lines are indented further.
//     A flag name of two or more letters is written with two dashes
//     ("--level", "--no-progress"); one-letter names with one ("-o", "-k",
//     often with their long form: "-o, --output DIR"). The parser still
//     accepts a single dash for every flag.
//  4. "Examples:" comes last: indented lines of "medqr NAME ..." (other
//     commands may appear, as in "encrypt, then decrypt"), possibly after
//     environment settings ("MEDQR_TOKEN=... medqr serve").
//  5. The Usage block writes flags the same way as rule 3.
//  6. "medqr help NAME", "medqr NAME --help" and "medqr NAME -h" print the
//     same text on stdout and exit 0.

var (
	singleDashLong = regexp.MustCompile(`(^|[\s\[(|,])-[A-Za-z][A-Za-z0-9-]+`)
	sectionHeader  = regexp.MustCompile(`^(Usage|Flags|Examples|Options|Commands|Arguments):$`)
	exampleLine    = regexp.MustCompile(`^    ([A-Z_]+=(\$\([^)]*\)|\S+) )*medqr `)
)

// helpShapeProblems returns what breaks the rules above in the help text of
// command name.
func helpShapeProblems(name, text string) []string {
	var probs []string
	add := func(format string, args ...any) {
		probs = append(probs, name+": "+fmt.Sprintf(format, args...))
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 || lines[0] != "Usage:" {
		add("the help must start with a \"Usage:\" line")
		return probs
	}
	i := 1
	for i < len(lines) && strings.HasPrefix(lines[i], "    medqr "+name) {
		checkDashes(lines[i], add)
		i++
	}
	if i == 1 {
		add("the Usage block needs lines \"    medqr %s ...\"", name)
	}
	if i >= len(lines) || lines[i] != "" {
		add("a blank line must follow the Usage block")
		return probs
	}
	i++
	if i >= len(lines) || lines[i] == "" || sectionHeader.MatchString(lines[i]) {
		add("a description must follow the Usage block")
	}
	flags, examples := -1, -1
	for j := i; j < len(lines); j++ {
		if !sectionHeader.MatchString(lines[j]) {
			continue
		}
		switch lines[j] {
		case "Flags:":
			if flags >= 0 {
				add("two Flags sections")
			}
			flags = j
		case "Examples:":
			if examples >= 0 {
				add("two Examples sections")
			}
			examples = j
		default:
			add("section %q: the sections are Usage, Flags and Examples", lines[j])
		}
	}
	if flags < 0 || examples < 0 || examples < flags {
		add("the description must be followed by \"Flags:\" and then \"Examples:\" (found at lines %d and %d)", flags+1, examples+1)
		return probs
	}
	for _, l := range lines[flags+1 : examples] {
		switch {
		case l == "":
		case strings.HasPrefix(l, "    -"):
			// The names are the first column (up to two spaces in a row).
			names, _, _ := strings.Cut(strings.TrimSpace(l), "  ")
			checkDashes(names, add)
		case strings.HasPrefix(l, "     "):
		default:
			add("Flags line %q: flag entries are indented four spaces and start with -", l)
		}
	}
	n := 0
	for _, l := range lines[examples+1:] {
		switch {
		case exampleLine.MatchString(l):
			n++
		case l == "", strings.HasPrefix(l, "      "):
		default:
			add("Examples line %q: examples are indented \"medqr ...\" lines, and Examples comes last", l)
		}
	}
	if n == 0 {
		add("Examples has no \"    medqr ...\" line")
	}
	return probs
}

// checkDashes reports flags of two or more letters written with one dash.
func checkDashes(s string, add func(string, ...any)) {
	for _, m := range singleDashLong.FindAllString(s, -1) {
		add("%q: write flags of two or more letters with two dashes, --%s", strings.TrimSpace(m), strings.TrimLeft(strings.TrimSpace(m), "[(|,-"))
	}
}

// runCLI runs medqr with args and returns stdout, stderr and the exit code;
// a command that does not return within 20 s fails the test.
func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, &out, &errb) }()
	select {
	case code := <-done:
		return out.String(), errb.String(), code
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatalf("medqr %s did not return in 20 s", strings.Join(args, " "))
		return "", "", -1
	}
}

// allCommands returns the full name of every command and subcommand
// ("attacks", "attacks break", ...), sorted.
func allCommands() []string {
	var names []string
	var walk func(path string, c *command)
	walk = func(path string, c *command) {
		names = append(names, path)
		for _, s := range c.subs {
			walk(path+" "+s.name, s)
		}
	}
	for n, c := range commands {
		walk(n, c)
	}
	sort.Strings(names)
	return names
}

func TestHelpShape(t *testing.T) {
	names := allCommands()
	if !slices.Contains(names, "attacks break") || !slices.Contains(names, "cipher encrypt") {
		t.Fatalf("the walk misses subcommands: %q", names)
	}
	for _, n := range names {
		t.Run(n, func(t *testing.T) {
			words := strings.Fields(n)
			help, _, code := runCLI(t, append([]string{"help"}, words...)...)
			if code != exitOK {
				t.Fatalf("medqr help %s: exit %d", n, code)
			}
			for _, p := range helpShapeProblems(n, help) {
				t.Errorf("%s", p)
			}
			for _, flag := range []string{"--help", "-h"} {
				out, errOut, code := runCLI(t, append(words, flag)...)
				if code != exitOK || out != help {
					t.Errorf("medqr %s %s: exit %d, stdout differs from \"medqr help %s\" (stderr %q)", n, flag, code, n, errOut)
				}
			}
		})
	}
}

// TestHelpErrors checks that help for a command or subcommand that does not
// exist is a usage error.
func TestHelpErrors(t *testing.T) {
	for _, args := range [][]string{
		{"help", "frobnicate"},
		{"help", "keygen", "extra"},
		{"help", "attacks", "frob"},
		{"help", "cipher", "encrypt", "more"},
	} {
		out, errOut, code := runCLI(t, args...)
		if code != exitUsage || out != "" || !strings.HasPrefix(errOut, "medqr: error: ") {
			t.Errorf("medqr %s: exit %d, stdout %q, stderr %q; want exit %d and an error", strings.Join(args, " "), code, out, errOut, exitUsage)
		}
	}
}

// TestHelpShapeRules checks the checker on texts that break each rule.
func TestHelpShapeRules(t *testing.T) {
	good := "Usage:\n    medqr x [--flag] -o DIR\n\nDo x.\n\nFlags:\n    -o, --output DIR   out\n    --flag N           a flag\n                       continued\n\nExamples:\n    medqr x -o out\n"
	if p := helpShapeProblems("x", good); len(p) != 0 {
		t.Fatalf("good text: %v", p)
	}
	for name, bad := range map[string]string{
		"title first":         "medqr x: do x.\n\n" + good,
		"lowercase usage":     strings.Replace(good, "Usage:", "usage:", 1),
		"single-dash long":    strings.Replace(good, "--flag N  ", "-flag N   ", 1),
		"single-dash usage":   strings.Replace(good, "[--flag]", "[-flag]", 1),
		"no description":      strings.Replace(good, "Do x.\n\n", "", 1),
		"no flags":            strings.Replace(good, "Flags:\n", "", 1),
		"examples first":      "Usage:\n    medqr x\n\nDo x.\n\nExamples:\n    medqr x\n\nFlags:\n    --flag  f\n",
		"text after examples": good + "\nExit status 3 means...\n",
		"other section":       strings.Replace(good, "Flags:", "Options:", 1),
		"lowercase env":       strings.Replace(good, "    medqr x -o out", "    token=1 medqr x -o out", 1),
	} {
		if len(helpShapeProblems("x", bad)) == 0 {
			t.Errorf("%s: no problem found", name)
		}
	}
}
