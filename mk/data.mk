# Decoding and datasets (package data, internal/jpegx; docs/dicom.md).
#   make data-check     every DICOM in ../shared/data/dicom_samples and the shipped
#                       samples against GDCM (stored values) and DCMTK dcm2pnm
#                       (display), JPEG against libjpeg's djpeg, verbose
#   make dataset-cache  index data/samples/kermany_cxr_224 and build its 256x256 cache
#   make fuzz-data      run each data fuzz target for FUZZTIME (default 30s)
#   make bench-data     decoding and Preprocess benchmarks
#   make bench-j2k      2048x2560 CR in JPEG 2000, JPEG lossless, JPEG-LS: medqr
#                       vs gdcmconv --raw (docs/dicom.md)
#   make data-vectors   regenerate data/testdata (NPZ vectors with python3-numpy;
#                       DICOM golden outcomes with GDCM/DCMTK): review the diff
.PHONY: data-check dataset-cache fuzz-data bench-data bench-j2k data-vectors data-deps
FUZZTIME ?= 30s

# A cgo build links OpenJPEG and CharLS (JPEG 2000 and JPEG-LS DICOM), and
# go vet compiles the cgo files: install their Debian -dev packages first
# (a no-op when present). .ci/run runs lint before test.
build lint: data-deps
data-deps:
	scripts/deps.sh build

data-check:
	scripts/deps.sh test
	$(GO) test -count=1 -v -run 'TestDICOM|TestMatchesLibjpeg|TestPreprocessAgainstPillow' ./data ./internal/jpegx

dataset-cache: build
	$(BIN) dataset index data/samples/kermany_cxr_224
	$(BIN) dataset cache --size 256 data/samples/kermany_cxr_224

fuzz-data:
	@for f in FuzzDecode FuzzDICOM FuzzDICOMFrame FuzzFrameCodecs FuzzNPZ FuzzRLE; do \
	  $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) ./data || exit 1; \
	done
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./internal/jpegx
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeSamples$$' -fuzztime $(FUZZTIME) ./internal/jpegx

bench-data:
	$(GO) test -run '^$$' -bench . -skip 'BenchmarkJ2KCR|BenchmarkJPEGLosslessCR' -benchtime 20x ./data

bench-j2k:
	scripts/deps.sh test
	$(GO) test -run '^$$' -bench 'BenchmarkJ2KCR|BenchmarkJPEGLosslessCR' -benchtime 5x -count 2 ./data

data-vectors:
	scripts/deps.sh test
	cd data/testdata && /usr/bin/python3 gen_npz.py
	$(GO) test -count=1 -run TestDICOMSamplesGolden ./data -update

# Display, Preprocess, golden DICOM outcomes and NPZ/cache tests under qemu-user
# on arm64 (where Go may fuse multiply-adds) and s390x (big-endian): the
# pinned hashes must be identical to amd64.
.PHONY: data-crossarch
data-crossarch:
	@command -v qemu-aarch64 >/dev/null || { SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  $$SUDO apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends qemu-user >/dev/null; }
	@for a in arm64 s390x; do \
	  q=$$a; [ $$a = arm64 ] && q=aarch64; \
	  GOARCH=$$a $(GO) test -c -o bin/data.$$a.test ./data || exit 1; \
	  (cd data && qemu-$$q ../bin/data.$$a.test -test.short -test.count 1 \
	    -test.run 'TestPreprocessDeterministic|TestDICOMSamplesGolden|TestWindowLinear|TestReadNPZVectors|TestCacheBuildReadCorrupt|TestIndexKermanySample|TestDecodePNGVariants|TestSplitOf') || exit 1; \
	  echo "data-crossarch: $$a ok"; \
	done
