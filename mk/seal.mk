# Keys, container and keystreams (packages seal, keystream; docs/sealing.md).
#   make seal-vectors   regenerate seal/testdata/vectors and keystream/testdata
#                       (review the diff: a change means the format or stream changed)
#   make fuzz-seal      run every seal/keystream-area fuzzer for FUZZTIME each, and the
#                       reader of the key: value vector files (internal/testvec)
#   make bench-seal     seal/open 65,536 B per AEAD and mode, Argon2id, keystream MB/s
.PHONY: seal-vectors fuzz-seal bench-seal
FUZZTIME ?= 30s

seal-vectors:
	$(GO) generate ./seal ./keystream

fuzz-seal:
	for f in FuzzParseKey FuzzParseRecipient FuzzParseIdentity FuzzSecretLine FuzzParseHeader FuzzOpenMessage; do \
	  $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) ./seal || exit 1; done
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./seal/internal/bech32
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/testvec

bench-seal:
	mkdir -p results/seal
	{ echo "# make bench-seal $$(date -u +%FT%TZ), $$(nproc) cores, load average $$(cut -d' ' -f1-3 /proc/loadavg)"; \
	  echo "# cpu-ns/op and cpu-MB/s: getrusage CPU time per op (robust to a busy machine; wall-clock ns/op is not)"; \
	  $(GO) test -run '^$$' -bench . -benchtime 1s -count 3 ./seal ./keystream; } | tee results/seal/bench.txt
