# Rate-distortion report (package internal/rdreport, README.md).
#   make codec-rd        every lossy codec registered in package codec, plain Go
#                        image/jpeg, and libjpeg, WebP, JPEG 2000 and AVIF from
#                        Debian on the whole test split at the four QR budgets
#                        -> results/codec/rd.{json,csv,md}, rd_summary.csv,
#                        rd_psnr.png, rd_ssim.png, run.json
#   make codec-rd-quick  2 images, Go codecs only -> results/codec-quick/
# RD_FLAGS adds flags, e.g. RD_FLAGS="-limit avif=20" bounds the slow AVIF
# encoder to the first 20 images (what the committed report used; see
# README.md), RD_FLAGS="-j 4" runs 4 workers.
.PHONY: codec-rd codec-rd-quick
RD_FLAGS ?= -limit avif=20

codec-rd: build
	scripts/deps.sh results
	$(BIN) rd $(RD_FLAGS) -o results/codec

codec-rd-quick: build
	$(BIN) rd -quick -o results/codec-quick
