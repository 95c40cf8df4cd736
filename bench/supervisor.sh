#!/bin/bash
# bench/supervisor.sh - berthd next to containerd 1.6 (a private instance), same client (ctr):
#   1. idle RSS of each daemon: each is started $RUNS times on fresh directories, answers
#      `ctr version`, idles 1 s, then VmRSS (RssAnon + RssFile) and its thread count are
#      read from /proc/<pid>/status; medians over the starts, and the berthd/containerd
#      ratio against the goal (berthd <= 0.25x containerd).
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

# shellcheck source=SCRIPTDIR/lib.sh
source "$TOP/bench/lib.sh"
bench_init

echo "building a test image: busybox + 4 layers of $LAYER_MB MiB..."
"$TOP/tests/helpers/mkimage.sh" "$tmp/img" --name "$IMG" --layers 5 --layer-mb "$LAYER_MB" >/dev/null
ARCHIVE=$tmp/img/image.oci.tar
ls -l "$ARCHIVE" | awk '{printf "archive: %.1f MB\n", $5 / 1e6}'

status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; } # pid field
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

# idle: one sample per start, fresh directories each time (a first boot)
idle() { # name start-fn pid-var: prints the medians of VmRSS RssAnon RssFile Threads
	local i pid
	for i in $(seq "$RUNS"); do
		"$2" "$tmp/idle-$1-$i" >&2
		pid=${!3}
		sleep 1
		echo "$(status_kb "$pid" VmRSS) $(status_kb "$pid" RssAnon)" \
			"$(status_kb "$pid" RssFile) $(status_kb "$pid" Threads)" >>"$tmp/idle-$1"
		stop "$pid"
		rm -rf "$tmp/idle-$1-$i"
	done
	for f in 1 2 3 4; do cut -d' ' -f$f "$tmp/idle-$1" | median; done | tr '\n' ' '
}
echo "idle RSS: starting each daemon $RUNS times..."
read -r b_idle b_anon b_file b_thr <<<"$(idle berthd start_berthd BPID)"
read -r c_idle c_anon c_file c_thr <<<"$(idle containerd start_ctrd CPID)"

# the daemons the imports run against
start_berthd "$tmp/berthd"
start_ctrd "$tmp/ctrd"

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
printf "%-34s %9s MB %9s MB %8s\n" "idle RSS (median of $RUNS starts)" "$(mb "$b_idle")" \
	"$(mb "$c_idle")" "$(ratio "$b_idle" "$c_idle")"
printf "%-34s %9s MB %9s MB\n" "  of which RssAnon (heap, stacks)" "$(mb "$b_anon")" "$(mb "$c_anon")"
printf "%-34s %9s MB %9s MB\n" "  of which RssFile (code, libs)" "$(mb "$b_file")" "$(mb "$c_file")"
printf "%-34s %12s %12s\n" "idle threads" "$b_thr" "$c_thr"
bench_import --no-unpack --no-unpack
bench_import unpack ""
b_after=$(status_kb "$BPID" VmRSS)
c_after=$(status_kb "$CPID" VmRSS)
printf "%-34s %9s MB %9s MB %8s\n" "RSS after the imports" "$(mb "$b_after")" "$(mb "$c_after")" \
	"$(ratio "$b_after" "$c_after")"
# both stores end with the same image
[ "$(ctr -a "$tmp/berthd/b.sock" -n bench content ls -q | sort)" = \
  "$(ctr -a "$tmp/ctrd/c.sock" -n bench content ls -q | sort)" ] && echo "content digests: identical"
echo
r=$(ratio "$b_idle" "$c_idle")
awk -v r="$r" 'BEGIN {exit !(r <= 0.25)}' && verdict="met" || verdict="NOT met"
echo "idle RSS ratio berthd/containerd: $r (goal <= 0.25: $verdict)"
