#!/bin/bash
# bench/supervisor.sh - berthd next to containerd 1.6 (a private instance), same client (ctr):
#   1. idle RSS of each daemon after start (median of $RUNS samples, 1 s apart)
#   2. `ctr images import` of a ~200 MB multi-layer image (4 layers of $LAYER_MB MiB),
#      --no-unpack and with unpack (overlayfs), median wall time of $RUNS runs (hyperfine);
#      before each run the image is removed and garbage collected (rm --sync).
#   3. RSS after the imports.
# Prints medians and berthd/containerd ratios. Needs root, ctr, containerd, hyperfine, jq.
# Usage: bench/supervisor.sh [RUNS]   (env: LAYER_MB=50, BUILD=build, KEEP=1 keeps temp)
set -euo pipefail
cd "$(dirname "$0")/.."
TOP=$PWD
BUILD=${BUILD:-build}
RUNS=${1:-${RUNS:-5}}
LAYER_MB=${LAYER_MB:-50}
BERTHD=$TOP/$BUILD/berthd
IMG=localhost/bench:latest

for t in ctr containerd hyperfine jq; do
	command -v $t >/dev/null || { echo "bench: needs $t" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "bench: needs root" >&2; exit 1; }
[ -x "$BERTHD" ] || { echo "bench: build $BERTHD first (make bins)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/berth-bench-XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	# containerd's overlay snapshots may still be mounted under its root
	grep -o " $tmp[^ ]*" /proc/self/mounts 2>/dev/null | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null || true
	done
	[ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT

echo "building a test image: busybox + 4 layers of $LAYER_MB MiB..."
"$TOP/tests/helpers/mkimage.sh" "$tmp/img" --name "$IMG" --layers 5 --layer-mb "$LAYER_MB" >/dev/null
ARCHIVE=$tmp/img/image.oci.tar
ls -l "$ARCHIVE" | awk '{printf "archive: %.1f MB\n", $5 / 1e6}'

wait_sock() { # sock pid
	for _ in $(seq 200); do
		ctr -a "$1" version >/dev/null 2>&1 && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# berthd
mkdir -p "$tmp/berthd"
echo '{"gc_interval": 0}' >"$tmp/berthd/config.json"
"$BERTHD" --root "$tmp/berthd/root" --state "$tmp/berthd/state" -a "$tmp/berthd/b.sock" \
	-c "$tmp/berthd/config.json" --log-level warn 2>"$tmp/berthd/log" &
BPID=$!
pids+=("$BPID")
wait_sock "$tmp/berthd/b.sock" "$BPID" || { cat "$tmp/berthd/log"; exit 1; }

# containerd, private
mkdir -p "$tmp/ctrd"
cat >"$tmp/ctrd/config.toml" <<TOML
version = 2
root = "$tmp/ctrd/root"
state = "$tmp/ctrd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$tmp/ctrd/c.sock"
[ttrpc]
  address = "$tmp/ctrd/c.sock.ttrpc"
[debug]
  level = "warn"
TOML
containerd --config "$tmp/ctrd/config.toml" 2>"$tmp/ctrd/log" &
CPID=$!
pids+=("$CPID")
wait_sock "$tmp/ctrd/c.sock" "$CPID" || { cat "$tmp/ctrd/log"; exit 1; }

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }

sleep 1
b_idle=$(for _ in $(seq "$RUNS"); do rss_kb "$BPID"; sleep 1; done | median)
c_idle=$(for _ in $(seq "$RUNS"); do rss_kb "$CPID"; sleep 1; done | median)

bench_import() { # label extra-args
	local label=$1 extra=$2
	hyperfine --warmup 1 --runs "$RUNS" --export-json "$tmp/$label.json" --style basic \
		--prepare "ctr -a $tmp/berthd/b.sock -n bench images rm --sync $IMG >/dev/null 2>&1 || true" \
		-n "berthd" "ctr -a $tmp/berthd/b.sock -n bench images import $extra $ARCHIVE" \
		>/dev/null
	hyperfine --warmup 1 --runs "$RUNS" --export-json "$tmp/$label-ctrd.json" --style basic \
		--prepare "ctr -a $tmp/ctrd/c.sock -n bench images rm --sync $IMG >/dev/null 2>&1 || true" \
		-n "containerd" "ctr -a $tmp/ctrd/c.sock -n bench images import $extra $ARCHIVE" \
		>/dev/null
	b=$(jq '.results[0].median' "$tmp/$label.json")
	c=$(jq '.results[0].median' "$tmp/$label-ctrd.json")
	printf "%-34s %10.3f s %10.3f s %8s\n" "import $label (median of $RUNS)" "$b" "$c" "$(ratio "$b" "$c")"
}

echo
printf "%-34s %12s %12s %8s\n" "measure" "berthd" "containerd" "ratio"
printf "%-34s %9.1f MB %9.1f MB %8s\n" "idle RSS (median of $RUNS)" \
	"$(awk -v k="$b_idle" 'BEGIN {print k / 1024}')" "$(awk -v k="$c_idle" 'BEGIN {print k / 1024}')" \
	"$(ratio "$b_idle" "$c_idle")"
bench_import --no-unpack --no-unpack
bench_import unpack ""
b_after=$(rss_kb "$BPID")
c_after=$(rss_kb "$CPID")
printf "%-34s %9.1f MB %9.1f MB %8s\n" "RSS after the imports" \
	"$(awk -v k="$b_after" 'BEGIN {print k / 1024}')" "$(awk -v k="$c_after" 'BEGIN {print k / 1024}')" \
	"$(ratio "$b_after" "$c_after")"
# both stores end with the same image
[ "$(ctr -a "$tmp/berthd/b.sock" -n bench content ls -q | sort)" = \
  "$(ctr -a "$tmp/ctrd/c.sock" -n bench content ls -q | sort)" ] && echo "content digests: identical"
