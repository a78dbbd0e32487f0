# The upload application (package serve, "medqr serve"; docs/serve.md).
#   make serve               encrypt two shipped samples into a fresh store folder
#                            under $TMPDIR and serve the page on 127.0.0.1:8787;
#                            open the printed ?token= URL, Ctrl-C stops
#   make serve SERVE_DIR=D   serve the store folder D as it is
#   make serve-screenshots   drive the page in headless Chromium (the browser
#                            test) and save results/serve/encrypt.png, decrypt.png
#                            and encrypt-phone.png
#   make serve-fuzz          fuzz the API forms (SERVE_FUZZTIME)
#   make serve-bench         one encryption and one decryption through the API beside
#                            the CLI's path (store), interleaved 3 times
#                            -> results/serve/bench.txt
.PHONY: serve serve-screenshots serve-fuzz serve-bench

SERVE_ADDR     ?= 127.0.0.1:8787
SERVE_DIR      ?=
SERVE_SAMPLES  ?= data/samples/dicom/siim_acr_cxr_mono2_8bit_jpegbaseline.dcm data/samples/kermany_cxr_224/NORMAL/IM-0115-0001.jpeg
SERVE_FUZZTIME ?= 60s

serve: build
	@set -e; \
	if [ -n "$(SERVE_DIR)" ]; then exec $(BIN) serve --addr $(SERVE_ADDR) --dir "$(SERVE_DIR)"; fi; \
	d=$$(mktemp -d "$${TMPDIR:-/tmp}/medqr-serve.XXXXXX"); \
	echo "== encrypting the shipped samples into $$d/store (their key files go to $$d/keys, never into the store)"; \
	for f in $(SERVE_SAMPLES); do $(BIN) encrypt -o "$$d/keys" "$$f" | grep -E '^(encrypted|key:)'; done; \
	mkdir -p "$$d/store"; mv "$$d"/keys/medqr-*.png "$$d"/keys/medqr-*.json "$$d/store/"; \
	exec $(BIN) serve --addr $(SERVE_ADDR) --dir "$$d/store"

serve-screenshots:
	scripts/deps.sh test
	mkdir -p results/serve
	MEDQR_SCREENSHOTS=$(abspath results/serve) $(GO) test -count=1 -run '^TestServeBrowser$$' -v ./cmd/medqr

serve-fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzAPIForms$$' -fuzztime $(SERVE_FUZZTIME) ./serve

serve-bench:
	mkdir -p results/serve
	{ echo "# make serve-bench at $$(git rev-parse --short HEAD 2>/dev/null || echo unknown): -benchtime 5x, 3 interleaved runs, GOMAXPROCS=$(GOMAXPROCS), load average $$(cut -d' ' -f1-3 /proc/loadavg)"; \
	  for i in 1 2 3; do $(GO) test -run '^$$' -bench . -benchtime 5x ./serve; done; } | tee results/serve/bench.txt
