# Sharded research runs (package eval/shard, deploy/k8s, docs/scale.md).
#   make eval-sharded N=4     the evaluation (EVAL_CONFIG) as N shard processes,
#                             merged into EVAL_SHARDED_OUT: the same files as
#                             "make eval-metrics" apart from run.json
#   make attacks-sharded N=4  the attack suite (ATTACKS_CONFIG) likewise; e.g.
#                             ATTACKS_FLAGS=--quick ATTACKS_CONFIG=experiments/attacks-quick.json
#   make rd-sharded N=4       medqr rd (RD_SHARD_FLAGS, default the Go codecs on the
#                             samples' test split) likewise, into RD_SHARDED_OUT
#   make baselines-sharded N=4  the literature baselines (BASELINES_CONFIG)
#                             likewise, into BASELINES_SHARDED_OUT
#   make scale-shard-cost     wall and CPU seconds of one rd and one baselines
#                             shard, 1 of 1 and 1 of 4 -> results/scale/shard-cost.txt
#   make scale-rss            peak RSS of "dataset cache" and of a streamed eval
#                             on a generated 20,000-image set -> results/scale/rss.txt
#   make scale-cost           CPU seconds per image and per run of the full
#                             evaluation, from two streamed runs -> results/scale/cost.txt
# Shard folders go under SHARD_TMP; the shards of one target run at once.
.PHONY: eval-sharded attacks-sharded rd-sharded baselines-sharded scale-rss scale-cost scale-shard-cost

N                ?= 4
SHARD_TMP        ?= $(or $(TMPDIR),/tmp)/medqr-shards
EVAL_SHARDED_OUT ?= $(SHARD_TMP)/eval-merged
ATTACKS_CONFIG   ?= experiments/attacks.json
ATTACKS_FLAGS    ?=
ATTACKS_SHARDED_OUT ?= $(SHARD_TMP)/attacks-merged
RD_SHARD_FLAGS   ?= --codecs iwave,jpeg,learned,gojpeg
RD_SHARDED_OUT   ?= $(SHARD_TMP)/rd-merged
BASELINES_CONFIG ?= experiments/baselines.json
BASELINES_SHARDED_OUT ?= $(SHARD_TMP)/baselines-merged
SCALE_IMAGES     ?= 20000
SCALE_SET        ?= $(or $(TMPDIR),/tmp)/medqr-synth-$(SCALE_IMAGES)

# run_shards NAME COMMAND OUT: N processes "medqr COMMAND --shard I/N -o
# $(SHARD_TMP)/NAME/I", waited for one by one (any failure fails the
# target), then merged into OUT.
define run_shards
	@rm -rf $(SHARD_TMP)/$(1) && mkdir -p $(SHARD_TMP)/$(1)
	@pids=""; for i in $$(seq 0 $$(($(N)-1))); do \
	  $(BIN) -q $(2) --force --shard $$i/$(N) -o $(SHARD_TMP)/$(1)/$$i > $(SHARD_TMP)/$(1)/$$i.log 2>&1 & pids="$$pids $$!"; \
	done; ok=1; for p in $$pids; do wait $$p || ok=0; done; \
	if [ $$ok = 0 ]; then tail -n 5 $(SHARD_TMP)/$(1)/*.log; exit 1; fi
	$(BIN) merge --force -o $(3) $$(seq -f '$(SHARD_TMP)/$(1)/%g' 0 $$(($(N)-1)))
endef

eval-sharded: build
	$(call run_shards,eval,eval --no-progress --config $(EVAL_CONFIG),$(EVAL_SHARDED_OUT))
	@if [ -f $(EVAL_OUT)/results.json ]; then \
	  if cmp -s $(EVAL_SHARDED_OUT)/results.json $(EVAL_OUT)/results.json; then echo "eval-sharded: results.json identical to $(EVAL_OUT)/results.json"; \
	  else echo "eval-sharded: results.json differs from $(EVAL_OUT)/results.json (another code version or config?)"; fi; fi

attacks-sharded: build
	$(call run_shards,attacks,attacks --no-progress $(ATTACKS_FLAGS) --config $(ATTACKS_CONFIG),$(ATTACKS_SHARDED_OUT))

rd-sharded: build
	$(call run_shards,rd,rd --no-progress $(RD_SHARD_FLAGS),$(RD_SHARDED_OUT))

baselines-sharded: build
	$(call run_shards,baselines,attacks baselines --config $(BASELINES_CONFIG),$(BASELINES_SHARDED_OUT))

# Peak resident memory (GNU time's %M) of each step on SCALE_IMAGES generated
# 256x256 images (written once to SCALE_SET, not to the repository), with a
# throwaway cache folder. The streamed eval runs one cheap subject with few
# null trials: its memory, not its numbers, is the point.
scale-rss: build
	@test -d $(SCALE_SET) || $(GO) run ./eval/shard/internal/synth -n $(SCALE_IMAGES) -size 256 -o $(SCALE_SET)
	@set -e; c=$$(mktemp -d); o=$$(mktemp -d); out=results/scale/rss.txt; mkdir -p results/scale; \
	 m() { /usr/bin/time -f "%M %e %U %S" -o $$o/t "$$@" > $$o/log 2>&1 || { cat $$o/log; exit 1; }; \
	       awk -v what="$$*" '{printf "%8.0f MiB  %7.1f s wall  %7.1f s CPU  %s\n", $$1/1024, $$2, $$3+$$4, what}' $$o/t; }; \
	 E="--no-progress --force --set data.dir=$(SCALE_SET) --set data.split=all --set subjects=aes-256-gcm --set local_null_trials=400 --set plots=false"; \
	 { echo "# make scale-rss: peak RSS on $(SCALE_IMAGES) generated 256x256 images (GOMAXPROCS=$(GOMAXPROCS))"; \
	   echo "# code $$($(BIN) --version)"; \
	   MEDQR_CACHE_DIR=$$c m $(BIN) -q dataset cache --shard 0/4 $(SCALE_SET); \
	   MEDQR_CACHE_DIR=$$c m $(BIN) -q eval $$E --shard 0/4 -o $$o/s0; \
	   MEDQR_CACHE_DIR=$$c m $(BIN) -q dataset cache $(SCALE_SET); \
	   MEDQR_CACHE_DIR=$$c m $(BIN) -q eval $$E --shard 0/1 -o $$o/s; \
	   MEDQR_CACHE_DIR=$$c m $(BIN) -q eval $$E -o $$o/u; \
	 } | sed "s|$(SCALE_SET)|SET|g; s|$$o/|OUT/|g" | tee $$out; rm -rf $$c $$o

# CPU cost of the full evaluation (EVAL_CONFIG, every subject) per image:
# two streamed runs on the test split with SCALE_FEW and SCALE_MANY images;
# the difference over the difference in images is the cost of one image,
# the rest is the per-run cost (trials, null simulations).
SCALE_FEW  ?= 4
SCALE_MANY ?= 20
scale-cost: build
	@set -e; o=$$(mktemp -d); out=results/scale/cost.txt; mkdir -p results/scale; \
	 for k in $(SCALE_FEW) $(SCALE_MANY); do \
	   /usr/bin/time -f "%e %U %S" -o $$o/t$$k $(BIN) -q eval --config $(EVAL_CONFIG) --set data.max_images=$$k --set plots=false --no-progress --force --shard 0/1 -o $$o/r$$k >/dev/null; \
	 done; \
	 { echo "# make scale-cost: $(EVAL_CONFIG), streamed (--shard 0/1), GOMAXPROCS=$(GOMAXPROCS)"; \
	   echo "# code $$($(BIN) --version)"; \
	   awk -v a=$(SCALE_FEW) -v b=$(SCALE_MANY) 'FNR==1 && NR==1 {ca=$$2+$$3; wa=$$1} FNR==1 && NR==2 {cb=$$2+$$3; wb=$$1} END { \
	     per=(cb-ca)/(b-a); printf "images %d: %.1f s CPU, %.1f s wall\nimages %d: %.1f s CPU, %.1f s wall\nper image: %.3f s CPU\nper run: %.1f s CPU\n", a, ca, wa, b, cb, wb, per, ca-a*per }' $$o/t$(SCALE_FEW) $$o/t$(SCALE_MANY); \
	 } | tee $$out; rm -rf $$o

# Cost of one shard of rd and of the baselines: rd (RD_SHARD_FLAGS) streamed as
# shard 0/1 on SCALE_FEW and SCALE_RD_MANY test images (the difference is
# the cost of one image, the rest the per-shard set-up), then the
# BASELINES_CONFIG run as its SCALE_BL_N shards one after the other (each
# shard's wall and CPU time: the slowest is the wall time of the Job with
# SCALE_BL_N pods).
SCALE_RD_MANY ?= 12
SCALE_BL_N    ?= 4
scale-shard-cost: build
	@set -e; o=$$(mktemp -d); out=results/scale/shard-cost.txt; mkdir -p results/scale; \
	 t() { /usr/bin/time -f "%e %U %S" -o $$o/t "$$@" > $$o/log 2>&1 || { cat $$o/log; exit 1; }; cat $$o/t; }; \
	 { echo "# make scale-shard-cost: rd $(RD_SHARD_FLAGS) streamed (--shard 0/1) on the samples' test split; $(BASELINES_CONFIG) as $(SCALE_BL_N) shards; GOMAXPROCS=$(GOMAXPROCS)"; \
	   echo "# code $$($(BIN) --version)"; \
	   a=$$(t $(BIN) -q rd --no-progress $(RD_SHARD_FLAGS) -n $(SCALE_FEW) --shard 0/1 -o $$o/ra); \
	   b=$$(t $(BIN) -q rd --no-progress $(RD_SHARD_FLAGS) -n $(SCALE_RD_MANY) --shard 0/1 -o $$o/rb); \
	   echo "$$a $$b" | awk -v a=$(SCALE_FEW) -v b=$(SCALE_RD_MANY) '{ ca=$$2+$$3; cb=$$5+$$6; per=(cb-ca)/(b-a); \
	     printf "rd images %d: %.1f s CPU, %.1f s wall\nrd images %d: %.1f s CPU, %.1f s wall\nrd per image: %.3f s CPU\nrd per shard: %.1f s CPU\n", a, ca, $$1, b, cb, $$4, per, ca-a*per }'; \
	   for i in $$(seq 0 $$(($(SCALE_BL_N)-1))); do \
	     c=$$(t $(BIN) -q attacks baselines --config $(BASELINES_CONFIG) --shard $$i/$(SCALE_BL_N) -o $$o/b$$i); \
	     echo "$$c" | awk -v i=$$i -v n=$(SCALE_BL_N) -v u="$$(grep -h '"units"' $$o/b$$i/shard.json | tr -dc 0-9)" \
	       '{printf "baselines shard %d/%d (%s units: images and schemes): %.1f s CPU, %.1f s wall\n", i, n, u, $$2+$$3, $$1}'; \
	   done; \
	 } | tee $$out; rm -rf $$o
