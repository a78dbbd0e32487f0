package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/medqr/medqr/serve"
	"github.com/sirupsen/logrus"
)

const serveUsage = `Usage:
    medqr serve [--addr HOST:PORT] [--dir DIR] [--tls-cert FILE --tls-key FILE]
    medqr serve [--max-upload MIB] [--workers N]

The upload application, a local web page for encrypting and decrypting X-rays.

Serves the page at http://127.0.0.1:8787/ by default. It encrypts an
uploaded PNG, JPEG or DICOM into QR code(s) and a key, and decrypts
uploaded QR codes (separate codes, a sheet, a photo, or the camera) with
the key, a passphrase or an identity file. It runs the same pipeline as
"medqr encrypt" and "medqr decrypt": the store folder receives the QR
codes and records, never a key; keys are shown once in the page.

Every request needs the access token: the token comes from the
MEDQR_TOKEN environment variable, or is generated and printed as a
?token= URL to open (the browser then keeps it in a cookie); API clients
send "Authorization: Bearer TOKEN". The JSON API and the security model are
in docs/serve.md. Stop the server with Ctrl-C.

Flags:
    --addr HOST:PORT        address to listen on (default 127.0.0.1:8787); any
                            address other than loopback needs --tls-cert and
                            --tls-key
    --dir DIR               store folder for QR codes and records (default
                            medqr-store, created if needed)
    --tls-cert FILE         TLS certificate (PEM), with --tls-key
    --tls-key FILE          TLS private key (PEM), with --tls-cert
    --max-upload MIB        largest request body in MiB (default 64)
    --workers N             encryptions and decryptions run at once (default:
                            the number of CPUs); more requests wait

Examples:
    medqr serve
    medqr serve --dir /srv/medqr --max-upload 16
    MEDQR_TOKEN=$(cat token.txt) medqr serve --addr 0.0.0.0:8443 --tls-cert c.pem --tls-key k.pem
`

func init() {
	register(&command{name: "serve", usage: serveUsage, run: withFlags(noArgs("serve"), runServe),
		summary: "serve the upload application (a local web page) for encrypting and decrypting"})
}

type serveOptions struct {
	addr, dir, tlsCert, tlsKey string
	maxUpload, workers         int
}

func (o *serveOptions) flags(fs *flag.FlagSet) {
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8787", "")
	fs.StringVar(&o.dir, "dir", "medqr-store", "")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "")
	fs.StringVar(&o.tlsKey, "tls-key", "", "")
	fs.IntVar(&o.maxUpload, "max-upload", serve.DefaultMaxUpload>>20, "")
	fs.IntVar(&o.workers, "workers", 0, "")
}

// isLoopback reports whether host names only this machine.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func runServe(ctx context.Context, e *env, o serveOptions, _ []string) error {
	host, _, err := net.SplitHostPort(o.addr)
	if err != nil {
		return usageError{fmt.Sprintf("invalid --addr %q: want HOST:PORT, e.g. 127.0.0.1:8787", o.addr)}
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return usageError{"--tls-cert and --tls-key go together"}
	}
	useTLS := o.tlsCert != ""
	if !useTLS && !isLoopback(host) {
		return withHint(fmt.Errorf("refusing to serve on %s without TLS: the token and the X-rays would cross the network in clear", o.addr),
			"pass --tls-cert and --tls-key, or listen on 127.0.0.1")
	}
	if o.maxUpload < 1 || o.maxUpload > 4096 {
		return usageError{fmt.Sprintf("--max-upload %d outside 1..4096 (MiB)", o.maxUpload)}
	}
	if o.workers < 0 || o.workers > 256 {
		return usageError{fmt.Sprintf("--workers %d outside 1..256", o.workers)}
	}
	var tlsConfig *tls.Config
	if useTLS {
		cert, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey)
		if err != nil {
			return withHint(fmt.Errorf("failed to load the TLS certificate: %w", err), "pass a PEM certificate and its PEM private key")
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	token, fromEnv := os.Getenv("MEDQR_TOKEN"), true
	if token == "" {
		fromEnv = false
		if token, err = serve.GenerateToken(); err != nil {
			return err
		}
	}
	s, err := serve.New(serve.Config{
		Dir: o.dir, Token: token, MaxUpload: int64(o.maxUpload) << 20, Workers: o.workers, Secure: useTLS,
		Logf: e.log.Errorf,
	})
	if err != nil {
		if fromEnv {
			return withHint(err, "set MEDQR_TOKEN to at least %d characters without spaces or quotes, or unset it to get a generated token", serve.MinTokenLength)
		}
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return withHint(fmt.Errorf("failed to listen on %s: %w", o.addr, err), "choose another port with --addr 127.0.0.1:PORT")
	}
	errLog := e.log.WriterLevel(logrus.DebugLevel)
	defer errLog.Close()
	srv := &http.Server{
		Handler:           s,
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(errLog, "", 0),
	}
	scheme := "http"
	if useTLS {
		scheme = "https"
	}
	base := fmt.Sprintf("%s://%s/", scheme, ln.Addr())
	fmt.Fprintf(e.stdout, "medqr serve: store folder %s\n", o.dir)
	if fromEnv {
		fmt.Fprintf(e.stdout, "open %s?token=TOKEN with the token in MEDQR_TOKEN\n", base)
	} else {
		fmt.Fprintf(e.stdout, "open %s?token=%s\n", base, token)
	}

	served := make(chan error, 1)
	go func() {
		if useTLS {
			served <- srv.ServeTLS(ln, "", "")
		} else {
			served <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-served:
		return fmt.Errorf("the server stopped: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("failed to stop the server: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("the server stopped: %w", err)
	}
	fmt.Fprintln(e.stdout, "medqr serve: stopped")
	return nil
}
