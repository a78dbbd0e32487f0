# Attack suite (package attacks, docs/attacks.md).
#   make attacks        the full run (experiments/attacks.json) -> results/attacks/
#                       (report.md, report.json, plots, example images)
#   make attacks-quick  the quick setting -> results/attacks-quick/; "make test"
#                       runs the same setting as the attacks package's TestRunQuick
# "make eval" runs "attacks" after the metrics. Both build medqr from a clean
# export of HEAD (clean_bin in eval.mk), so the report names a commit and
# never "+dirty": commit a change before measuring it.
.PHONY: attacks attacks-quick

ATTACKS_BIN := bin/medqr-attacks

attacks:
	$(call clean_bin,$(ATTACKS_BIN))
	$(ATTACKS_BIN) attacks --no-progress --config experiments/attacks.json -o results/attacks --force

attacks-quick:
	$(call clean_bin,$(ATTACKS_BIN))
	$(ATTACKS_BIN) attacks --no-progress --quick --config experiments/attacks-quick.json -o results/attacks-quick --force
