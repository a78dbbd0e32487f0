# Evaluation harness (package eval, docs/eval.md).
#   make eval        metrics over the held-out test split -> results/eval/, then
#                    attacks, codec-rd, qr-damage and cipher-figures
#   make eval-metrics  only the metrics
#   make eval-quick  smoke run of every subject (also run by "make test" as
#                    eval's TestQuick) -> results/eval-quick/, byte-identical
#                    when rerun at the same commit
.PHONY: eval eval-metrics eval-quick

EVAL_CONFIG ?= experiments/eval.json
EVAL_OUT    ?= results/eval

# "make eval" regenerates every table and plot docs/ cites that is not
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

# eval-quick rewrites committed files, so it must repeat them byte for byte:
# every subject is seeded, run.json carries no wall-clock fields
# (--no-timing), and medqr is built from a clean export of HEAD, so that the
# code version names a commit and never "+dirty" (uncommitted changes in the
# working tree do not reach the binary; commit them first to measure them).
EVAL_QUICK_SRC ?= $(or $(TMPDIR),/tmp)/medqr-eval-quick-$(shell id -u)
EVAL_QUICK_BIN := bin/medqr-eval-quick

# clean_bin OUT: medqr built from a clean export of HEAD into OUT, its code
# version HEAD's revision. The targets that rewrite committed research
# results (eval-quick, attacks-quick, attacks, baselines) run it.
define clean_bin
	rm -rf $(EVAL_QUICK_SRC)-$(notdir $(1)) && mkdir -p $(EVAL_QUICK_SRC)-$(notdir $(1)) bin
	git archive HEAD | tar -x -C $(EVAL_QUICK_SRC)-$(notdir $(1))
	cd $(EVAL_QUICK_SRC)-$(notdir $(1)) && $(GO) build $(GOFLAGS) -trimpath \
	  -ldflags "-X main.buildRevision=$$(git -C $(CURDIR) rev-parse HEAD)" \
	  -o $(CURDIR)/$(1) ./cmd/medqr
	rm -rf $(EVAL_QUICK_SRC)-$(notdir $(1))
endef

eval-quick:
	$(call clean_bin,$(EVAL_QUICK_BIN))
	$(EVAL_QUICK_BIN) eval -config experiments/eval_quick.json -o results/eval-quick -force -no-progress -no-timing
