#!/usr/bin/env bash
# Installs the Debian tools that tests and result targets use, only when they
# are missing. Usage: scripts/deps.sh test|results
set -euo pipefail
want=(dcmtk libgdcm-tools zbar-tools qrencode python3-skimage libjpeg-turbo-progs)
if [ "${1:-test}" = results ]; then
  want+=(webp libopenjp2-tools libavif-bin)
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
