# Learned baseline ciphers (issue 13): deepkeygen, sae, lstm
# (cipherimg/<name>, train/<name>; docs/baselines.md). Pure Go + gorgonia.
#   make train-learnedciphers   retrain all three networks from experiments/
#                               {deepkeygen,sae,lstm}.json into
#                               results/learnedciphers/<name>/ (run.json, losses.csv,
#                               train.log, weights), copy the weights to
#                               cipherimg/<name>/weights/ and regenerate the test
#                               vectors; about 6 minutes on 2 cores
#   make train-deepkeygen | train-sae | train-lstm    one network (then vectors)
#   make train-deepkeygen-resume (and -sae-, -lstm-)  continue an interrupted run
#   make learnedciphers-test    the packages' tests (as make test runs them)
#   make learnedciphers-long    2048x2048 round trips and the NoFMA check
#   make learnedciphers-bench   encryption and network benchmarks beside
#                               AES-256-CTR -> results/learnedciphers/bench.txt
#   make learnedciphers-kpa     perm-diffusion-kpa on sae with X-ray known images
#                               -> results/learnedciphers/kpa-xray.txt
LEARNED_SCHEMES := deepkeygen sae lstm
LEARNED_PKGS    := ./internal/detnn ./cipherimg/deepkeygen ./cipherimg/sae ./cipherimg/lstm \
                   ./train/internal/cipherloop ./train/deepkeygen ./train/sae ./train/lstm

.PHONY: train-learnedciphers learned-vectors learnedciphers-test learnedciphers-long learnedciphers-bench learnedciphers-kpa \
        $(addprefix train-,$(LEARNED_SCHEMES)) $(addsuffix -resume,$(addprefix train-,$(LEARNED_SCHEMES)))

.PHONY: bin/medqr-learned
bin/medqr-learned:
	$(GO) build -o $@ ./cmd/medqr

train-learnedciphers: $(addprefix train-,$(LEARNED_SCHEMES))

$(addprefix train-,$(LEARNED_SCHEMES)): train-%: bin/medqr-learned
	rm -rf results/learnedciphers/$*
	mkdir -p results/learnedciphers/$*
	bin/medqr-learned train-cipher --scheme $* --config experiments/$*.json --no-progress 2>&1 | tee results/learnedciphers/$*/train.log
	$(MAKE) learned-vectors

$(addsuffix -resume,$(addprefix train-,$(LEARNED_SCHEMES))): train-%-resume: bin/medqr-learned
	bin/medqr-learned train-cipher --scheme $* --config experiments/$*.json --resume --no-progress 2>&1 | tee -a results/learnedciphers/$*/train.log
	$(MAKE) learned-vectors

learned-vectors:
	$(GO) run ./cipherimg/internal/genlearned

learnedciphers-test:
	$(GO) test -count=1 $(LEARNED_PKGS) ./attacks/breaks

learnedciphers-long:
	MEDQR_LONG_TESTS=1 $(GO) test -count=1 -run 'RoundTrip|NoFMA' -timeout 30m $(LEARNED_PKGS)

learnedciphers-bench:
	mkdir -p results/learnedciphers
	{ echo "# code $$(git rev-parse HEAD 2>/dev/null || echo unknown); the machine is shared: compare rows of one run"; \
	  $(GO) test -run "^$$" -bench . -benchtime 10x ./cipherimg/internal/learnedtest ./cipherimg/deepkeygen; } | tee results/learnedciphers/bench.txt

# perm-diffusion-kpa on sae with chest X-rays as the known plaintexts.
learnedciphers-kpa:
	mkdir -p results/learnedciphers
	{ echo "# code $$(git rev-parse HEAD 2>/dev/null || echo unknown)$$(git diff --quiet -- attacks cipherimg internal 2>/dev/null || echo +dirty)"; \
	  MEDQR_LONG_TESTS=1 $(GO) test -count=1 -v -run '^TestPermDiffusionKPAOnXrays$$' ./attacks/breaks | grep -Ev '^(=== RUN|--- PASS|PASS$$|ok )'; } > results/learnedciphers/kpa-xray.txt
	cat results/learnedciphers/kpa-xray.txt
