# Literature baselines (cipherimg sub-packages, attacks/breaks, attacks/baselines;
# docs/baselines.md).
#   make baselines            every registered scheme through the statistics battery,
#                             damage, throughput and its attacks
#                             (experiments/baselines.json) -> results/baselines/
#   make baselines-quick      the small setting "make test" runs (attacks/baselines'
#                             TestQuick) -> results/baselines-quick/
#   make baselines-large-test the schemes' 2048x2048 exact round trips (seconds
#                             each; not part of "make test")
# "make eval" runs "baselines" too (declared here as a prerequisite of eval).
.PHONY: baselines baselines-quick baselines-large-test

# baselines builds medqr from a clean export of HEAD (clean_bin in eval.mk):
# the report names a commit, never "+dirty".
BASELINES_BIN := bin/medqr-baselines

baselines:
	$(call clean_bin,$(BASELINES_BIN))
	$(BASELINES_BIN) attacks baselines --config experiments/baselines.json -o results/baselines --force

baselines-quick: build
	$(BIN) attacks baselines --quick -o results/baselines-quick --force

baselines-large-test:
	MEDQR_BASELINES_LARGE=1 $(GO) test $(GOFLAGS) -count=1 -run 'TestScheme$$' ./cipherimg/...

eval: baselines
