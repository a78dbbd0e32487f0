# Training (see docs/training.md). Pure Go + gorgonia: no Debian tools needed.
#   make train          retrain the default codec's shipped weights: the iwave
#                       learned lifting steps and post-filter (= make train-iwave,
#                       mk/iwave.mk)
#   make train-resume   continue an interrupted `make train`
#   make train-learned  retrain the conv autoencoder "learned" (codec id 3,
#                       model/weights/default.mqw) from experiments/default.json
#   make train-learned-resume  continue an interrupted `make train-learned`
#   make train-rd      results/codec/learned_vs_gojpeg.{json,md,png} on the test split
#   make ablation      the loss ablation (short runs) -> results/ablation/
#   make train-bench   each gorgonia training step beside its PyTorch twin
#                      (train/torchref, Debian python3-torch, installed
#                      here if missing), interleaved, 1 then 2 threads ->
#                      results/train/torchref-{1,2}thread.md; then the
#                      encode/decode and entropy-coder benchmarks ->
#                      results/train/bench.txt
TRAIN_CONFIG ?= experiments/default.json
TRAIN_SETS   ?=
ABLATION_RUNS := ablation-base ablation-no-erase ablation-no-decor ablation-no-ssim
# Debian's interpreter (python3-torch installs into it, not into a pyenv one)
TORCH_PYTHON ?= /usr/bin/python3
TRAIN_BENCH_ROUNDS ?= 3

.PHONY: train train-resume train-learned train-learned-resume train-rd ablation train-bench

train: train-iwave

train-resume: train-iwave-resume

# The shipped weights (experiments/default.json): one 20,000-step cosine
# schedule with the quantisation gain drawn from [0.2, 2.5], run in four
# resumable phases (a checkpoint at each -stop-at; a resumed run continues
# bit-identically, TestRunResume), as the shipped run was.
TRAIN_LEARNED_STOPS ?= 5200 10200 15200

train-learned:
	rm -rf results/train/default
	$(GO) build -o bin/medqr-train ./cmd/medqr
	bin/medqr-train train -config $(TRAIN_CONFIG) -stop-at $(firstword $(TRAIN_LEARNED_STOPS)) $(TRAIN_SETS)
	for s in $(wordlist 2,$(words $(TRAIN_LEARNED_STOPS)),$(TRAIN_LEARNED_STOPS)); do \
	  bin/medqr-train train -config $(TRAIN_CONFIG) -resume -stop-at $$s $(TRAIN_SETS) || exit 1; done
	bin/medqr-train train -config $(TRAIN_CONFIG) -resume $(TRAIN_SETS)

train-learned-resume:
	$(GO) run ./cmd/medqr train -resume -config $(TRAIN_CONFIG) $(TRAIN_SETS)

train-rd:
	$(GO) run ./cmd/medqr train -rd results/codec

ablation:
	rm -rf $(addprefix results/ablation/,$(ABLATION_RUNS))
	$(GO) build -o bin/medqr-train ./cmd/medqr
	bin/medqr-train train -no-progress -config experiments/ablation.json
	bin/medqr-train train -no-progress -config experiments/ablation.json -set name=ablation-no-erase -set erase=0
	bin/medqr-train train -no-progress -config experiments/ablation.json -set name=ablation-no-decor -set loss.decor=0
	bin/medqr-train train -no-progress -config experiments/ablation.json -set name=ablation-no-ssim -set loss.ssim=0
	bin/medqr-train train -ablation results/ablation $(addprefix results/ablation/,$(ABLATION_RUNS))

train-bench:
	@dpkg-query -W -f='$${Status}' python3-torch 2>/dev/null | grep -q "install ok installed" || { \
	  echo "train-bench: installing python3-torch" >&2; SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  $$SUDO apt-get update -qq >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends python3-torch >/dev/null; }
	mkdir -p results/train
	$(TORCH_PYTHON) train/torchref/compare.py --rounds $(TRAIN_BENCH_ROUNDS) --threads 1 --out results/train/torchref-1thread.md
	$(TORCH_PYTHON) train/torchref/compare.py --rounds $(TRAIN_BENCH_ROUNDS) --threads 2 --out results/train/torchref-2thread.md
	{ $(GO) test -run '^$$' -bench . -benchtime 20x ./model ./internal/entropy && \
	  $(GO) test -run '^$$' -bench Learned -benchtime 20x ./codec; } > results/train/bench.txt
	cat results/train/bench.txt
