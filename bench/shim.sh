#!/bin/bash
# bench/shim.sh - berth-shim next to its peers, in one run, on this machine:
#   1. VmRSS of an idle shim supervising a `sleep` container: berth-shim,
#      containerd-shim-runc-v2 and conmon (median of N containers each);
#   2. `ctr run --rm ... /bin/true` latency through containerd with berth-shim and with
#      containerd-shim-runc-v2 (hyperfine medians).
# Both shims run the same OCI runtime (runc by default; BENCH_RUNTIME=build/berth to
# use berth under berth-shim too), so the numbers compare the shims. Everything lives in
# one temp dir (runc-v2 gets --runc-root there), removed at exit.
# Usage: bench/shim.sh [-n CONTAINERS] [-r RUNS]      Needs root, containerd, conmon, hyperfine.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BERTH_TOP=$PWD BUILD
n=3
runs=20
while getopts n:r: o; do
	case $o in
	n) n=$OPTARG ;;
	r) runs=$OPTARG ;;
	*) echo "usage: bench/shim.sh [-n CONTAINERS] [-r RUNS]" >&2; exit 2 ;;
	esac
done
for t in containerd ctr conmon hyperfine runc jq; do
	command -v $t >/dev/null || { echo "bench/shim.sh: '$t' not found" >&2; exit 1; }
done
make --no-print-directory "$BUILD/berth-shim" "$BUILD/containerd-shim-berth-v2" "$BUILD/tests/helpers/testinit" >&2

# shellcheck source=../tests/integration/shim/containerd.bash
. tests/integration/shim/containerd.bash
rt=${BENCH_RUNTIME:-runc}
CONMON_PIDS=()
cleanup() {
	set +e
	local p
	for p in "${CONMON_PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	if [ -n "${SHIM_T:-}" ] && [ -d "$SHIM_T/conmon/root" ]; then
		for id in $(runc --root "$SHIM_T/conmon/root" list -q 2>/dev/null); do
			runc --root "$SHIM_T/conmon/root" delete --force "$id" >/dev/null 2>&1 || true
		done
	fi
	shim_containerd_stop
}
trap cleanup EXIT
shim_containerd_start "$rt" >&2

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# ---- 1. idle RSS ----
berth_rss=() runc_rss=() conmon_rss=()
for i in $(seq "$n"); do
	ctr_run -d "rb$i" /bin/sleep 1000 </dev/null >/dev/null
	ctr_ run -d --fifo-dir "$SHIM_T/fifo" --rootfs --runtime io.containerd.runc.v2 \
		--runc-root "$SHIM_T/runc-v2" "$SHIM_T/rootfs" "rr$i" /bin/sleep 1000 </dev/null >/dev/null
done
mkdir -p "$SHIM_T/conmon/exits" "$SHIM_T/conmon/sock"
for i in $(seq "$n"); do
	b=$SHIM_T/conmon/b$i
	mkdir -p "$b"
	(cd "$b" && runc spec)
	jq --arg r "$SHIM_T/rootfs" '.root.path = $r | .process.terminal = false | .process.args = ["/bin/sleep", "1000"]' \
		"$b/config.json" >"$b/c.json" && mv "$b/c.json" "$b/config.json"
	conmon --cid "rc$i" --cuuid "rc$i" --name "rc$i" --runtime "$(command -v runc)" --bundle "$b" \
		--container-pidfile "$b/pid" --conmon-pidfile "$b/conmon.pid" \
		--log-path "k8s-file:$b/ctr.log" --exit-dir "$SHIM_T/conmon/exits" \
		--socket-dir-path "$SHIM_T/conmon/sock" --runtime-arg --root --runtime-arg "$SHIM_T/conmon/root" \
		</dev/null >/dev/null 2>&1 3>&-
	CONMON_PIDS+=("$(cat "$b/conmon.pid")")
	# without a sync pipe conmon returns before `runc create` is done: wait for the pid file
	for _ in $(seq 100); do [ -s "$b/pid" ] && break; sleep 0.1; done
	runc --root "$SHIM_T/conmon/root" start "rc$i"
done
sleep 1 # let every shim settle into its idle loop
for i in $(seq "$n"); do
	berth_rss+=("$(rss_kb "$(shim_pid "rb$i")")")
	runc_rss+=("$(rss_kb "$(shim_pid "rr$i")")")
	conmon_rss+=("$(rss_kb "${CONMON_PIDS[$((i - 1))]}")")
done
b_med=$(printf '%s\n' "${berth_rss[@]}" | median)
r_med=$(printf '%s\n' "${runc_rss[@]}" | median)
c_med=$(printf '%s\n' "${conmon_rss[@]}" | median)

# ---- 2. ctr run --rm latency ----
cmd() { # runtime name, extra ctr options
	echo "sh -c 'ctr -a $SHIM_T/c.sock run --rm --fifo-dir $SHIM_T/fifo --rootfs --runtime $1 ${2:-} $SHIM_T/rootfs l\$\$ /bin/true </dev/null'"
}
eval hyperfine -N -w 2 -r "$runs" --export-json "$SHIM_T/lat.json" \
	-n berth-shim "\"$(cmd io.containerd.berth.v2)\"" \
	-n containerd-shim-runc-v2 "\"$(cmd io.containerd.runc.v2 "--runc-root $SHIM_T/runc-v2")\"" >&2
lb=$(jq '.results[0].median * 1000' "$SHIM_T/lat.json")
lr=$(jq '.results[1].median * 1000' "$SHIM_T/lat.json")

echo
echo "berth-shim bench ($(date -u +%FT%TZ), OCI runtime under the shims: $rt, $n containers, $runs runs)"
printf '%-28s %14s %14s\n' "idle shim VmRSS (median)" "kB" "vs berth-shim"
printf '%-28s %14s %14s\n' berth-shim "$b_med" "1.00x"
printf '%-28s %14s %14s\n' containerd-shim-runc-v2 "$r_med" "$(awk -v a="$r_med" -v b="$b_med" 'BEGIN { printf "%.2fx", a / b }')"
printf '%-28s %14s %14s\n' conmon "$c_med" "$(awk -v a="$c_med" -v b="$b_med" 'BEGIN { printf "%.2fx", a / b }')"
echo "  samples: berth-shim ${berth_rss[*]} | runc-v2 ${runc_rss[*]} | conmon ${conmon_rss[*]}"
printf '%-28s %14s %14s\n' "ctr run --rm (median)" "ms" "vs berth-shim"
printf '%-28s %14.1f %14s\n' berth-shim "$lb" "1.00x"
printf '%-28s %14.1f %14s\n' containerd-shim-runc-v2 "$lr" "$(awk -v a="$lr" -v b="$lb" 'BEGIN { printf "%.2fx", a / b }')"

# clean up the idle containers before containerd goes
for i in $(seq "$n"); do
	for id in "rb$i" "rr$i"; do
		ctr_ task kill -s KILL "$id" >/dev/null 2>&1 || true
	done
done
for i in $(seq "$n"); do
	for id in "rb$i" "rr$i"; do
		for _ in $(seq 50); do [ "$(task_status "$id")" = STOPPED ] && break; sleep 0.1; done
		ctr_ task rm "$id" >/dev/null 2>&1 || true
		ctr_ containers rm "$id" >/dev/null 2>&1 || true
	done
done
