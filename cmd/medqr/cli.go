package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/sirupsen/logrus"
)

// Exit codes, documented in docs/encryptor.md ("Commands").
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

// printJSON prints v as a command's --json output: indented by two
// spaces, with a final newline.
func (e *env) printJSON(v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// command is one subcommand ("medqr keygen") or a subcommand of one
// ("medqr attacks break"). run receives the arguments after the name; a
// command with flags builds run with withFlags, which parses them.
type command struct {
	name    string                                                 // as typed after "medqr" or after the parent's name
	summary string                                                 // one line for the command list
	usage   string                                                 // full help, printed by "medqr help NAME [SUB]" and "NAME [SUB] --help"
	subs    []*command                                             // subcommands, chosen by the first argument
	run     func(ctx context.Context, e *env, args []string) error // nil: subcommands only
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
			c, ok := commands[args[1]]
			if !ok {
				return usageErr(e, fmt.Sprintf("unknown command %q", args[1]))
			}
			c, path, rest := c.find(args[1], args[2:])
			if len(rest) > 0 {
				return usageErr(e, fmt.Sprintf("%s has no subcommand %q", path, rest[0]))
			}
			fmt.Fprint(stdout, c.usage)
			return exitOK
		}
		fmt.Fprintf(stdout, mainUsage, commandList())
		return exitOK
	}
	c, ok := commands[name]
	if !ok {
		return usageErr(e, fmt.Sprintf("unknown command %q; run \"medqr help\" for the list", name))
	}
	c, path, rest := c.find(name, args[1:])
	err := c.exec(ctx, e, path, rest)
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

// find returns the command that args select below c, named path: it
// descends into subcommands while the first argument names one. It returns
// that command, its full name ("attacks break") and the arguments left.
func (c *command) find(path string, args []string) (*command, string, []string) {
	for len(args) > 0 {
		i := slices.IndexFunc(c.subs, func(s *command) bool { return s.name == args[0] })
		if i < 0 {
			break
		}
		c, path, args = c.subs[i], path+" "+c.subs[i].name, args[1:]
	}
	return c, path, args
}

// exec runs c, named path, on args. A command with subcommands only says
// which it takes when none of them is named.
func (c *command) exec(ctx context.Context, e *env, path string, args []string) error {
	if c.run != nil {
		return c.run(ctx, e, args)
	}
	names := make([]string, len(c.subs))
	for i, s := range c.subs {
		names[i] = s.name
	}
	want := strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
	switch {
	case len(args) == 0:
		return usageError{fmt.Sprintf("%s needs a subcommand: %s", path, want)}
	case args[0] == "-h" || args[0] == "--help" || args[0] == "-help" || args[0] == "help":
		return flag.ErrHelp
	}
	return usageError{fmt.Sprintf("unknown %s subcommand %q: want %s", path, args[0], want)}
}

// flagOptions is a pointer to a command's options, whose flags method
// declares the command's flags bound to them (with their defaults).
type flagOptions[O any] interface {
	*O
	flags(fs *flag.FlagSet)
}

// flagChecker is implemented by options with checks that need to know
// which flags were given (flag.FlagSet.Visit); withFlags calls it after
// parsing, before the arguments are checked.
type flagChecker interface {
	checkFlags(fs *flag.FlagSet) error
}

// arity checks a command's arguments (what is left after the flags); its
// error is a usage error.
type arity func(args []string) error

// noArgs is the arity of a command that takes no arguments.
func noArgs(name string) arity {
	return func(args []string) error {
		if len(args) > 0 {
			return usageError{fmt.Sprintf("%s takes no arguments, got %q", name, args)}
		}
		return nil
	}
}

// oneArg is the arity of a command that takes exactly one argument; msg
// says what it needs ("info needs exactly one FILE").
func oneArg(msg string) arity {
	return func(args []string) error {
		if len(args) != 1 {
			return usageError{fmt.Sprintf("%s, got %d", msg, len(args))}
		}
		return nil
	}
}

// someArgs is the arity of a command that takes one or more arguments.
func someArgs(msg string) arity {
	return func(args []string) error {
		if len(args) == 0 {
			return usageError{msg}
		}
		return nil
	}
}

// anyArgs is the arity of a command that checks its arguments itself.
func anyArgs([]string) error { return nil }

// withFlags returns the run function of a command with flags: the flags
// method of a fresh O declares them; they may come before or after the
// arguments (a lone "--" ends them, a single dash works as well as two);
// "-h" and "--help" print the command's help; a bad flag or value, a failed
// checkFlags and arguments that want refuses are usage errors (exit 2).
// Then run receives the options and the arguments.
func withFlags[O any, P flagOptions[O]](want arity, run func(ctx context.Context, e *env, o O, args []string) error) func(context.Context, *env, []string) error {
	return func(ctx context.Context, e *env, args []string) error {
		var o O
		pos, err := parseFlags(P(&o), args, want)
		if err != nil {
			return err
		}
		return run(ctx, e, o, pos)
	}
}

// parseFlags is withFlags's parsing, for a command that needs its raw
// arguments too ("medqr rd" records its command line): it declares o's
// flags, parses args and checks what is left with want.
func parseFlags(o interface{ flags(*flag.FlagSet) }, args []string, want arity) ([]string, error) {
	fs := newFlagSet("")
	o.flags(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return nil, err
	}
	if c, ok := o.(flagChecker); ok {
		if err := c.checkFlags(fs); err != nil {
			return nil, err
		}
	}
	if err := want(pos); err != nil {
		return nil, err
	}
	return pos, nil
}

// refuseReplace refuses to replace the results file in folder dir, which
// hold what (in words), unless force.
func refuseReplace(dir, file, what string, force bool) error {
	if _, err := os.Stat(filepath.Join(dir, file)); err == nil && !force {
		return withHint(fmt.Errorf("%s already holds %s", dir, what), "pass --force to replace it, or choose another -o folder")
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("failed to check %s: %w", dir, err)
	}
	return nil
}

// outputExists is the refusal to write over the -o file out without
// --force.
func outputExists(out string) error {
	return withHint(fmt.Errorf("output %s already exists", out), "pass --force to overwrite it, or choose another -o")
}

// noOptions are the options of a command without flags.
type noOptions struct{}

func (*noOptions) flags(*flag.FlagSet) {}

// stringList is a repeatable string flag (--set key=value ...).
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// aliasVar declares one string flag under several names ("o" and "output").
func aliasVar(fs *flag.FlagSet, p *string, value string, names ...string) {
	for _, n := range names {
		fs.StringVar(p, n, value, "")
	}
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
