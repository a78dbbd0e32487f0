# Rate-distortion report (package eval/rd, docs/codec.md).
#   make codec-rd        every lossy codec registered in package codec, plain Go
#                        image/jpeg, and libjpeg, WebP, JPEG 2000 and AVIF
#                        (avifenc speed 1) from Debian on the whole test split
#                        at the four QR budgets -> results/codec/rd.{json,csv,md},
#                        rd_summary.csv, rd_psnr.png, rd_ssim.png, run.json
#   make codec-rd-quick  2 images, Go codecs only -> results/codec-quick/
#   make codec-multicode lossy multi-code sets (encrypt --codes): iwave against
#                        AVIF (speed 1), JPEG 2000 and WebP at the payload of
#                        1, 4, 9 and 16 level-L codes at 256, 512, 768 and 1024
#                        px, on the real chest X-ray DICOMs of data/samples/dicom
#                        and $(SHARED_DATA)/dicom_samples (plus one extremity
#                        CR; files smaller than a size are left out) ->
#                        results/codec/multicode/ (docs/codec.md); codec-rd runs it
#   make codec-bench     encrypt and decrypt of one 256x256 X-ray (iwave, level
#                        L, end to end) interleaved with qrencode and zbarimg,
#                        CPU time and ratio per operation, in one run
#                        (CODEC_BENCH_FLAGS, default -benchtime 20x -count 3)
#                        -> results/codec/bench.txt
# The external tools' results are cached per image, settings and budget
# (medqr rd --cache, default $MEDQR_CACHE_DIR/rd), so an interrupted or
# repeated run recomputes only what is missing. AVIF at speed 1 costs about
# 30 s of CPU per image (four budgets): RD_FLAGS="--limit avif=N" bounds it
# to the first N images (the committed report's value is in its run.json),
# RD_FLAGS="-j 1" runs one worker.
.PHONY: codec-rd codec-rd-quick codec-bench codec-multicode
RD_FLAGS ?=
SHARED_DATA ?= ../shared/data
MULTICODE_POINTS ?= 256:1,512:4,768:9,1024:16
MULTICODE_FILES ?= data/samples/dicom/siim_acr_cxr_mono2_8bit_jpegbaseline.dcm \
	data/samples/dicom/nema_CR-MONO1-10-chest_nometa.dcm \
	$(SHARED_DATA)/dicom_samples/chest_xray/nema_wg04_RG1_J2KI_cr_chest_mono1_15bit_j2k.dcm \
	$(SHARED_DATA)/dicom_samples/chest_xray/tcia_covid19ar_cr_chest_mono1_10bit_implicitLE.dcm \
	$(SHARED_DATA)/dicom_samples/codecs/pydicomdata_RG3_J2KR.dcm

codec-rd: build codec-multicode
	scripts/deps.sh results
	$(BIN) rd $(RD_FLAGS) -o results/codec

codec-rd-quick: build
	$(BIN) rd --quick -o results/codec-quick

codec-multicode: build
	scripts/deps.sh results
	nice $(BIN) rd --multicode $(MULTICODE_POINTS) --codecs iwave,avif,jpeg2000,webp --no-progress \
		-o results/codec/multicode $(MULTICODE_FILES)

CODEC_BENCH_FLAGS ?= -benchtime 20x -count 3
CODEC_BENCH_CODE ?= $(shell git describe --always --dirty 2>/dev/null || echo unknown)

codec-bench:
	scripts/deps.sh test
	{ echo "# make codec-bench: go test -bench VsTools $(CODEC_BENCH_FLAGS) ./store (medqr and the tool interleaved, CPU time per operation)"; \
	  echo "# code $(CODEC_BENCH_CODE), $$(date -u +%Y-%m-%dT%H:%MZ), $$(nproc) cores, load average $$(cut -d' ' -f1-3 /proc/loadavg) before the run"; \
	  $(GO) test -run '^$$' -bench 'VsTools' $(CODEC_BENCH_FLAGS) ./store; } | tee results/codec/bench.txt
