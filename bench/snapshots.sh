#!/bin/bash
# bench/snapshots.sh [N] - the snapshotter's Prepare, Commit and Remove with N (default
# 5,000) snapshots in one root (issue #10: the metadata must not cost O(N) per change).
# Builds bench/snapbench.c against build/ (run `make bins` first) and runs it on a temp
# root on the filesystem of $TMPDIR (default /var/tmp: a real disk, so fsync costs what
# it costs), for the native driver (no mounts needed; the metadata path is the same
# for overlayfs). Prints seconds per phase and ms per call.
set -euo pipefail
n=${1:-5000}
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
tmp=$(mktemp -d "${TMPDIR:-/var/tmp}/berth-snapbench-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cc -O2 -std=gnu11 -D_GNU_SOURCE -I"$top" -I"$build" -o "$tmp/snapbench" "$top/bench/snapbench.c" \
	"$build/libberthsnapshot.a" "$build/libberthcommon.a" -lpthread
echo "snapshots: $n, driver native, root on $(df --output=fstype "$tmp" | tail -1) ($tmp)"
"$tmp/snapbench" native "$tmp/root" "$n"
