# QR damage-tolerance study (see docs/qr.md): regenerates results/qr/
# (damage.md, damage.csv, damage.json, damage.png). The four levels run as
# four processes side by side (QR_WORKERS parallel trials each) and are then
# merged; the counts are deterministic for a given QR_SEED and QR_TRIALS,
# whatever the parallelism, because every trial has its own random stream.
QR_TRIALS  ?= 40
QR_SEED    ?= 1
QR_WORKERS ?= 2
QR_PARTS   ?= /tmp/medqr-qr-damage-parts

.PHONY: qr-damage qr-bench qr-fuzz
qr-damage:
	scripts/deps.sh results
	$(GO) build -o bin/qrdamage ./qr/internal/qrdamage
	rm -rf $(QR_PARTS)
	pids=""; for l in L M Q H; do \
	  bin/qrdamage -o $(QR_PARTS)/$$l -levels $$l -trials $(QR_TRIALS) -seed $(QR_SEED) -workers $(QR_WORKERS) & \
	  pids="$$pids $$!"; \
	done; \
	for p in $$pids; do wait $$p || exit 1; done
	bin/qrdamage -o results/qr -render $(QR_PARTS)/L/damage.json,$(QR_PARTS)/M/damage.json,$(QR_PARTS)/Q/damage.json,$(QR_PARTS)/H/damage.json

# Encode/decode benchmarks of full version-40 symbols at each level.
qr-bench:
	$(GO) test -run '^$$' -bench . -benchtime 20x ./qr

# A short fuzz run of each QR fuzz target.
qr-fuzz:
	$(GO) test -run '^$$' -fuzz FuzzDecodePNG -fuzztime 60s ./qr
	$(GO) test -run '^$$' -fuzz FuzzDecodeGray -fuzztime 60s ./qr
	$(GO) test -run '^$$' -fuzz '^FuzzReadBack$$' -fuzztime 60s ./qr
	$(GO) test -run '^$$' -fuzz '^FuzzReadBilevel$$' -fuzztime 60s ./qr
	$(GO) test -run '^$$' -fuzz '^FuzzReadExact$$' -fuzztime 60s ./qr
	$(GO) test -run '^$$' -fuzz '^FuzzPenalty$$' -fuzztime 60s ./qr
	$(GO) test -run '^$$' -fuzz '^FuzzEncodeMatchesGoQRCode$$' -fuzztime 60s ./qr
