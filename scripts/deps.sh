#!/usr/bin/env bash
# Installs the Debian tools that tests and result targets use, only when they
# are missing. Usage: scripts/deps.sh build|test|results
#   build: what a cgo build of medqr links (OpenJPEG, CharLS for DICOM)
set -euo pipefail
want=(pkg-config libopenjp2-7-dev libcharls-dev)
if [ "${1:-test}" != build ]; then
  want+=(dcmtk libgdcm-tools zbar-tools qrencode python3-skimage libjpeg-turbo-progs libopenjp2-tools openjph-tools)
  # chromium: the browser test of medqr serve (cmd/medqr/serve_browser_test.go)
  want+=(chromium)
fi
if [ "${1:-test}" = results ]; then
  want+=(webp libavif-bin)
fi
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
