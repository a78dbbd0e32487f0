# Rate-distortion report (package eval/rd, docs/codec.md).
#   make codec-rd        every lossy codec registered in package codec, plain Go
#                        image/jpeg, and libjpeg, WebP, JPEG 2000 and AVIF
#                        (avifenc speed 1) from Debian on the whole test split
#                        at the four QR budgets -> results/codec/rd.{json,csv,md},
#                        rd_summary.csv, rd_psnr.png, rd_ssim.png, run.json
#   make codec-rd-quick  2 images, Go codecs only -> results/codec-quick/
#   make codec-bench     encrypt and decrypt of one 256x256 X-ray (iwave, level
#                        L, end to end) beside qrencode and zbarimg, CPU time,
#                        in one run -> results/codec/bench.txt
# The external tools' results are cached per image, settings and budget
# (medqr rd --cache, default $MEDQR_CACHE_DIR/rd), so an interrupted or
# repeated run recomputes only what is missing. AVIF at speed 1 costs about
# 30 s of CPU per image (four budgets): RD_FLAGS="--limit avif=N" bounds it
# to the first N images (the committed report's value is in its run.json),
# RD_FLAGS="-j 1" runs one worker.
.PHONY: codec-rd codec-rd-quick codec-bench
RD_FLAGS ?=

codec-rd: build
	scripts/deps.sh results
	$(BIN) rd $(RD_FLAGS) -o results/codec

codec-rd-quick: build
	$(BIN) rd --quick -o results/codec-quick

codec-bench:
	scripts/deps.sh test
	$(GO) test -run '^$$' -bench 'VsTools' -benchtime 10x ./store | tee results/codec/bench.txt
