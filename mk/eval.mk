# Evaluation harness (package eval, README.md).
#   make eval        metrics over the held-out test split -> results/eval/, then
#                    attacks, codec-rd, qr-damage and cipher-figures
#   make eval-metrics  only the metrics
#   make eval-quick  smoke run of every subject (also run by "make test" as
#                    eval's TestQuick) -> results/eval-quick/
.PHONY: eval eval-metrics eval-quick

EVAL_CONFIG ?= experiments/eval.json
EVAL_OUT    ?= results/eval

# "make eval" regenerates every table and plot the README cites that is not
# training output: metrics, the attack report, the codec rate-distortion
# table, the QR damage study and the research cipher figures.
eval: eval-metrics
	$(MAKE) --no-print-directory attacks
	$(MAKE) --no-print-directory codec-rd
	$(MAKE) --no-print-directory qr-damage
	$(MAKE) --no-print-directory cipher-figures

eval-metrics:
	scripts/deps.sh results
	$(GO) build $(GOFLAGS) -o $(BIN) ./cmd/medqr
	$(BIN) eval -config $(EVAL_CONFIG) -o $(EVAL_OUT) -force

eval-quick:
	$(GO) build $(GOFLAGS) -o $(BIN) ./cmd/medqr
	$(BIN) eval -config experiments/eval_quick.json -o results/eval-quick -force -no-progress
