package main

import (
	"bufio"
	"bytes"
	"context"
	"image"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/medqr/medqr/internal/testimg"
)

// findChromium returns the path of a Chromium or Chrome binary, or "".
func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServe runs "medqr serve" in this process on a free port and returns
// the printed ?token= URL.
func startServe(t *testing.T, storeDir string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr syncBuffer
	done := make(chan int, 1)
	t.Setenv("MEDQR_TOKEN", "")
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--dir", storeDir}, pw, &stderr)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("medqr serve exited %d: %s", code, stderr.String())
			}
		case <-time.After(15 * time.Second):
			t.Error("medqr serve did not stop")
		}
	})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "open "); ok {
				urls <- u
			}
		}
	}()
	select {
	case u := <-urls:
		return u
	case code := <-done:
		t.Fatalf("medqr serve exited %d: %s", code, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("medqr serve printed no URL")
	}
	return ""
}

func sameGray(a, b image.Image) bool {
	if a.Bounds().Size() != b.Bounds().Size() {
		return false
	}
	ab, bb := a.Bounds(), b.Bounds()
	for y := 0; y < ab.Dy(); y++ {
		for x := 0; x < ab.Dx(); x++ {
			r1, _, _, _ := a.At(ab.Min.X+x, ab.Min.Y+y).RGBA()
			r2, _, _, _ := b.At(bb.Min.X+x, bb.Min.Y+y).RGBA()
			if r1 != r2 {
				return false
			}
		}
	}
	return true
}

// TestServeBrowser drives the upload application in headless Chromium:
// upload the demo DICOM, read the key from the page, download the QR code,
// decrypt it through the page, download the image and compare its pixels
// with "medqr decrypt" of the same QR code and key. With
// MEDQR_SCREENSHOTS=DIR it saves screenshots of both pages there (make
// serve-screenshots).
func TestServeBrowser(t *testing.T) {
	chrome := findChromium()
	if chrome == "" {
		t.Skip("chromium is not installed: the browser test needs Debian's chromium package (scripts/deps.sh test installs it)")
	}
	root, err := filepath.Abs(repoRoot())
	if err != nil {
		t.Fatal(err)
	}
	dicom := filepath.Join(root, "data", "samples", "dicom", "siim_acr_cxr_mono2_8bit_jpegbaseline.dcm")
	storeDir := t.TempDir()
	downloads := t.TempDir()
	loginURL := startServe(t, storeDir)
	base := loginURL[:strings.Index(loginURL, "?")]

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1100, 900),
	)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer acancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, tcancel := context.WithTimeout(ctx, 90*time.Second)
	defer tcancel()

	// Script exceptions and browser errors other than the answers of the
	// API (4xx, logged by the network) fail the test: a Content-Security-
	// Policy violation shows up here.
	var (
		consoleMu sync.Mutex
		problems  []string
	)
	console := chromedp.Console(ctx)
	go func() {
		for m, err := range console {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == "error" && m.Source != "network" {
				consoleMu.Lock()
				problems = append(problems, m.String())
				consoleMu.Unlock()
			}
		}
	}()
	defer func() {
		consoleMu.Lock()
		defer consoleMu.Unlock()
		for _, p := range problems {
			t.Errorf("browser console: %s", p)
		}
	}()

	// download clicks a link and waits for the browser to save the file.
	download := func(click chromedp.Action[chromedp.Void]) string {
		t.Helper()
		progress := chromedp.Events(ctx, browser.DownloadProgress)
		if err := chromedp.Do(ctx, click); err != nil {
			t.Fatalf("download: %v", err)
		}
		for ev, err := range progress {
			if err != nil {
				t.Fatalf("download: %v", err)
			}
			switch ev.State {
			case browser.DownloadProgressStateCompleted:
				return filepath.Join(downloads, ev.GUID)
			case browser.DownloadProgressStateCanceled:
				t.Fatal("download canceled")
			}
		}
		t.Fatal("download did not complete")
		return ""
	}
	shots := os.Getenv("MEDQR_SCREENSHOTS")
	shoot := func(name string) {
		t.Helper()
		if shots == "" {
			return
		}
		buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		if err := os.WriteFile(filepath.Join(shots, name), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	text := func(id string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.ID(id)))
		if err != nil {
			t.Fatalf("text of #%s: %v", id, err)
		}
		return strings.TrimSpace(s)
	}

	// Encrypt: the page keeps the key hidden until asked.
	err = chromedp.Do(ctx,
		chromedp.Navigate(loginURL),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: new(true),
			})
			return err
		}),
		chromedp.WaitVisible(chromedp.ID("image")),
		chromedp.SetUploadFiles(chromedp.ID("image"), []string{dicom}),
		chromedp.Click(chromedp.ID("encrypt-button")),
		chromedp.WaitVisible(chromedp.ID("result")),
		chromedp.WaitVisible(chromedp.CSS("#qr-list img")),
	)
	if err != nil {
		t.Fatalf("encrypt page: %v", err)
	}
	checkPage(t, ctx, "encrypt")
	hidden, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.ID("key-text"), "hidden"))
	if err != nil || !hidden.Exists {
		t.Fatalf("the key is not hidden at first (%v)", err)
	}
	id := text("record-id")
	shoot("encrypt.png")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("reveal-key")), chromedp.WaitVisible(chromedp.ID("key-text"))); err != nil {
		t.Fatalf("reveal key: %v", err)
	}
	key := text("key-text")
	if !regexp.MustCompile(`^MEDQR-KEY-1[A-Z0-9]+$`).MatchString(key) || !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(id) {
		t.Fatalf("key of %d characters, id %q", len(key), id)
	}
	// The browser saves downloads under their GUIDs: give the QR code its
	// name again, as a user's browser would.
	qrFile := filepath.Join(t.TempDir(), "medqr-"+id+".png")
	if err := os.Rename(download(chromedp.Click(chromedp.CSS(`#downloads a[href$="download=1"]`))), qrFile); err != nil {
		t.Fatal(err)
	}
	stored, err := os.ReadFile(filepath.Join(storeDir, "medqr-"+id+".png"))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(qrFile); !bytes.Equal(got, stored) {
		t.Fatal("the downloaded QR code differs from the stored one")
	}
	// The server kept no key.
	ents, _ := os.ReadDir(storeDir)
	for _, e := range ents {
		b, _ := os.ReadFile(filepath.Join(storeDir, e.Name()))
		if strings.Contains(e.Name(), "key") || bytes.Contains(b, []byte(key)) {
			t.Fatalf("the store folder holds the key (%s)", e.Name())
		}
	}

	// Decrypt through the page and download the image.
	err = chromedp.Do(ctx,
		chromedp.Navigate(base+"decrypt"),
		chromedp.WaitVisible(chromedp.ID("qr")),
		chromedp.SetUploadFiles(chromedp.ID("qr"), []string{qrFile}),
		chromedp.SendKeys(chromedp.ID("key"), key),
		chromedp.Click(chromedp.ID("decrypt-button")),
		chromedp.WaitVisible(chromedp.ID("result")),
	)
	if err == nil {
		_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("decrypted").complete && document.getElementById("decrypted").naturalWidth > 0`))
	}
	if err != nil {
		t.Fatalf("decrypt page: %v", err)
	}
	checkPage(t, ctx, "decrypt")
	if facts := text("facts"); !strings.Contains(facts, "256×256") || !strings.Contains(facts, "8-bit") {
		t.Errorf("decrypt facts %q", facts)
	}
	// The screenshot shows no key.
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById("key").value = ""`)); err != nil {
		t.Fatal(err)
	}
	shoot("decrypt.png")
	fromPage := testimg.ReadPNG(t, download(chromedp.Click(chromedp.ID("download-png"))))

	// The CLI decrypts the same downloaded QR code to the same pixels.
	cliOut := filepath.Join(t.TempDir(), "cli.png")
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"decrypt", "-k", key, "-o", cliOut, qrFile}, &out, &errOut); code != 0 {
		t.Fatalf("medqr decrypt exited %d: %s", code, errOut.String())
	}
	if !sameGray(fromPage, testimg.ReadPNG(t, cliOut)) {
		t.Fatal("the page's decrypted image differs from medqr decrypt's")
	}

	// How the encrypt page looks on a phone (the first screen).
	if shots != "" {
		err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(base), chromedp.WaitVisible(chromedp.ID("image")))
		if err != nil {
			t.Fatal(err)
		}
		buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(shots, "encrypt-phone.png"), buf, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1100, 900), chromedp.Navigate(base+"decrypt"), chromedp.WaitVisible(chromedp.ID("qr")),
			chromedp.SetUploadFiles(chromedp.ID("qr"), []string{qrFile})); err != nil {
			t.Fatal(err)
		}
	}

	// A mistyped key is refused next to the key field.
	other := key[:len(key)-2] + map[bool]string{true: "QQ", false: "PP"}[strings.HasSuffix(key, "PP")]
	err = chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`document.getElementById("key").value = "`+other+`"`),
		chromedp.Click(chromedp.ID("decrypt-button")),
	)
	if err == nil {
		_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("key-error").textContent.length > 0`))
	}
	if err != nil {
		t.Fatalf("mistyped key: %v", err)
	}
	// The page says what the CLI says.
	msg := text("key-error")
	errOut.Reset()
	run(context.Background(), []string{"decrypt", "-k", other, "-o", cliOut + ".2", qrFile}, &out, &errOut)
	first, _, _ := strings.Cut(msg, "\n")
	if !strings.Contains(first, "invalid key") || !strings.Contains(errOut.String(), "medqr: error: "+first+"\n") {
		t.Errorf("mistyped key: the page says %q, the CLI %q", msg, errOut.String())
	}
}

// checkPage checks what a keyboard, screen-reader or phone user needs on
// the current page: every form control has a label, every image an alt
// text, the first Tab reaches the skip link, and at a phone's width (390
// CSS pixels) nothing overflows sideways.
func checkPage(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	const unlabelled = `[...document.querySelectorAll("input, select, textarea")].filter(e => !e.labels || e.labels.length === 0).map(e => e.id || e.name)`
	const noAlt = `[...document.querySelectorAll("img")].filter(e => !e.hasAttribute("alt")).map(e => e.src)`
	for _, q := range []string{unlabelled, noAlt} {
		bad, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](q))
		if err != nil {
			t.Fatalf("%s page: %v", name, err)
		}
		if len(bad) > 0 {
			t.Errorf("%s page: %v lack a label or alt text", name, bad)
		}
	}
	first, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("a, button, input, select, textarea").className`))
	if err != nil || first != "skip" {
		t.Errorf("%s page: the first focusable element is %q, want the skip link (%v)", name, first, err)
	}
	err = chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	if err != nil {
		t.Fatal(err)
	}
	overflow, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
	if err != nil || overflow {
		t.Errorf("%s page overflows a phone screen sideways (%v)", name, err)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1100, 900)); err != nil {
		t.Fatal(err)
	}
}
