#!/bin/bash
# bench/registry.sh - pulling the same image from a local registry: berthd's own pull
# (berthctl pull: berth.services.transfer.v1.Transfer) next to a private containerd 1.6
# fetched by Debian's ctr (`ctr content fetch --plain-http`, the client-side pull without
# unpacking: berthd has no server-side unpack yet, so both only fetch and commit blobs).
# The image: busybox + 4 layers of $LAYER_MB MiB of random data (~200 MB), pushed once with
# skopeo to Debian's docker-registry on a loopback port. Runs alternate berthd/containerd
# ($RUNS each); before each run the store is emptied (image removed + GC, or content rm).
# Prints medians and the berthd/containerd ratio.
# Needs root, docker-registry, skopeo, umoci, ctr, containerd, jq, curl.
# Usage: bench/registry.sh [RUNS]   (env: LAYER_MB=50, BUILD=build, KEEP=1 keeps temp)
set -euo pipefail
cd "$(dirname "$0")/.."
TOP=$PWD
BUILD=${BUILD:-build}
RUNS=${1:-${RUNS:-5}}
LAYER_MB=${LAYER_MB:-50}
BERTHD=$TOP/$BUILD/berthd
BERTHCTL=$TOP/$BUILD/berthctl

for t in docker-registry skopeo umoci ctr containerd jq curl; do
	command -v $t >/dev/null || { echo "bench: needs $t" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "bench: needs root" >&2; exit 1; }
[ -x "$BERTHD" ] || { echo "bench: build $BERTHD first (make bins)" >&2; exit 1; }

# shellcheck source=SCRIPTDIR/lib.sh
source "$TOP/bench/lib.sh"
bench_init

wait_ok() { # cmd...
	for _ in $(seq 200); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}

echo "building a test image: busybox + 4 layers of $LAYER_MB MiB..."
"$TOP/tests/helpers/mkimage.sh" "$tmp/img" --layers 5 --layer-mb "$LAYER_MB" >/dev/null

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$tmp/reg"
cat >"$tmp/reg/config.yml" <<YML
version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $tmp/reg/data}}
http: {addr: 127.0.0.1:$port}
YML
docker-registry serve "$tmp/reg/config.yml" >"$tmp/reg/log" 2>&1 &
pids+=($!)
wait_ok curl -sf "http://127.0.0.1:$port/v2/" || { cat "$tmp/reg/log"; exit 1; }
REF=127.0.0.1:$port/bench/img:1
skopeo copy -q --dest-tls-verify=false "oci:$tmp/img/oci:latest" "docker://$REF"
curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
	"http://127.0.0.1:$port/v2/bench/img/manifests/1" |
	jq '[.layers[].size, .config.size] | add' | awk '{printf "image: %.1f MB in 6 blobs\n", $1 / 1e6}'

now() { date +%s%N; }

# Each run on freshly started daemons with empty stores (both share blobs across
# namespaces and keep them until a GC, so an emptied namespace would not refetch).
echo "pulling $RUNS times each, alternating, each on a fresh daemon..."
for i in $(seq "$RUNS"); do
	start_berthd "$tmp/b$i"
	t0=$(now)
	"$BERTHCTL" -a "$tmp/b$i/b.sock" -n bench pull "$REF" >/dev/null
	t1=$(now)
	echo $(((t1 - t0) / 1000000)) >>"$tmp/berthd.ms"
	stop "$BPID"
	rm -rf "$tmp/b$i"
	start_ctrd "$tmp/c$i"
	t0=$(now)
	ctr -a "$tmp/c$i/c.sock" -n bench content fetch --plain-http "$REF" >/dev/null
	t1=$(now)
	echo $(((t1 - t0) / 1000000)) >>"$tmp/ctrd.ms"
	stop "$CPID"
	rm -rf "$tmp/c$i"
done
b=$(median <"$tmp/berthd.ms")
c=$(median <"$tmp/ctrd.ms")
echo
printf "%-40s %10s %12s %7s\n" "measure" "berthd" "containerd" "ratio"
printf "%-40s %7s ms %9s ms %7s\n" "pull, no unpack (median of $RUNS)" "$b" "$c" \
	"$(ratio "$b" "$c")"
