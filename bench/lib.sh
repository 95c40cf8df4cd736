# shellcheck shell=bash
# bench/lib.sh - helpers shared by the daemon benches (sourced, not run): a private temp dir
# with cleanup, a private berthd and a private containerd 1.6, medians and ratios.
# Callers set TOP and BERTHD, then call bench_init.

# bench_init: sets tmp (a fresh temp dir) and pids (processes to stop); cleans up on exit:
# stops those pids only, unmounts what is mounted under tmp, removes tmp (unless KEEP=1)
bench_init() {
	tmp=$(mktemp -d /tmp/berth-bench-XXXXXX)
	pids=()
	trap bench_cleanup EXIT
}

bench_cleanup() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	# containerd's overlay snapshots may still be mounted under its root
	# (|| true: with nothing mounted grep fails, and under set -e + pipefail the trap would
	# stop here and leave the temp dir behind)
	{ grep -o " ${tmp}[^ ]*" /proc/self/mounts 2>/dev/null || true; } | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null || true
	done
	[ -n "${KEEP:-}" ] || rm -rf --one-file-system "$tmp"
}

wait_sock() { # sock pid
	for _ in $(seq 200); do
		ctr -a "$1" version >/dev/null 2>&1 && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

start_berthd() { # dir [berthd args...]: sets BPID
	local d=$1
	shift
	mkdir -p "$d"
	echo '{"gc_interval": 0}' >"$d/config.json"
	"$BERTHD" --root "$d/root" --state "$d/state" -a "$d/b.sock" \
		-c "$d/config.json" --log-level warn "$@" 2>"$d/log" &
	BPID=$!
	pids+=("$BPID")
	wait_sock "$d/b.sock" "$BPID" || { cat "$d/log"; exit 1; }
}

start_ctrd() { # dir: sets CPID (a private containerd)
	mkdir -p "$1"
	cat >"$1/config.toml" <<TOML
version = 2
root = "$1/root"
state = "$1/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$1/c.sock"
[ttrpc]
  address = "$1/c.sock.ttrpc"
[debug]
  level = "warn"
TOML
	containerd --config "$1/config.toml" 2>"$1/log" &
	CPID=$!
	pids+=("$CPID")
	wait_sock "$1/c.sock" "$CPID" || { cat "$1/log"; exit 1; }
}

stop() { # pid
	kill -TERM "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }
