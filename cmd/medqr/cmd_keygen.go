package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/medqr/medqr/seal"
)

const keygenUsage = `Usage:
    medqr keygen [-o FILE]
    medqr keygen --recipient [--suite x25519|mlkem768x25519 | --pq] [-o FILE]
    medqr keygen --public IDENTITYFILE

Make a key, or a recipient key pair.

With no flags, print a fresh 256-bit key string (MEDQR-KEY-1..., with a
checksum that catches typos) from the system's secure random source. With
-o, write it to FILE instead (mode 0600, "# created:" and "# purpose:"
comment lines, then the key); FILE is never overwritten.

With --recipient, make an HPKE key pair for receiving QR codes without a
shared secret: the identity (MEDQR-IDENTITY-1..., secret) goes to FILE, or
to stdout without -o, and the public recipient string (medqr1..., share it
freely; "medqr encrypt --recipient" takes it) is printed on stdout (on stderr
when the identity itself goes to stdout).

With --public, print the recipient string of an existing identity file.

Flags:
    -o, --output FILE     write the key or identity to FILE (0600, never overwritten)
    --purpose TEXT        the "# purpose:" comment of the file
    --recipient           make a recipient key pair instead of a key
    --suite NAME          x25519 (default: 32-byte public key, 32 bytes per QR)
                          or mlkem768x25519 (post-quantum hybrid: 1120 bytes
                          per QR, fits single-code levels L, M and Q only)
    --pq                  same as --suite mlkem768x25519
    --public FILE         print the recipient string of identity FILE

Examples:
    medqr keygen -o scan1-key.txt
    medqr keygen --recipient -o dr-lee-identity.txt
    medqr keygen --public dr-lee-identity.txt
`

func init() {
	register(&command{name: "keygen", usage: keygenUsage, run: withFlags(noArgs("keygen"), runKeygen),
		summary: "make a key string or a recipient key pair"})
}

type keygenOptions struct {
	output, purpose, suite, public string
	recipient, pq                  bool
}

func (o *keygenOptions) flags(fs *flag.FlagSet) {
	aliasVar(fs, &o.output, "", "o", "output")
	fs.StringVar(&o.purpose, "purpose", "", "")
	fs.BoolVar(&o.recipient, "recipient", false, "")
	fs.StringVar(&o.suite, "suite", "", "")
	fs.BoolVar(&o.pq, "pq", false, "")
	fs.StringVar(&o.public, "public", "", "")
}

func runKeygen(_ context.Context, e *env, o keygenOptions, _ []string) error {
	if o.public != "" {
		if o.recipient || o.output != "" || o.suite != "" || o.pq || o.purpose != "" {
			return usageError{"--public cannot be combined with other flags"}
		}
		if _, err := os.Stat(o.public); errors.Is(err, os.ErrNotExist) {
			return withHint(missingCredential("identity file", "--public", o.public), "pass an identity file written by \"medqr keygen --recipient -o FILE\"")
		}
		id, err := seal.ReadIdentityFile(o.public)
		err = permissionWarning(e, err)
		if err != nil {
			return withHint(fmt.Errorf("failed to read identity: %w", err), "pass an identity file written by \"medqr keygen --recipient -o FILE\"")
		}
		fmt.Fprintln(e.stdout, id.Recipient().String())
		return nil
	}
	if !o.recipient && (o.suite != "" || o.pq) {
		return usageError{"--suite and --pq need --recipient"}
	}
	if o.suite != "" && o.pq {
		return usageError{"use either --suite or --pq, not both"}
	}
	if o.output != "" {
		if _, err := os.Lstat(o.output); err == nil {
			return withHint(fmt.Errorf("%s already exists", o.output), "choose a new file name: medqr never overwrites a key file")
		}
	}
	if !o.recipient {
		return keygenKey(e, o)
	}
	suite := seal.SuiteX25519
	if o.pq {
		suite = seal.SuiteMLKEM768X25519
	}
	if o.suite != "" {
		s, err := seal.ParseSuite(o.suite)
		if err != nil {
			return usageError{fmt.Sprintf("unknown --suite %q: use x25519 or mlkem768x25519", o.suite)}
		}
		suite = s
	}
	return keygenRecipient(e, o, suite)
}

func keygenKey(e *env, o keygenOptions) error {
	k, err := seal.GenerateKey()
	if err != nil {
		return err
	}
	if o.output == "" {
		fmt.Fprintln(e.stdout, k.String())
		return nil
	}
	purpose := o.purpose
	if purpose == "" {
		purpose = "medqr key (decrypts the QR codes sealed with it)"
	}
	if err := seal.WriteKeyFile(o.output, k, purpose); err != nil {
		return withHint(err, "choose a new file name in a writable folder: medqr never overwrites a key file")
	}
	e.log.Infof("wrote key file %s (mode 0600)", o.output)
	return nil
}

func keygenRecipient(e *env, o keygenOptions, suite seal.Suite) error {
	id, err := seal.GenerateIdentity(suite)
	if err != nil {
		return err
	}
	r := id.Recipient().String()
	if o.output == "" {
		fmt.Fprintf(e.stdout, "# public key: %s\n%s\n", r, id.String())
		fmt.Fprintf(e.stderr, "Public key: %s\n", r)
		return nil
	}
	purpose := o.purpose
	if purpose == "" {
		purpose = "medqr recipient identity (" + suite.String() + "); decrypts QR codes sealed to its public key"
	}
	if err := seal.WriteIdentityFile(o.output, id, purpose); err != nil {
		return withHint(err, "choose a new file name in a writable folder: medqr never overwrites an identity file")
	}
	e.log.Infof("wrote identity file %s (mode 0600)", o.output)
	fmt.Fprintln(e.stdout, r)
	return nil
}
