# iwave codec (the default): CDF 9/7 lifting with learned predict steps +
# context coding + trained post-filter (packages model/iwave, train/iwave;
# docs/codec.md). Pure Go + gorgonia.
#   make train-iwave         retrain the shipped weights (model/iwave/weights/
#                            lift.iwl, then postfilter.iwq) from
#                            experiments/iwave.json -> results/iwave/iwave/
#                            (`make train` runs this)
#   make train-iwave-resume  continue an interrupted train-iwave
#   make iwave-rd            RD table on the test split (iwave, learned, Go
#                            jpeg, libjpeg, JPEG 2000) -> results/iwave/rd.*
#   make iwave-bench         transform, encode/decode and training-step benchmarks
#                            -> results/iwave/bench.txt
IWAVE_CONFIG ?= experiments/iwave.json
IWAVE_SETS   ?=
IWAVE_IMAGES ?= 0

.PHONY: train-iwave train-iwave-resume iwave-rd iwave-bench

train-iwave:
	rm -rf results/iwave/iwave
	$(GO) build -o bin/medqr-iwave ./cmd/medqr
	bin/medqr-iwave train-iwave -config $(IWAVE_CONFIG) $(IWAVE_SETS)

train-iwave-resume:
	$(GO) build -o bin/medqr-iwave ./cmd/medqr
	bin/medqr-iwave train-iwave -resume -config $(IWAVE_CONFIG) $(IWAVE_SETS)

iwave-rd:
	scripts/deps.sh results
	$(GO) build -o bin/medqr-iwave ./cmd/medqr
	bin/medqr-iwave train-iwave -rd results/iwave -ext -images $(IWAVE_IMAGES)

iwave-bench:
	{ $(GO) test -run '^$$' -bench . -benchtime 20x ./model/iwave; \
	  $(GO) test -run '^$$' -bench . -benchtime 20x ./train/iwave; } | tee results/iwave/bench.txt
