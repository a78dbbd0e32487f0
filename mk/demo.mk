# Product demo (packages store, codec; docs/encryptor.md).
#   make demo                 encrypt a shipped chest X-ray (DICOM) into one QR code and a key,
#                             decrypt it and report PSNR/SSIM; then the lossless round trips
#                             (8-bit 256x256 over several QR codes, and a 16-bit DICOM exactly)
#   make demo DEMO_CODEC=jpeg use another codec for the single-code step
# Outputs go to a fresh folder under $TMPDIR (printed); nothing in the repo changes.
.PHONY: demo

DEMO_CODEC ?=
DEMO_XRAY  ?= data/samples/dicom/siim_acr_cxr_mono2_8bit_jpegbaseline.dcm
DEMO_XRAY16 ?= data/samples/dicom/nema_CR-MONO1-10-chest_nometa.dcm

demo: build
	@set -e; \
	d=$$(mktemp -d "$${TMPDIR:-/tmp}/medqr-demo.XXXXXX"); \
	codec=""; [ -n "$(DEMO_CODEC)" ] && codec="--codec $(DEMO_CODEC)"; \
	echo "== 1. encrypt $(DEMO_XRAY) into one QR code and a key"; \
	echo "\$$ medqr encrypt $$codec -o $$d/store $(DEMO_XRAY)"; \
	$(BIN) encrypt $$codec -o $$d/store $(DEMO_XRAY); \
	echo; echo "== 2. decrypt the QR code with the key file"; \
	echo "\$$ medqr decrypt -k $$d/store/medqr-ID-key.txt --reference $(DEMO_XRAY) -o $$d/decrypted.png $$d/store/medqr-ID.png"; \
	$(BIN) decrypt -k $$(ls $$d/store/*-key.txt) --reference $(DEMO_XRAY) -o $$d/decrypted.png $$(ls $$d/store/medqr-*.png); \
	echo; echo "== 3. lossless: the exact 256x256 8-bit image over numbered QR codes (level L)"; \
	echo "\$$ medqr encrypt --lossless --size 256 --level L -o $$d/lossless $(DEMO_XRAY)"; \
	$(BIN) encrypt --lossless --size 256 --level L -o $$d/lossless $(DEMO_XRAY) | grep -v '^qr:'; \
	echo "\$$ medqr decrypt -k .../medqr-ID-key.txt -o $$d/lossless.png .../medqr-ID-NNofMM.png (in reverse order)"; \
	$(BIN) decrypt -k $$(ls $$d/lossless/*-key.txt) --reference $(DEMO_XRAY) -o $$d/lossless.png $$(ls -r $$d/lossless/*of*.png); \
	echo; echo "== 4. lossless 16-bit: the exact stored pixels of $(DEMO_XRAY16)"; \
	echo "\$$ medqr encrypt --lossless --level L -o $$d/lossless16 $(DEMO_XRAY16)"; \
	$(BIN) encrypt --lossless --level L -o $$d/lossless16 $(DEMO_XRAY16) | grep -v '^qr:'; \
	$(BIN) decrypt -k $$(ls $$d/lossless16/*-key.txt) --reference $(DEMO_XRAY16) -o $$d/lossless16.png $$(ls $$d/lossless16/*of*.png); \
	echo; echo "demo outputs: $$d"

# Figures for docs/encryptor.md ("Figures"):
#   make encryptor-bench   encrypt-to-PNG and PNG-to-image for one 256x256 X-ray (each codec),
#                          and the codecs alone -> results/encryptor/bench.txt (wall and CPU time)
#   make lossless-table    lossless codec vs PNG on 40 shipped X-rays (Go only) ->
#                          results/encryptor/lossless.md, and vs WebP lossless and JPEG 2000
#                          lossless on the first 10 -> results/encryptor/lossless_tools.md
.PHONY: encryptor-bench lossless-table
encryptor-bench:
	mkdir -p results/encryptor
	$(GO) test -run '^$$' -bench . -benchtime 5x ./store ./codec | tee results/encryptor/bench.txt

lossless-table:
	scripts/deps.sh results
	mkdir -p results/encryptor
	$(GO) run ./codec/internal/llbench -n 40 -tools=false > results/encryptor/lossless.md
	$(GO) run ./codec/internal/llbench -n 10 > results/encryptor/lossless_tools.md
	cat results/encryptor/lossless.md results/encryptor/lossless_tools.md
