# Attack suite (package attacks, README.md).
#   make attacks        the full run (experiments/attacks.json) -> results/attacks/
#                       (report.md, report.json, plots, example images)
#   make attacks-quick  the quick setting -> results/attacks-quick/; "make test"
#                       runs the same setting as the attacks package's TestRunQuick
# "make eval" runs "attacks" after the metrics.
.PHONY: attacks attacks-quick

attacks: build
	$(BIN) attacks --config experiments/attacks.json -o results/attacks --force

attacks-quick: build
	$(BIN) attacks --quick --config experiments/attacks-quick.json -o results/attacks-quick --force
