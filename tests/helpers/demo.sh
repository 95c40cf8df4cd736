#!/bin/bash
# tests/helpers/demo.sh - `make demo`: runs one container with build/berth and shows what it
# sees. Builds a busybox rootfs and a bundle in a temp dir, runs
# `berth --root <tmp>/state run demo-<pid>` in the foreground (its own pid, uts, ipc, net and
# mount namespaces, hostname "berth-demo"), prints the exit code, and removes everything on
# exit, also after a failure or ^C. Needs root.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
berth=$(command -v "${BERTH:-$BUILD/berth}" || true)

[ "$(id -u)" = 0 ] || { echo "demo: run as root (containers need namespaces and cgroups)" >&2; exit 1; }
[ -n "$berth" ] || { echo "demo: '${BERTH:-$BUILD/berth}' not built yet (make bins)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/berth-demo.XXXXXX)
id=demo-$$
cleanup() {
	"$berth" --root "$tmp/state" delete --force "$id" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
chmod 0755 "$tmp"

mkdir -p "$tmp/bundle"
[ -x "$BUILD/tests/helpers/testinit" ] || make -C "$top" --no-print-directory BUILD="$BUILD" "$BUILD/tests/helpers/testinit"
"$top/tests/helpers/mkrootfs.sh" "$tmp/bundle/rootfs" "$BUILD/tests/helpers/testinit"
jq --tab '
	.process.args = ["/bin/sh", "-c", $script]
	| .hostname = "berth-demo"
	| .linux.cgroupsPath = ("/berth-demo/" + $id)' \
	--arg id "$id" --arg script '
echo "  _               _   _     "
echo " | |__   ___ _ __| |_| |__  "
echo " | '"'"'_ \ / _ \ '"'"'__| __| '"'"'_ \ "
echo " | |_) |  __/ |  | |_| | | |"
echo " |_.__/ \___|_|   \__|_| |_|  a container, from the inside:"
echo
echo "hostname:   $(hostname)"
echo "id:         $(id)"
echo "uname -a:   $(uname -a)"
echo "pid of sh:  $$ (pid 1 of its own pid namespace)"
echo "processes:  $(ls -d /proc/[0-9]* | wc -l) visible"
echo "network:    $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | tr "\n" " ")(own net namespace)"
echo "root fs:    $(ls / | tr "\n" " ")"
echo "cgroup:     $(grep pids /proc/self/cgroup || head -1 /proc/self/cgroup)"
exit 0' \
	"$top/tests/helpers/config.json" >"$tmp/bundle/config.json"

echo "demo: $berth --root $tmp/state run --bundle $tmp/bundle $id"
echo
status=0
"$berth" --root "$tmp/state" run --bundle "$tmp/bundle" "$id" </dev/null || status=$?
echo
echo "demo: container '$id' exited with status $status; cleaning up $tmp"
# the cgroup parent the demo used
rmdir /sys/fs/cgroup/*/berth-demo /sys/fs/cgroup/unified/berth-demo 2>/dev/null || true
exit $status
