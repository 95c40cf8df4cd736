#!/bin/bash
# tests/helpers/mklayers.sh OUTDIR OUTSIDE - builds image layer fixtures with python3's
# tarfile (Debian's /usr/bin/python3), for tests/unit/test_diff.c and the snapshot bats.
#
# OUTSIDE is an absolute directory outside any extraction target: the hostile layers
# aim their symlinks at it, so a test can check that nothing was written there.
# Every layer is written as <name>.tar; base is also .tar.gz (and .tar.zst when the
# zstd tool exists). <name>.tar.sha256 holds the diff-id ("sha256:<hex>").
#
#   base             dirs, files (modes, owners, times), xattrs (user.* kept; trusted.*,
#                    security.selinux must be dropped), setuid file, hardlink, symlink,
#                    fifo, sticky dir, symlink to a dir (binlink -> usr/bin)
#   nodirs           on top of base: files whose parents exist only in base
#   hardlink-lower   on top of base: hardlinks to files of base
#   upper            on top of base: .wh. files, opaque dir, aufs .wh..wh.plnk (skipped)
#   whiteout         upper + a whiteout of a path the same layer creates (must survive)
#   hostile-*        one attack each (see below)
#   image.oci.tar    an OCI image archive (for `ctr images import`) named
#                    docker.io/library/berth-layers:test: base (tar+gzip) then upper (tar)
#   hostile.oci.tar  docker.io/library/berth-hostile:test: base then hostile-dotdot
set -euo pipefail
out=${1:?usage: mklayers.sh OUTDIR OUTSIDE}
outside=${2:?usage: mklayers.sh OUTDIR OUTSIDE}
mkdir -p "$out"

/usr/bin/python3 - "$out" "$outside" <<'EOF'
import io, sys, tarfile

out, outside = sys.argv[1], sys.argv[2]
MT = 1234567890

def entry(name, type=tarfile.REGTYPE, data=b"", mode=0o644, uid=0, gid=0, link="",
          xattrs=None, mtime=MT, dev=(0, 0)):
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode, ti.uid, ti.gid, ti.mtime, ti.linkname = type, mode, uid, gid, mtime, link
    ti.devmajor, ti.devminor = dev
    if xattrs:
        ti.pax_headers = {"SCHILY.xattr." + k: v for k, v in xattrs.items()}
    if type == tarfile.REGTYPE:
        ti.size = len(data)
        return (ti, data)
    return (ti, None)

def d(name, mode=0o755, **kw):
    return entry(name, tarfile.DIRTYPE, mode=mode, **kw)

def write(name, entries):
    with tarfile.open(f"{out}/{name}.tar", "w", format=tarfile.PAX_FORMAT) as t:
        for ti, data in entries:
            t.addfile(ti, io.BytesIO(data) if data is not None else None)

write("base", [
    d("etc/", mtime=1000000000),
    entry("etc/hello", data=b"hello\n", mode=0o640, uid=1000, gid=1001,
          xattrs={"user.greeting": "hi", "trusted.overlay.opaque": "y",
                  "security.selinux": "system_u:object_r:etc_t:s0"}),
    d("usr/"), d("usr/bin/"),
    entry("usr/bin/tool", data=b"#!/bin/sh\necho tool\n", mode=0o4755),
    entry("usr/bin/hard", tarfile.LNKTYPE, link="usr/bin/tool", mode=0o4755),
    entry("usr/bin/link", tarfile.SYMTYPE, link="tool", mtime=1111111111),
    d("run/"), entry("run/fifo", tarfile.FIFOTYPE, mode=0o600),
    d("tmp/", mode=0o1777),
    d("opt/"), d("opt/keep/"),
    entry("opt/keep/a", data=b"a"), entry("opt/keep/b", data=b"b"),
    entry("opt/gone", data=b"gone"),
    d("var/"), d("var/lib/"), entry("var/lib/old", data=b"old"),
    entry("binlink", tarfile.SYMTYPE, link="usr/bin"),
])

# on top of base: hardlinks to base's files (an overlay apply copies them up first)
write("hardlink-lower", [
    entry("hard2", tarfile.LNKTYPE, link="usr/bin/tool", mode=0o4755),
    entry("hello2", tarfile.LNKTYPE, link="etc/hello", mode=0o640, uid=1000, gid=1001),
])

# no directory entries: parents come from the lower layers (through binlink -> usr/bin)
write("nodirs", [entry("tmp/x", data=b"x"), entry("binlink/y", data=b"y")])

upper = [
    d("etc/"),
    entry("etc/.wh.hello"),
    d("opt/keep/"),
    entry("opt/keep/.wh..wh..opq"),
    entry("opt/keep/c", data=b"c"),
    entry("opt/.wh.gone"),
    entry("var/lib/.wh.old"),
    d(".wh..wh.plnk/"),
    entry("var/lib/new", data=b"new"),
]
write("upper", upper)
# containerd 1.6 fails on a whiteout of what the same layer made ("file exists"); the OCI
# spec says whiteouts only hide lower layers, so berth keeps the file (unit tests only)
write("whiteout", upper + [
    entry("made-here", data=b"this layer made me"),
    entry(".wh.made-here"),
])

# path escapes: refused
write("hostile-dotdot", [entry("../escape-dotdot", data=b"x")])
write("hostile-nested-dotdot", [d("a/"), entry("a/../../escape-nested", data=b"x")])
write("hostile-absolute", [entry(outside + "/abs-escape", data=b"x")])
# symlinked parents: contained (followed as if the target were /)
write("hostile-symlink-parent", [
    entry("evil", tarfile.SYMTYPE, link=outside),
    entry("evil/pwned", data=b"pwned"),
])
write("hostile-symlink-relative", [
    entry("up", tarfile.SYMTYPE, link="../../../../../../../../.." + outside),
    entry("up/pwned2", data=b"pwned"),
])
# a file entry replaces a symlink instead of writing through it
write("hostile-symlink-overwrite", [
    entry("victim", tarfile.SYMTYPE, link=outside + "/victim-file"),
    entry("victim", data=b"replaced"),
])
# hardlinks out of the target: refused (or resolved inside the target)
write("hostile-hardlink-absolute", [entry("passwd", tarfile.LNKTYPE, link="/etc/passwd")])
write("hostile-hardlink-dotdot", [entry("passwd", tarfile.LNKTYPE,
                                        link="../../../../../../etc/passwd")])
write("hostile-hardlink-symlink", [
    entry("etcl", tarfile.SYMTYPE, link="/etc"),
    entry("passwd", tarfile.LNKTYPE, link="etcl/passwd"),
])
write("hostile-device", [d("dev/"), entry("dev/mem", tarfile.CHRTYPE, mode=0o600, dev=(1, 1))])
write("hostile-whiteout-dotdot", [d("a/"), entry("a/.wh..."), entry("a/.wh..")])
EOF

cd "$out"
for t in *.tar; do
	echo "sha256:$(sha256sum "$t" | cut -d' ' -f1)" > "$t.sha256"
done
gzip -n -9 -c base.tar > base.tar.gz
if command -v zstd >/dev/null; then
	zstd -q -f -o base.tar.zst base.tar
fi

/usr/bin/python3 - <<'EOF'
import hashlib, io, json, platform, tarfile

def blob(data):
    return "sha256:" + hashlib.sha256(data).hexdigest(), data

ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
GZ, TAR = "application/vnd.oci.image.layer.v1.tar+gzip", "application/vnd.oci.image.layer.v1.tar"

def image(out, ref, layers):
    """layers: (media type, blob file, uncompressed tar file)"""
    ls = [(mt, blob(open(f, "rb").read()), blob(open(u, "rb").read())[0]) for mt, f, u in layers]
    config = blob(json.dumps({
        "architecture": ARCH, "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": [diff_id for _, _, diff_id in ls]},
    }).encode())
    manifest = blob(json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": config[0], "size": len(config[1])},
        "layers": [{"mediaType": mt, "digest": d, "size": len(b)} for mt, (d, b), _ in ls],
    }).encode())
    index = json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": manifest[0], "size": len(manifest[1]),
        "annotations": {"io.containerd.image.name": ref,
                        "org.opencontainers.image.ref.name": ref.rsplit(":", 1)[1]}}]}).encode()
    with tarfile.open(out, "w") as t:
        def add(name, data):
            ti = tarfile.TarInfo(name)
            ti.size, ti.mode = len(data), 0o644
            t.addfile(ti, io.BytesIO(data))
        add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add("index.json", index)
        for d, b in [config, manifest] + [l[1] for l in ls]:
            add("blobs/sha256/" + d.split(":")[1], b)

image("image.oci.tar", "docker.io/library/berth-layers:test",
      [(GZ, "base.tar.gz", "base.tar"), (TAR, "upper.tar", "upper.tar")])
image("hostile.oci.tar", "docker.io/library/berth-hostile:test",
      [(GZ, "base.tar.gz", "base.tar"), (TAR, "hostile-dotdot.tar", "hostile-dotdot.tar")])
EOF
