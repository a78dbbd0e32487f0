package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/sirupsen/logrus"
)

// Exit codes, documented in the README.
const (
	exitOK    = 0 // success
	exitError = 1 // the operation failed (bad input, I/O, refused output)
	exitUsage = 2 // bad command line
	exitAuth  = 3 // wrong key, or the data was tampered with or damaged
)

// env is what every subcommand receives besides its arguments.
type env struct {
	stdout io.Writer
	stderr io.Writer
	log    *logrus.Logger
}

// command is one subcommand. run parses its own flags from args.
type command struct {
	name    string
	summary string // one line for the command list
	usage   string // full help text, printed by "medqr help NAME" and -h
	run     func(ctx context.Context, e *env, args []string) error
}

var commands = map[string]*command{}

func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("medqr: duplicate command " + c.name)
	}
	commands[c.name] = c
}

const mainUsage = `medqr encrypts chest X-rays (PNG, JPEG, DICOM) into QR codes with a key,
and decrypts them back.

Usage:
    medqr [global flags] COMMAND [flags] [arguments]

Commands:
%s
Global flags (before COMMAND):
    --log-format text|json   format of the log on stderr (default text)
    -v, --verbose            log debug messages
    -q, --quiet              log only warnings and errors

Exit codes: 0 success, 1 failure, 2 usage error, 3 wrong key or tampered data.
Run "medqr help COMMAND" for a command's flags and examples.
`

func commandList() string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "    %-12s %s\n", n, commands[n].summary)
	}
	return b.String()
}

// run is main without os.Exit, so tests can call it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	log := logrus.New()
	log.SetOutput(stderr)
	log.SetLevel(logrus.InfoLevel)
	log.SetFormatter(tuiFormatter{})
	e := &env{stdout: stdout, stderr: stderr, log: log}

	// Global flags come before the command name.
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		a := args[0]
		switch {
		case a == "-v" || a == "--verbose":
			log.SetLevel(logrus.DebugLevel)
		case a == "-q" || a == "--quiet":
			log.SetLevel(logrus.WarnLevel)
		case a == "--log-format" || a == "-log-format" || strings.HasPrefix(a, "--log-format="):
			v := strings.TrimPrefix(strings.TrimPrefix(a, "--log-format"), "=")
			if v == "" && !strings.Contains(a, "=") {
				if len(args) < 2 {
					return usageErr(e, "--log-format needs a value: text or json")
				}
				v = args[1]
				args = args[1:]
			}
			switch v {
			case "text":
			case "json":
				log.SetFormatter(&logrus.JSONFormatter{})
			default:
				return usageErr(e, fmt.Sprintf("unknown log format %q: use text or json", v))
			}
		case a == "-h" || a == "--help":
			fmt.Fprintf(stdout, mainUsage, commandList())
			return exitOK
		case a == "--version":
			fmt.Fprintln(stdout, "medqr", version())
			return exitOK
		default:
			return usageErr(e, fmt.Sprintf("unknown global flag %q", a))
		}
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintf(stderr, mainUsage, commandList())
		return exitUsage
	}
	name := args[0]
	if name == "help" {
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				fmt.Fprint(stdout, c.usage)
				return exitOK
			}
			return usageErr(e, fmt.Sprintf("unknown command %q", args[1]))
		}
		fmt.Fprintf(stdout, mainUsage, commandList())
		return exitOK
	}
	c, ok := commands[name]
	if !ok {
		return usageErr(e, fmt.Sprintf("unknown command %q; run \"medqr help\" for the list", name))
	}
	err := c.run(ctx, e, args[1:])
	if err == nil {
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, c.usage)
		return exitOK
	}
	printError(e, err)
	return exitCode(err)
}

func usageErr(e *env, msg string) int {
	printError(e, usageError{msg})
	return exitUsage
}

// newFlagSet returns a FlagSet that reports errors as values, never exits,
// and prints nothing by itself.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseInterspersed parses flags that may come before or after positional
// arguments ("medqr decrypt a.png -k KEY -o out.png"). A lone "--" ends flag
// parsing. Errors are usage errors.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if len(args) > 0 && len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

func version() string {
	return codeVersion()
}

// stdinIsTerminal and friends are kept here so subcommands share one notion.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	return fi.Mode()&os.ModeCharDevice != 0
}
