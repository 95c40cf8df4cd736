#!/bin/bash
# bench/daemon.sh - berthd as a daemon next to containerd 1.6 (a private instance), both
# driven by the same clients (issue #16, "measure first"):
#   1. unary RPC round trip: $CALLS sequential Version calls on one gRPC channel
#      (bench/version_rtt.py, python3-grpcio), median per-call latency;
#   2. `ctr images ls` with $N1 and $N2 images (one small image imported, then tagged),
#      median of $RUNS runs (hyperfine);
#   3. `ctr run --rm IMG true`, whole stack: berthd + berth-shim + berth
#      (runtime io.containerd.berth.v2) vs containerd + containerd-shim-runc-v2 + runc,
#      $RUNS_RUN runs each, interleaved, medians;
#   4. each daemon's VmRSS before and after $LIFECYCLES more `ctr run --rm` (0: skipped).
# About 5 minutes on 2 cores with the defaults (most of it in 4).
# Prints medians and berthd/containerd ratios. Needs root, ctr, containerd, runc, hyperfine,
# jq and python3-grpcio. Everything lives in one temp dir, removed at exit with what is
# mounted under it; only the processes started here are stopped.
set -euo pipefail

cd "$(dirname "$0")/.."
TOP=$PWD
BUILD=${BUILD:-build}
BERTHD=$TOP/$BUILD/berthd
CALLS=${CALLS:-2000}
N1=${N1:-500}
N2=${N2:-2000}
RUNS=${RUNS:-5}
RUNS_RUN=${RUNS_RUN:-10}
LIFECYCLES=${LIFECYCLES:-1000}
IMG=localhost/bench-small:latest
NS=bench
PY=/usr/bin/python3 # Debian's python, where python3-grpcio lives

for t in ctr containerd runc hyperfine jq; do
	command -v $t >/dev/null || { echo "bench: needs $t" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "bench: needs root" >&2; exit 1; }
[ -x "$BERTHD" ] || { echo "bench: build $BERTHD first (make bins)" >&2; exit 1; }
$PY -c 'import grpc' 2>/dev/null || { echo "bench: needs python3-grpcio" >&2; exit 1; }

# shellcheck source=SCRIPTDIR/lib.sh
source "$TOP/bench/lib.sh"
bench_init

echo "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (figures are wall times)"
"$TOP/tests/helpers/mkimage.sh" "$tmp/img" --name "$IMG" --layers 1 --layer-mb 0 >/dev/null
mkdir -p "$tmp/fifo"

# berthd finds berth's shim (and the shim berth) next to itself or on PATH
PATH=$TOP/$BUILD:$PATH start_berthd "$tmp/b" --shim-socket-dir "$tmp/b/s"
start_ctrd "$tmp/c"
B=$tmp/b/b.sock
C=$tmp/c/c.sock
bctr() { ctr -a "$B" -n $NS "$@"; }
cctr() { ctr -a "$C" -n $NS "$@"; }
for d in bctr cctr; do $d images import "$tmp/img/image.oci.tar" >/dev/null; done

declare -A res
# 1. Version round trip
res[rtt_b]=$($PY "$TOP/bench/version_rtt.py" "$B" "$CALLS")
res[rtt_c]=$($PY "$TOP/bench/version_rtt.py" "$C" "$CALLS")

# 2. images ls: tags up to N images (batches of 100 targets per ctr call)
tag_to() { # ctr-fn from to
	local i refs=()
	for ((i = $2; i < $3; i++)); do
		refs+=("localhost/bench-tag:$i")
		if [ ${#refs[@]} -ge 100 ]; then "$1" images tag "$IMG" "${refs[@]}" >/dev/null; refs=(); fi
	done
	[ ${#refs[@]} -eq 0 ] || "$1" images tag "$IMG" "${refs[@]}" >/dev/null
}
ls_median() { # label n: median ms of `ctr images ls` on each daemon (after checking the count)
	local n=$2 d cnt
	for d in b c; do
		cnt=$(ctr -a "$tmp/$d/$d.sock" -n $NS images ls -q | wc -l)
		[ "$cnt" -eq $((n + 1)) ] || { echo "bench: $d has $cnt images, not $((n + 1))" >&2; exit 1; }
	done
	hyperfine --warmup 1 --runs "$RUNS" --style none --export-json "$tmp/$1.json" \
		-n berthd "ctr -a $B -n $NS images ls" -n containerd "ctr -a $C -n $NS images ls" >/dev/null
	res[${1}_b]=$(jq '.results[0].median * 1000' "$tmp/$1.json")
	res[${1}_c]=$(jq '.results[1].median * 1000' "$tmp/$1.json")
}
for d in bctr cctr; do tag_to $d 1 "$N1"; done # plus the image itself: N1 images
ls_median ls1 $((N1 - 1))
for d in bctr cctr; do tag_to $d "$N1" "$N2"; done
ls_median ls2 $((N2 - 1))
for s in "$B" "$C"; do # back to one image before the run phase
	ctr -a "$s" -n $NS images ls -q | grep '^localhost/bench-tag:' |
		xargs -r -n 200 ctr -a "$s" -n $NS images rm >/dev/null
done

# 3. ctr run --rm IMG true, interleaved
run_once() { # ctr-fn id runtime: prints ms
	local t0 t1
	t0=$(date +%s%N)
	"$1" run --rm --fifo-dir "$tmp/fifo" --runtime "$3" "$IMG" "$2" true
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}
run_once bctr warm-b io.containerd.berth.v2 >/dev/null
run_once cctr warm-c io.containerd.runc.v2 >/dev/null
for i in $(seq "$RUNS_RUN"); do
	run_once bctr "r$i-b" io.containerd.berth.v2 >>"$tmp/run_b"
	run_once cctr "r$i-c" io.containerd.runc.v2 >>"$tmp/run_c"
done
res[run_b]=$(median <"$tmp/run_b")
res[run_c]=$(median <"$tmp/run_c")

# 4. daemon RSS before and after $LIFECYCLES `ctr run --rm` lifecycles (after the runs above)
rss_kb() { awk '$1 == "VmRSS:" {print $2}' "/proc/$1/status"; }
lifecycles() { # ctr-fn runtime pid key
	local i
	res[${4}_b]=$(rss_kb "$3")
	for ((i = 0; i < LIFECYCLES; i++)); do
		"$1" run --rm --fifo-dir "$tmp/fifo" --runtime "$2" "$IMG" "lc$i" true
	done
	res[${4}_c]=$(rss_kb "$3")
}
if [ "$LIFECYCLES" -gt 0 ]; then
	lifecycles bctr io.containerd.berth.v2 "$BPID" lcb
	lifecycles cctr io.containerd.runc.v2 "$CPID" lcc
fi

row() { # label key unit
	printf "%-40s %12.2f %12.2f %8s\n" "$1" "${res[${2}_b]}" "${res[${2}_c]}" \
		"$(ratio "${res[${2}_b]}" "${res[${2}_c]}")"
}
echo
printf "%-40s %12s %12s %8s\n" "median" "berthd" "containerd" "ratio"
row "Version round trip, us ($CALLS calls)" rtt
row "ctr images ls, $N1 images, ms" ls1
row "ctr images ls, $N2 images, ms" ls2
row "ctr run --rm true, whole stack, ms" run
if [ "$LIFECYCLES" -gt 0 ]; then
	printf "%-40s %12s %12s\n" "RSS before / after $LIFECYCLES ctr run --rm, KB" "before" "after"
	printf "%-40s %12s %12s  (%+d KB)\n" "  berthd" "${res[lcb_b]}" "${res[lcb_c]}" $((res[lcb_c] - res[lcb_b]))
	printf "%-40s %12s %12s  (%+d KB)\n" "  containerd" "${res[lcc_b]}" "${res[lcc_c]}" $((res[lcc_c] - res[lcc_b]))
fi
echo "(goals of #16: round trip and list <= 0.5x, ctr run --rm <= 0.33x, RSS growth <= 1 MB)"
