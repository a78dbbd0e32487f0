# Research cipher-image scheme (package cipherimg, docs/cipherimg.md).
.PHONY: cipher-figures cipher-bench cipher-vectors cipher-crossarch

# Figure of shipped X-rays next to their cipher images with histograms, and
# the damaged-decryption tables (PSNR vs salt-and-pepper noise and crops).
cipher-figures:
	mkdir -p results/cipher
	$(GO) run ./cipherimg/internal/cipherfig -samples data/samples/kermany_cxr_224 -out results/cipher -n 20

# Throughput of the whole scheme (each keystream, 256x256 and 2048x2048)
# beside AES-256-GCM on the same bytes.
cipher-bench:
	mkdir -p results/cipher
	$(GO) test -run '^$$' -bench 'Encrypt|Decrypt|AESGCM' -count 3 ./cipherimg/ | tee results/cipher/bench.txt

# Regenerate the known-answer vectors and PNG test files (review the diff:
# a change means the cipher's output changed).
cipher-vectors:
	cd cipherimg && $(GO) generate ./...


# Known-answer vectors on other architectures under qemu-user: arm64,
# ppc64le, s390x and riscv64 are where Go may fuse multiply-adds (the
# chaotic keystream must not) and s390x is big-endian.
cipher-crossarch:
	@command -v qemu-aarch64 >/dev/null || { SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  $$SUDO apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends qemu-user >/dev/null; }
	@for a in arm64 ppc64le s390x riscv64; do \
	  q=$$a; [ $$a = arm64 ] && q=aarch64; \
	  GOARCH=$$a $(GO) test -c -o bin/cipherimg.$$a.test ./cipherimg/ || exit 1; \
	  (cd cipherimg && qemu-$$q ../bin/cipherimg.$$a.test -test.run 'Vectors|ReadPNGFiles' -test.count 1) || exit 1; \
	  echo "cipher-crossarch: $$a ok"; \
	done
