// Command medqr encrypts medical images (chest X-rays first) into QR codes
// with a key, and decrypts them back. It also runs the research pipeline:
// training the learned codec, evaluating cipher-image metrics and attacks.
//
// Each subcommand lives in its own cmd_*.go file: its help text, an options
// struct whose flags method declares its flags, and a run function, joined
// by register and withFlags (cli.go), which parse the flags, check the
// arguments and print the help; errors reach the user through tui.go.
// main stays thin.
package main

import (
	"context"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
