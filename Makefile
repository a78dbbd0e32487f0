# medqr — see README.md. Every target installs what it needs itself.
GO       ?= go
GOFLAGS  ?=
BIN      := bin/medqr
export GOMAXPROCS ?= 2

.PHONY: all build test test-short lint demo deps clean bench fuzz
all: build

deps:
	$(GO) mod download
	scripts/deps.sh test

build:
	$(GO) build $(GOFLAGS) -o $(BIN) ./cmd/medqr

# The whole suite, as CI runs it (keep under 10 minutes on 2 cores).
test: deps
	$(GO) test $(GOFLAGS) -count=1 -timeout 15m ./...

test-short:
	$(GO) test $(GOFLAGS) -short ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	 if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x ./...

clean:
	rm -rf bin

# Pipeline targets (demo, train, eval, attacks, results) live in mk/*.mk.
-include mk/*.mk
