#!/bin/bash
# tests/helpers/mkrootfs.sh DIR [TESTINIT] - builds a minimal container rootfs in DIR:
# busybox-static with one symlink per applet, /etc/passwd and /etc/group (root, nobody),
# empty /proc /sys /dev /tmp, and the test helper binary at /bin/testinit.
# TESTINIT defaults to $BUILD/tests/helpers/testinit. DIR must not exist yet; the tree is
# built beside it and renamed into place, so a concurrent reader never sees half of it.
set -eu
dir=${1:?usage: mkrootfs.sh DIR [TESTINIT]}
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
testinit=${2:-$build/tests/helpers/testinit}
busybox=${BUSYBOX:-/bin/busybox}

[ -x "$busybox" ] || { echo "mkrootfs.sh: '$busybox' not found (install busybox-static)" >&2; exit 1; }
file -L "$busybox" 2>/dev/null | grep -q 'statically linked' ||
	{ echo "mkrootfs.sh: '$busybox' is not statically linked (install busybox-static)" >&2; exit 1; }
[ -x "$testinit" ] || { echo "mkrootfs.sh: '$testinit' not found (run: make $testinit)" >&2; exit 1; }
[ -e "$dir" ] && { echo "mkrootfs.sh: '$dir' already exists" >&2; exit 1; }

tmp=$(mktemp -d "$dir.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
chmod 0755 "$tmp"
mkdir -p "$tmp"/{bin,sbin,etc,proc,sys,dev,tmp,root,usr/bin,usr/sbin,var,run,home}
chmod 1777 "$tmp/tmp"
chmod 0700 "$tmp/root"
cp "$busybox" "$tmp/bin/busybox"
cp "$testinit" "$tmp/bin/testinit"
# `busybox --list-full` names each applet with its directory (bin/ls, usr/bin/env, ...);
# one perl process makes the ~270 links (a fork per `ln -s` costs seconds on a busy host)
"$busybox" --list-full | ROOTFS_DIR=$tmp perl -nle '
	my $d = $ENV{ROOTFS_DIR};
	next if m{(^|/)busybox$} || -e "$d/$_" || -l "$d/$_";
	symlink("/bin/busybox", "$d/$_") or die "mkrootfs.sh: symlink $d/$_: $!\n";
'
cat > "$tmp/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat > "$tmp/etc/group" <<'GROUP'
root:x:0:
tty:x:5:
nogroup:x:65534:
GROUP
echo "berth-test" > "$tmp/etc/hostname"
mv -T "$tmp" "$dir"
trap - EXIT
