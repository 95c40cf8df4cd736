#!/bin/bash
# supervisor/berthd/hot-text.sh - regenerate supervisor/berthd/hot-text.ld, the code layout of a
# statically linked berthd (supervisor/module.mk, BERTHD_STATIC=1).
#
# Why: an idle berthd's RSS is mostly text pages. The kernel maps file pages in 64 kB
# "fault-around" windows, so one function run at start-up in an otherwise cold region maps
# 16 pages. berthd runs about 1 MB of code to start and answer a few calls, spread over
# 6.6 MB of text (gRPC registers every LB policy, resolver and filter at init; SQLite
# registers FTS5, JSON, R-Tree; libstdc++ builds its locale), so 4.2 MB of text ended up
# resident. hot-text.ld is a linker script fragment (INSERT BEFORE .text) that puts the
# input sections holding that code first, together: 1.3 MB less RSS, nothing else changes.
# Granularity is the input section: per function where the library was built with
# -ffunction-sections (or for C++ inline/template code), else the object's whole .text.
#
# How: run $BUILD/berthd under valgrind's callgrind on temp dirs, start it, make a few
# read-only calls (ctr version, plugins/namespaces/images/content/containers/snapshots/
# leases ls), stop it; take every function that ran, find the input section holding it
# in $BUILD/berthd.map (the link map), and list those sections, in link order.
# A stale entry (code renamed, library updated) only matches nothing: the layout then is
# a bit less compact, never wrong. Re-run after big changes to the code berthd runs at
# start-up, or after a library update: make build/berthd && supervisor/berthd/hot-text.sh
#
# Usage: supervisor/berthd/hot-text.sh [--check]   (env: BUILD=build). Needs root, valgrind,
# ctr. --check (`make lint`, so CI) writes nothing: it regenerates the list in a temp dir and
# fails when a fresh run finds start-up code in one of berthd's own object files that the
# committed hot-text.ld does not name (code moved or added since it was generated);
# third-party archive members are not compared (they vary with thread timing). It compares objects, not
# the single function sections of C++ inline code, and only in that direction: an entry
# that matches nothing any more costs nothing (see above), and which inline sections run
# varies from run to run with the threads' timing.
set -euo pipefail
check=0
[ "${1:-}" = --check ] && check=1
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
export LC_ALL=C # sort: byte order
BIN=$BUILD/berthd
MAP=$BUILD/berthd.map
OUT=supervisor/berthd/hot-text.ld

for t in valgrind ctr nm; do
	command -v $t >/dev/null || { echo "hot-text: needs $t" >&2; exit 1; }
done
if [ ! -x "$BIN" ] || [ ! -f "$MAP" ]; then
	echo "hot-text: needs $BIN and $MAP (make $BIN)" >&2
	exit 1
fi

tmp=$(mktemp -d /tmp/berthd-hot-XXXXXX)
pid=
cleanup() {
	[ -z "$pid" ] || { kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; } || true
	rm -rf "$tmp"
}
trap cleanup EXIT

# capture N: one callgrind run of berthd starting and answering the calls; appends the
# functions that ran (callgrind names each one once in full: "fn=(id) name" or
# "cfn=(id) name") to $tmp/fns.all
capture() {
	local d=$tmp/run$1
	mkdir -p "$d"
	echo '{"gc_interval": 0}' >"$d/config.json"
	valgrind --tool=callgrind --demangle=no --callgrind-out-file="$d/cg.out" \
		"$BIN" --root "$d/root" --state "$d/state" -a "$d/s.sock" -c "$d/config.json" \
		--log-level warn 2>"$d/log" &
	pid=$!
	for _ in $(seq 600); do
		ctr -a "$d/s.sock" version >/dev/null 2>&1 && break
		kill -0 "$pid" 2>/dev/null || { cat "$d/log" >&2; exit 1; }
		sleep 0.2
	done
	ctr -a "$d/s.sock" plugins ls >/dev/null
	for c in namespaces images content containers snapshots leases; do
		ctr -a "$d/s.sock" -n default "$c" ls >/dev/null
	done
	kill -TERM "$pid"
	wait "$pid" || { cat "$d/log" >&2; exit 1; }
	pid=
	sed -n 's/^c\{0,1\}fn=([0-9]*) //p' "$d/cg.out" >>"$tmp/fns.all"
}

# A little of the start-up code runs or not with the threads' timing (absl's clock, a
# gRPC filter's inline helpers): the list is the union of several runs, so that --check
# (one run) finds every object it sees in it.
runs=${HOT_TEXT_RUNS:-4}
[ $check = 0 ] || runs=1
for ((i = 0; i < runs; i++)); do capture $i; done
sort -u "$tmp/fns.all" >"$tmp/fns"

# "A <addr>" for each of them, "S <addr> <end> <pattern>" for each input section of the text
# output sections in the map; sorted by address, a sweep keeps the sections an A falls in.
{
	nm --defined-only "$BIN" | awk 'NR == FNR {ran[$1] = 1; next}
		$2 ~ /^[tTwWi]$/ && ($3 in ran) {print "A", $1}' "$tmp/fns" -
	awk -v build="$BUILD/" '
	function hex(s,   i, n) {
		sub(/^0x/, "", s)
		n = 0
		for (i = 1; i <= length(s); i++)
			n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return n
	}
	function pattern(f,   m) {
		if (match(f, /[^\/]*\.a\(.*\)$/)) {       # archive member: *libx.a:member.o
			m = substr(f, RSTART, RLENGTH)
			sub(/\(/, ":", m)
			sub(/\)$/, "", m)
			return "*" m
		}
		if (index(f, build) == 1)                   # our object: */supervisor/x.o
			return "*/" substr(f, length(build) + 1)
		sub(/.*\//, "", f)
		return "*" f
	}
	function emit(name, a, s, f) {
		if (out == ".text" || out == ".text.berthd_hot")
			if (hex(s) > 0 && hex(a) > 0)
				printf "S %016x %016x %s(%s)\n", hex(a), hex(a) + hex(s), pattern(f), name
	}
	/^Linker script and memory map/ {mapped = 1; next}
	!mapped {next}
	/^[^ ]/ {out = $1; pend = ""; next}
	pend != "" && $1 ~ /^0x/ && NF >= 3 {emit(pend, $1, $2, $3); pend = ""; next}
	/^ \.text/ && NF == 1 {pend = $1; next}
	/^ \.text/ && NF >= 4 {emit($1, $2, $3, $4)}
	{pend = ""}' "$MAP"
} | sort -k2,2 -k1,1r | awk '
	$1 == "S" {end = $3; pat = $4; next}
	$1 == "A" && ($2 "") < (end "") && !(pat in seen) {seen[pat] = 1; print pat}' >"$tmp/hot"

n=$(wc -l <"$tmp/hot")
[ "$n" -gt 100 ] || { echo "hot-text: only $n hot sections found, keeping $OUT" >&2; exit 1; }
if [ $check = 1 ]; then
	objects() { sed -n 's/^ *\(\*[^(]*\)(.*/\1/p' "$1" | sort -u; }
	# only berthd's own objects (*/supervisor/..., */common/..., */proto/...): which members
	# of gRPC, absl and libstdc++ run at start-up varies with the threads' timing (seen: a
	# CI run finding absl's time_zone and libstdc++'s hashtable members that four runs had
	# not), so comparing those made the check fail at random; a missing library member
	# costs a few resident pages, never correctness
	comm -13 <(objects "$OUT") <(objects "$tmp/hot") | grep '^\*/' >"$tmp/missing" || true
	if [ -s "$tmp/missing" ]; then
		echo "hot-text: $OUT is stale: berthd's start-up code runs in objects it does not name:" >&2
		sed 's/^/    /' "$tmp/missing" >&2
		echo "regenerate it: make $BIN && $0" >&2
		exit 1
	fi
	echo "hot-text: $OUT is fresh ($n input sections now, $(objects "$OUT" | wc -l) objects)"
	exit 0
fi
{
	echo "/* generated by supervisor/berthd/hot-text.sh: the input sections holding the code"
	echo " * berthd runs to start and answer its first calls, placed first and together so"
	echo " * that fewer text pages are resident when idle. Regenerate, do not edit. */"
	echo "SECTIONS"
	echo "{"
	echo "  .text.berthd_hot :"
	echo "  {"
	sed 's/^/    /' "$tmp/hot"
	echo "  }"
	echo "}"
	echo "INSERT BEFORE .text;"
} >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "hot-text: $n input sections -> $OUT"
