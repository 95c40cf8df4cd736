#!/bin/bash
# tests/helpers/systemd-ns.sh - a private systemd (PID 1 of its own pid, mount, cgroup, uts,
# ipc and network namespaces) for testing berth's systemd cgroup driver on a host whose
# PID 1 is not systemd.
#
#   systemd-ns.sh start DIR   boots it; DIR (an empty temp dir) receives: pid (the host pid of
#                             the namespace's PID 1), tag, cgroups (the host directories it
#                             lives in, one a line) and systemd.log; waits (bounded) until
#                             systemd answers on /run/systemd/private
#   systemd-ns.sh stop DIR    kills it (SIGKILL: PID 1 ignores SIGTERM) and removes the
#                             host cgroup directories, deepest first
#   systemd-ns.sh exec DIR CMD...   runs CMD inside (nsenter: mount, cgroup, pid namespaces)
#
# A host whose PID 1 is systemd (/run/systemd/system and /run/systemd/private exist) is
# used as it is: start only records that (DIR/mode is "host"), exec runs CMD directly and
# stop does nothing. BERTH_SD_MODE=ns boots the private one anyway.
#
# Why the cgroup hierarchies are mounted again inside: a cgroup namespace does not re-root
# the mounts that already exist, so systemd would see (and write to) the roots of the host's
# hierarchies. A hierarchy mounted inside the namespace has the namespace's cgroup as root:
# the berth-sd-test-N directories made here, one in each host hierarchy below this script's
# own cgroup. Everything systemd and berth create stays under them.
#
# systemd boots a target of its own (/run/systemd/system/berth-test.target, no default
# dependencies), not basic.target: sysinit.target would run systemd-sysctl and friends,
# which write host-wide settings.
set -eu

SD=${SYSTEMD_BIN:-/lib/systemd/systemd}

die() {
	echo "systemd-ns: $*" >&2
	exit 1
}

# "MOUNTPOINT FSTYPE OPTIONS" of each cgroup mount under /sys/fs/cgroup (options: the
# controllers, e.g. "memory" or "none,name=systemd"; empty for cgroup2).
cgroup_mounts() {
	awk '$5 ~ "^/sys/fs/cgroup" {
		for (i = 7; $i != "-"; i++) ;
		fs = $(i + 1); n = split($(i + 3), o, ","); opts = ""
		if (fs != "cgroup" && fs != "cgroup2") next
		for (j = 1; j <= n; j++) {
			if (fs == "cgroup2" || o[j] == "rw" || o[j] == "ro" || o[j] ~ /^(xattr|clone_children|release_agent=|nsdelegate|memory_recursiveprot|favordynmods)/) continue
			if (o[j] ~ /^name=/ && opts == "") opts = "none"
			opts = opts (opts == "" ? "" : ",") o[j]
		}
		print $5, fs, (opts == "" ? "-" : opts)
	}' /proc/self/mountinfo
}

# own cgroup path in the hierarchy with these options ("-" = cgroup2)
own_cgroup() {
	local fs=$1 opts=$2 key
	if [ "$fs" = cgroup2 ]; then
		awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup
		return
	fi
	key=${opts#none,}
	awk -F: -v k="$key" '{ n = split(k, a, ","); split($2, b, ",");
		for (i in b) if (b[i] == a[1]) { print $3; exit } }' /proc/self/cgroup
}

# The script run as PID 1 of the new pid namespace, after `unshare -C`: fresh mounts of
# /run and the cgroup hierarchies, then systemd.
boot_script() {
	cat <<'EOF'
set -e
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /run/systemd/system
cat >/run/systemd/system/berth-test.target <<'UNIT'
[Unit]
Description=berth test target
DefaultDependencies=no
UNIT
if [ "$(stat -f -c %T /sys/fs/cgroup)" = tmpfs ]; then
	mount -t tmpfs -o mode=755 tmpfs /sys/fs/cgroup
fi
while read -r mnt fs opts; do
	mkdir -p "$mnt"
	if [ "$fs" = cgroup2 ]; then
		mount -t cgroup2 none "$mnt"
	else
		mount -t cgroup -o "$opts" cgroup "$mnt"
	fi
done <"$BERTH_SD_DIR/mounts"
# the "cpu,cpuacct"-style links systemd and tools expect, where the host had them
for l in $(cat "$BERTH_SD_DIR/links"); do
	ln -s "${l#*=}" "/sys/fs/cgroup/${l%%=*}" 2>/dev/null || true
done
exec env -i container=berth-test PATH=/usr/sbin:/usr/bin:/sbin:/bin "$BERTH_SD_BIN" \
	--system --unit=berth-test.target --log-target=console --log-level=info
EOF
}

start() {
	local dir=$1 tag mnt fs opts own d pid i
	[ "$(id -u)" = 0 ] || die "must run as root"
	if [ "${BERTH_SD_MODE:-}" != ns ] && [ -d /run/systemd/system ] &&
		[ -S /run/systemd/private ]; then
		echo host >"$dir/mode"
		return 0
	fi
	echo ns >"$dir/mode"
	[ -x "$SD" ] || die "no systemd binary at '$SD'"
	tag=berth-sd-test-$$
	echo "$tag" >"$dir/tag"
	: >"$dir/cgroups"
	cgroup_mounts >"$dir/mounts"
	[ -s "$dir/mounts" ] || die "no cgroup hierarchy under /sys/fs/cgroup"
	find /sys/fs/cgroup -maxdepth 1 -type l -printf '%f=%l\n' >"$dir/links"
	while read -r mnt fs opts; do
		own=$(own_cgroup "$fs" "$opts")
		d=$mnt${own%/}/$tag
		mkdir "$d"
		echo "$d" >>"$dir/cgroups"
		# a new v1 cpuset has no cpus or mems: no task may join it before they are set
		if [ -f "$d/cpuset.cpus" ]; then
			cat "${d%/*}/cpuset.cpus" >"$d/cpuset.cpus"
			cat "${d%/*}/cpuset.mems" >"$d/cpuset.mems"
		fi
	done <"$dir/mounts"
	boot_script >"$dir/boot.sh"
	# the first shell moves itself into the new cgroups (its pid namespace's PID 1 is the
	# unshare -C child it execs), then the cgroup namespace is created with them as root
	BERTH_SD_DIR=$dir BERTH_SD_BIN=$SD setsid unshare --pid --fork --mount --uts --ipc --net \
		--propagation private sh -ec '
		while read -r d; do
			echo $$ >"$d/cgroup.procs"
		done <"$BERTH_SD_DIR/cgroups"
		exec unshare -C --mount-proc sh "$BERTH_SD_DIR/boot.sh"' \
		</dev/null >"$dir/systemd.log" 2>&1 &
	# the namespace's PID 1 is the child of the unshare just started
	for ((i = 0; i < 100; i++)); do
		pid=$(pgrep -P $! 2>/dev/null | head -n1) || true
		[ -n "$pid" ] && break
		sleep 0.05
	done
	[ -n "$pid" ] || die "the namespace's PID 1 did not appear (log: $dir/systemd.log)"
	echo "$pid" >"$dir/pid"
	for ((i = 0; i < 200; i++)); do
		# any answer means systemd serves its socket ("starting" and "degraded" come
		# with a non-zero status)
		if [ -S "/proc/$pid/root/run/systemd/private" ] &&
			nsenter -t "$pid" -m -C -p systemctl is-system-running 2>/dev/null |
			grep -qE '^(running|degraded|starting|initializing)$'; then
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || die "systemd exited during boot: $(tail -n 20 "$dir/systemd.log")"
		sleep 0.1
	done
	die "systemd did not answer within 20 s: $(tail -n 20 "$dir/systemd.log")"
}

# rmdir every directory below $1, deepest first, then $1 (retrying: cgroups are busy
# until their last task is reaped)
rm_cgroup_tree() {
	local d i
	[ -d "$1" ] || return 0
	for d in $(find "$1" -depth -type d); do
		for ((i = 0; i < 50; i++)); do
			rmdir "$d" 2>/dev/null && break
			[ -d "$d" ] || break
			sleep 0.1
		done
	done
	[ ! -d "$1" ]
}

stop() {
	local dir=$1 pid i d ok=0 procs
	[ "$(cat "$dir/mode" 2>/dev/null)" != host ] || return 0
	if [ -f "$dir/pid" ]; then
		pid=$(cat "$dir/pid")
		kill -9 "$pid" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
	fi
	[ -f "$dir/cgroups" ] || return 0
	# a pid namespace dies with its PID 1, but wait until its tasks have left the cgroups
	while read -r d; do
		for ((i = 0; i < 100; i++)); do
			procs=$(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null)
			[ -z "$procs" ] && break
			sleep 0.05
		done
		rm_cgroup_tree "$d" || {
			echo "systemd-ns: cannot remove '$d'" >&2
			ok=1
		}
	done <"$dir/cgroups"
	return $ok
}

case ${1:-} in
start) [ $# -eq 2 ] && start "$2" ;;
stop) [ $# -eq 2 ] && stop "$2" ;;
exec)
	[ $# -ge 3 ] || die "usage: $0 exec DIR CMD..."
	if [ "$(cat "$2/mode")" = host ]; then
		shift 2
		exec "$@"
	fi
	pid=$(cat "$2/pid")
	shift 2
	exec nsenter -t "$pid" -m -C -p "$@"
	;;
*) die "usage: $0 start|stop|exec DIR [CMD...]" ;;
esac
