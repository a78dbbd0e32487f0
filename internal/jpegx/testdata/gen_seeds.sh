#!/bin/sh
# Regenerates the lossless JPEG fuzz seeds (lossless-sv*.jpg) from a shipped
# DICOM with DCMTK's dcmcjpeg (Debian dcmtk): the compressed frame is cut
# out of the DICOM between its SOI and EOI markers. Run from any folder.
set -eu
cd "$(dirname "$0")"
src=../../../data/samples/dicom/pydicom_MR_small.dcm
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for opts in "+e1:sv1" "+el +sv 4:sv4" "+el +sv 7 +pt 2:sv7-pt2" "+el +sv 5 +ri:sv5"; do
  args=${opts%%:*} name=${opts##*:}
  # shellcheck disable=SC2086
  dcmcjpeg $args "$src" "$tmp/$name.dcm"
  python3 -c '
import sys
b = open(sys.argv[1], "rb").read()
s = b.index(b"\xff\xd8\xff"); e = b.rindex(b"\xff\xd9") + 2
open(sys.argv[2], "wb").write(b[s:e])' "$tmp/$name.dcm" "lossless-$name.jpg"
done
