#!/bin/sh
# tests/helpers/mkimage.sh - build a small OCI test image locally (no network).
#
# Usage: mkimage.sh OUTDIR [--name REF] [--layers N] [--layer-mb MB] [--tag TAG]
#                   [--etc DIR] [--user USER] [--stop-signal SIG]
#
# --etc DIR: DIR/passwd and DIR/group replace layer 1's (root only) files;
# --user / --stop-signal: the image config's User and StopSignal.
# Layer 1 is a busybox-static rootfs (/bin/busybox + applet links, /etc/passwd);
# layers 2..N each add /data/layerK, MB MiB of random bytes (default 0: a small text
# file), so digests differ between runs unless the caller keeps the output.
# Produces, in OUTDIR:
#   oci/               the OCI image layout (umoci), tag TAG (default latest)
#   image.oci.tar      oci-archive, ref name REF (default localhost/berth-test:latest)
#   image.docker.tar   docker-archive (docker save format), tagged REF
# Needs umoci, skopeo and busybox-static (Debian packages).
set -eu

usage() {
	echo "usage: $0 OUTDIR [--name REF] [--layers N] [--layer-mb MB] [--tag TAG] [--etc DIR] [--user USER] [--stop-signal SIG]" >&2
	exit 2
}
[ $# -ge 1 ] || usage
out=$1; shift
name=localhost/berth-test:latest
layers=2
mb=0
tag=latest
etc=
user=
stopsig=
while [ $# -gt 0 ]; do
	case $1 in
	--name) name=$2; shift 2 ;;
	--layers) layers=$2; shift 2 ;;
	--layer-mb) mb=$2; shift 2 ;;
	--tag) tag=$2; shift 2 ;;
	--etc) etc=$2; shift 2 ;;
	--user) user=$2; shift 2 ;;
	--stop-signal) stopsig=$2; shift 2 ;;
	*) usage ;;
	esac
done
case $layers in ''|*[!0-9]*|0) echo "$0: --layers: want a number >= 1" >&2; exit 2 ;; esac
for t in umoci skopeo; do
	command -v $t >/dev/null || { echo "$0: $t not installed" >&2; exit 1; }
done
bb=$(command -v busybox) || { echo "$0: busybox not installed" >&2; exit 1; }
file -L "$bb" 2>/dev/null | grep -q 'statically linked' || [ -x /bin/busybox ] ||
	{ echo "$0: busybox must be static (busybox-static)" >&2; exit 1; }

mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -rf "$out/oci" "$out/bundle" "$out/image.oci.tar" "$out/image.docker.tar"
umoci init --layout "$out/oci"
umoci new --image "$out/oci:$tag"
umoci unpack --image "$out/oci:$tag" "$out/bundle" >/dev/null

# layer 1: busybox
root=$out/bundle/rootfs
mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/data"
cp "$bb" "$root/bin/busybox"
for a in sh ls cat echo true false sleep id env mkdir rm hostname ip stat grep head stty tty mknod; do
	ln -sf busybox "$root/bin/$a"
done
printf 'root:x:0:0:root:/:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\n' > "$root/etc/group"
if [ -n "$etc" ]; then
	cp "$etc/passwd" "$root/etc/passwd"
	cp "$etc/group" "$root/etc/group"
fi
umoci repack --refresh-bundle --image "$out/oci:$tag" "$out/bundle"

k=2
while [ $k -le "$layers" ]; do
	if [ "$mb" -gt 0 ]; then
		head -c "$((mb * 1024 * 1024))" /dev/urandom > "$root/data/layer$k"
	else
		echo "layer $k of $name" > "$root/data/layer$k"
	fi
	umoci repack --refresh-bundle --image "$out/oci:$tag" "$out/bundle"
	k=$((k + 1))
done
umoci config --image "$out/oci:$tag" --config.cmd /bin/sh --config.workingdir / \
	${user:+--config.user "$user"} ${stopsig:+--config.stopsignal "$stopsig"} >/dev/null
umoci gc --layout "$out/oci"
rm -rf "$out/bundle"

skopeo copy -q "oci:$out/oci:$tag" "oci-archive:$out/image.oci.tar:$name"
skopeo copy -q "oci:$out/oci:$tag" "docker-archive:$out/image.docker.tar:$name"
echo "$out"
