#!/bin/bash
# bench/runtime.sh - berth vs crun vs runc, side by side in one run, interleaved.
#
#   bench/runtime.sh [-n ITERATIONS] [-s SEQUENTIAL] [-c CONCURRENT] [-r "berth crun runc"]
#
# Rows (medians over -n iterations, default 50, runtimes interleaved in every iteration):
#   run          `run` of a bundle whose process exits 0 at once (testinit exit 0)
#   create/start/delete, and their sum, for the same bundle driven step by step
#   exec         `exec ID testinit exit 0` in a running container (if the runtime has exec)
#   peak RSS     of the `create` command (/usr/bin/time -f %M), in KiB
# and, once per runtime: the total time of -s (default 100) sequential `run`s, and the time
# to create+start -c (default 50) pause containers concurrently (xargs -P).
#
# Fairness: crun refuses this host's hybrid cgroup layout unless the cgroup2 mount is hidden.
# So the whole script re-executes itself once in a private mount namespace where
# /sys/fs/cgroup/unified is unmounted (the v1 controllers stay), and EVERY runtime is then
# called directly, with no per-call wrapper, on the same cgroup v1 layout.
# Needs root. No assertions: it prints a table.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac

iters=50 seq_n=100 conc_n=50 runtimes="berth crun runc"
while getopts "n:s:c:r:h" o; do
	case $o in
	n) iters=$OPTARG ;;
	s) seq_n=$OPTARG ;;
	c) conc_n=$OPTARG ;;
	r) runtimes=$OPTARG ;;
	*) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
	esac
done

[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
if [ -z "${BERTH_BENCH_NS:-}" ]; then
	BERTH_BENCH_NS=1 exec unshare -m --propagation private "$0" "$@"
fi
umount -l /sys/fs/cgroup/unified 2>/dev/null

# runtime binaries: berth from the build tree (skipped when not built), the others from PATH
declare -A BIN
rts=()
for rt in $runtimes; do
	case $rt in
	berth) b=${BERTH:-$BUILD/berth} ;;
	*) b=$(command -v "$rt" || true) ;;
	esac
	if [ -n "$b" ] && [ -x "$b" ]; then
		BIN[$rt]=$b
		rts+=("$rt")
	else
		echo "bench: '$rt' not found, skipped" >&2
	fi
done
[ ${#rts[@]} -gt 0 ] || { echo "bench: no runtime to measure" >&2; exit 1; }

testinit=$BUILD/tests/helpers/testinit
[ -x "$testinit" ] || make -C "$top" --no-print-directory BUILD="$BUILD" "$testinit" >&2 || exit 1

tmp=$(mktemp -d /tmp/berth-bench.XXXXXX)
chmod 0755 "$tmp"
cleanup() {
	local rt id
	for rt in "${rts[@]}"; do
		for id in $(rt_cmd "$rt" list -q 2>/dev/null); do
			rt_cmd "$rt" delete --force "$id" >/dev/null 2>&1
		done
	done
	find /sys/fs/cgroup -maxdepth 3 -depth -type d -path "*berth-bench-$$*" -exec rmdir {} + 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# rt_cmd RUNTIME ARGS...: the runtime with its own --root
rt_cmd() {
	local rt=$1
	shift
	"${BIN[$rt]}" --root "$tmp/root-$rt" "$@"
}

"$top/tests/helpers/mkrootfs.sh" "$tmp/rootfs" "$testinit" || exit 1
# bundle NAME ARGS-JSON: a bundle template; all share one rootfs by absolute path (runc
# refuses a symlinked rootfs), read-only so that sharing is safe
bundle() {
	mkdir -p "$tmp/$1"
	jq --argjson a "$2" --arg cg "/berth-bench-$$" --arg r "$tmp/rootfs" \
		'.process.args = $a | .root = {path: $r, readonly: true} | .linux.cgroupsPath = $cg' \
		"$top/tests/helpers/config.json" >"$tmp/$1/config.json"
}
bundle true '["/bin/testinit", "exit", "0"]'
bundle pause '["/bin/testinit", "pause"]'

# each container needs its own cgroup: cgroupsPath is rewritten per id below, with bash
# string replacement (no jq or sed process between two timed commands: a process that
# ran just before evicts the runtimes' caches, dynamically linked ones the most)
declare -A TEMPLATE
TEMPLATE[true]=$(<"$tmp/true/config.json")
TEMPLATE[pause]=$(<"$tmp/pause/config.json")
cfg_for() { # bundle id: sets $b to a bundle dir whose config has a per-id cgroupsPath
	local cfg=${TEMPLATE[$1]}
	b=$tmp/b-$2
	mkdir -p "$b"
	printf '%s\n' "${cfg//\"\/berth-bench-$$\"/\"\/berth-bench-$$\/$2\"}" >"$b/config.json"
}

now() { echo "${EPOCHREALTIME/./}"; } # microseconds
declare -A samples

# timed KEY CMD...: runs CMD, appends its wall time (µs) to samples[KEY]; output discarded
timed() {
	local key=$1 t0 t1
	shift
	t0=${EPOCHREALTIME/./}
	"$@" </dev/null >/dev/null 2>&1
	local rc=$?
	t1=${EPOCHREALTIME/./}
	samples[$key]+="$((t1 - t0)) "
	return $rc
}

median() { # numbers... -> median
	printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print a[(NR + 1) / 2]; else print int((a[NR / 2] + a[NR / 2 + 1]) / 2) }'
}

has_exec() { rt_cmd "$1" exec --help >/dev/null 2>&1; }

wait_stopped() { # rt id
	local i
	for ((i = 0; i < 200; i++)); do
		[[ "$(rt_cmd "$1" state "$2" 2>/dev/null)" =~ \"status\":[[:space:]]*\"stopped\" ]] && return 0
		sleep 0.005
	done
	return 1
}

echo "bench: ${rts[*]}; $iters iterations interleaved; $seq_n sequential runs; $conc_n concurrent containers" >&2
fails=0
for ((i = 0; i < iters; i++)); do
	for rt in "${rts[@]}"; do
		id=$rt-r$i
		cfg_for true "$id"
		timed "run.$rt" rt_cmd "$rt" run --bundle "$b" "$id" || fails=$((fails + 1))
		rt_cmd "$rt" delete --force "$id" >/dev/null 2>&1
		rm -rf "$b"

		id=$rt-c$i
		cfg_for true "$id"
		timed "create.$rt" rt_cmd "$rt" create --bundle "$b" "$id" || fails=$((fails + 1))
		timed "start.$rt" rt_cmd "$rt" start "$id" || fails=$((fails + 1))
		wait_stopped "$rt" "$id"
		timed "delete.$rt" rt_cmd "$rt" delete "$id" || fails=$((fails + 1))
		rm -rf "$b"

		id=$rt-m$i
		cfg_for true "$id"
		/usr/bin/time -o "$tmp/rss" -f %M \
			"${BIN[$rt]}" --root "$tmp/root-$rt" create --bundle "$b" "$id" </dev/null >/dev/null 2>&1
		samples[rss.$rt]+="$(tail -1 "$tmp/rss") "
		rt_cmd "$rt" delete --force "$id" >/dev/null 2>&1
		rm -rf "$b"
	done
	printf '.' >&2
done
echo >&2

# exec latency in one running pause container per runtime
for rt in "${rts[@]}"; do
	has_exec "$rt" || continue
	id=$rt-exec
	cfg_for pause "$id"
	rt_cmd "$rt" run --detach --bundle "$b" "$id" </dev/null >/dev/null 2>&1 || continue
done
for ((i = 0; i < iters; i++)); do
	for rt in "${rts[@]}"; do
		has_exec "$rt" && [ -n "$(rt_cmd "$rt" state "$rt-exec" 2>/dev/null)" ] || continue
		timed "exec.$rt" rt_cmd "$rt" exec "$rt-exec" /bin/testinit exit 0
	done
done
for rt in "${rts[@]}"; do rt_cmd "$rt" delete --force "$rt-exec" >/dev/null 2>&1; done

# sequential: seq_n full `run` lifecycles, total wall time
declare -A total conc
for rt in "${rts[@]}"; do
	for ((i = 0; i < seq_n; i++)); do cfg_for true "$rt-s$i"; done
	t0=$(now)
	for ((i = 0; i < seq_n; i++)); do
		rt_cmd "$rt" run --bundle "$tmp/b-$rt-s$i" "$rt-s$i" </dev/null >/dev/null 2>&1
	done
	total[$rt]=$(($(now) - t0))
	for ((i = 0; i < seq_n; i++)); do rm -rf "$tmp/b-$rt-s$i"; done
done

# concurrent: conc_n pause containers created and started in parallel, time until all started
export -f rt_cmd
export tmp
for rt in "${rts[@]}"; do
	for ((i = 0; i < conc_n; i++)); do cfg_for pause "$rt-p$i"; done
	t0=$(now)
	seq 0 $((conc_n - 1)) | BINRT=${BIN[$rt]} RT=$rt xargs -P "$conc_n" -I{} sh -c '
		w() { "$BINRT" --root "$tmp/root-$RT" "$@"; }
		w create --bundle "$tmp/b-$RT-p{}" "$RT-p{}" </dev/null >/dev/null 2>&1 &&
		w start "$RT-p{}" </dev/null >/dev/null 2>&1'
	conc[$rt]=$(($(now) - t0))
	started=$(rt_cmd "$rt" list --format json 2>/dev/null | jq '[.[] | select(.status == "running")] | length')
	conc[$rt.ok]=${started:-0}
	for ((i = 0; i < conc_n; i++)); do rt_cmd "$rt" delete --force "$rt-p$i" >/dev/null 2>&1; done
done

# --- table -------------------------------------------------------------------------------
ms() { [ -n "$1" ] && awk -v u="$1" 'BEGIN { printf "%.1f", u / 1000 }' || echo "-"; }
ratio() { [ -n "$1" ] && [ -n "$2" ] && [ "$2" != 0 ] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }' || echo "-"; }

row() { # label unit values-by-runtime...
	local label=$1 unit=$2
	shift 2
	declare -A v
	local rt
	for rt in "${rts[@]}"; do v[$rt]=${1:-}; shift; done
	printf '%-34s' "$label ($unit)"
	for rt in "${rts[@]}"; do
		if [ "$unit" = ms ] || [ "$unit" = s ]; then
			if [ "$unit" = s ]; then
				printf '%10s' "$([ -n "${v[$rt]}" ] && awk -v u="${v[$rt]}" 'BEGIN { printf "%.2f", u / 1e6 }' || echo -)"
			else
				printf '%10s' "$(ms "${v[$rt]}")"
			fi
		else
			printf '%10s' "${v[$rt]:--}"
		fi
	done
	if [ -n "${BIN[berth]:-}" ] && [ "$unit" != n ]; then
		[ -n "${BIN[crun]:-}" ] && printf '%12s' "$(ratio "${v[berth]}" "${v[crun]}")"
		[ -n "${BIN[runc]:-}" ] && printf '%12s' "$(ratio "${v[berth]}" "${v[runc]}")"
	fi
	echo
}

med() { median ${samples[$1]:-}; }

echo
printf '%-34s' "median of $iters (interleaved)"
for rt in "${rts[@]}"; do printf '%10s' "$rt"; done
if [ -n "${BIN[berth]:-}" ]; then
	[ -n "${BIN[crun]:-}" ] && printf '%12s' "berth/crun"
	[ -n "${BIN[runc]:-}" ] && printf '%12s' "berth/runc"
fi
echo
vals() { local rt; for rt in "${rts[@]}"; do echo "$(med "$1.$rt")"; done; }
mapfile -t a < <(vals run); row "run (full lifecycle)" ms "${a[@]}"
mapfile -t a < <(vals create); row "create" ms "${a[@]}"
mapfile -t a < <(vals start); row "start" ms "${a[@]}"
mapfile -t a < <(vals delete); row "delete" ms "${a[@]}"
sum=()
for rt in "${rts[@]}"; do
	c=$(med "create.$rt") s=$(med "start.$rt") d=$(med "delete.$rt")
	sum+=("$([ -n "$c" ] && echo $((c + s + d)))")
done
row "create+start+delete" ms "${sum[@]}"
mapfile -t a < <(vals exec); row "exec" ms "${a[@]}"
mapfile -t a < <(vals rss); row "create peak RSS" KiB "${a[@]}"
a=(); for rt in "${rts[@]}"; do a+=("${total[$rt]}"); done
row "$seq_n sequential runs, total" s "${a[@]}"
a=(); for rt in "${rts[@]}"; do a+=("${conc[$rt]}"); done
row "$conc_n concurrent create+start" s "${a[@]}"
a=(); for rt in "${rts[@]}"; do a+=("${conc[$rt.ok]}/$conc_n"); done
row "  of which running" n "${a[@]}"
[ "$fails" -eq 0 ] || echo "note: $fails timed commands failed (their times are included)"
