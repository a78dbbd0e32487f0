# Research cipher-image scheme (package cipherimg, docs/cipher.md).
.PHONY: cipher-figures cipher-bench cipher-vectors

# Figure of shipped X-rays next to their cipher images with histograms, and
# the damaged-decryption tables (PSNR vs salt-and-pepper noise and crops).
cipher-figures:
	mkdir -p results/cipher
	$(GO) run ./cipherimg/internal/cipherfig -samples data/samples/kermany_cxr_224 -out results/cipher -n 20

# Throughput of the whole scheme (each keystream, 256x256 and 2048x2048)
# beside AES-256-GCM on the same bytes.
cipher-bench:
	mkdir -p results/cipher
	$(GO) test -run '^$$' -bench 'Encrypt|Decrypt|AESGCM' -benchtime 5x -count 3 ./cipherimg/ | tee results/cipher/bench.txt

# Regenerate the known-answer vectors and PNG test files (review the diff:
# a change means the cipher's output changed).
cipher-vectors:
	cd cipherimg && $(GO) generate ./...

