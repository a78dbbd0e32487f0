# QR damage-tolerance study (see docs/qr.md): regenerates results/qr/
# (damage.md, damage.csv, damage.json, damage.png). Deterministic counts for
# a given QR_SEED and QR_TRIALS, whatever QR_WORKERS (parallel trials).
QR_TRIALS  ?= 30
QR_SEED    ?= 1
QR_WORKERS ?= 2

.PHONY: qr-damage qr-bench qr-fuzz
qr-damage:
	scripts/deps.sh results
	$(GO) run ./qr/internal/qrdamage -o results/qr -trials $(QR_TRIALS) -seed $(QR_SEED) -workers $(QR_WORKERS)

# Encode/decode benchmarks of full version-40 symbols at each level.
qr-bench:
	$(GO) test -run '^$$' -bench . -benchtime 20x ./qr

# A short fuzz run of each QR fuzz target.
qr-fuzz:
	$(GO) test -run '^$$' -fuzz FuzzDecodePNG -fuzztime 60s ./qr
	$(GO) test -run '^$$' -fuzz FuzzDecodeGray -fuzztime 60s ./qr
