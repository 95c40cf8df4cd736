#!/bin/bash
# tests/helpers/mkstorage.sh OUTDIR - OCI image archives (for `ctr images import`) that
# stress berthd's storage, built with python3's tarfile (regressions of issue #15):
#
#   deep.oci.tar    localhost/storage-deep:1   a base layer, then a tree 2,000 directories
#                   deep (d/d/.../d/leaf): walking it must never recurse on the depth
#   opaque.oci.tar  localhost/storage-opaque:1 a base layer (a/, b, c/), then a layer with an
#                   opaque whiteout at its ROOT (.wh..wh..opq) plus new/ and c/ (c/inner):
#                   only new, c and c/inner remain, on every snapshotter
#   bomb.oci.tar    localhost/storage-bomb:1   one gzip layer of BOMB_MB (default 64) MiB of
#                   zeros (about 64 KiB compressed): bigger than a small unpack limit
set -euo pipefail
out=${1:?usage: mkstorage.sh OUTDIR}
mkdir -p "$out"
BOMB_MB=${BOMB_MB:-64} /usr/bin/python3 - "$out" <<'PYEOF'
import gzip, hashlib, io, json, os, platform, sys, tarfile

out = sys.argv[1]
MT = 1234567890
ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())

def tar(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, kind, data in entries:
            ti = tarfile.TarInfo(name)
            ti.mtime, ti.mode = MT, 0o755 if kind == "d" else 0o644
            if kind == "d":
                ti.type = tarfile.DIRTYPE
                t.addfile(ti)
            else:
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()

def blob(data):
    return "sha256:" + hashlib.sha256(data).hexdigest(), data

def image(path, ref, layers):
    """layers: uncompressed tars; each is stored gzipped"""
    ls = [(blob(gzip.compress(t, 1, mtime=0)), blob(t)[0]) for t in layers]
    config = blob(json.dumps({"architecture": ARCH, "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": [d for _, d in ls]}}).encode())
    manifest = blob(json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": config[0], "size": len(config[1])},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": d, "size": len(b)} for (d, b), _ in ls]}).encode())
    index = json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": manifest[0], "size": len(manifest[1]),
        "annotations": {"io.containerd.image.name": ref,
                        "org.opencontainers.image.ref.name": ref.rsplit(":", 1)[1]}}]}).encode()
    with tarfile.open(path, "w") as t:
        def add(name, data):
            ti = tarfile.TarInfo(name)
            ti.size, ti.mode = len(data), 0o644
            t.addfile(ti, io.BytesIO(data))
        add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add("index.json", index)
        for d, b in [config, manifest] + [l[0] for l in ls]:
            add("blobs/sha256/" + d.split(":")[1], b)
    with open(path + ".layers", "w") as f:
        f.write("\n".join(d for (d, _), _ in ls) + "\n")

base = tar([("a/", "d", None), ("a/x", "f", b"x\n"), ("b", "f", b"b\n"),
            ("c/", "d", None), ("c/old", "f", b"old\n")])
deep, path = [], ""
for _ in range(2000):
    path += "d/"
    deep.append((path, "d", None))
deep.append((path + "leaf", "f", b"leaf\n"))
image(f"{out}/deep.oci.tar", "localhost/storage-deep:1", [base, tar(deep)])
image(f"{out}/opaque.oci.tar", "localhost/storage-opaque:1", [base, tar([
    (".wh..wh..opq", "f", b""), ("new/", "d", None), ("new/n", "f", b"n\n"),
    ("c/", "d", None), ("c/inner", "f", b"inner\n")])])
mb = int(os.environ["BOMB_MB"])
image(f"{out}/bomb.oci.tar", "localhost/storage-bomb:1",
      [tar([("zeros", "f", bytes(mb << 20))])])
PYEOF
