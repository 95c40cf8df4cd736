#!/usr/bin/python3
"""tests/compat/registry/fake-registry.py - a registry that answers badly on purpose.

Serves the one image of an OCI layout (index.json's first manifest) as <any name>:<any tag>
over plain HTTP on 127.0.0.1, misbehaving as --mode says:
  ok           answers correctly
  badblob      layer blobs have one byte changed (digest mismatch)
  truncate     blob answers stop half-way (Content-Length says the full size)
  hang         manifest requests get headers never (the connection stays open)
  bigmanifest  the manifest is 5 MiB of JSON
  schema1      the manifest is a Docker schema 1 manifest
  redirect     blob GETs get a 307 to http://localhost:<port>/direct/<digest> (another host name);
               /v2/ requests need Basic credentials (any), the redirect target does not
  stall        blob answers send half the bytes, then nothing (the connection stays open)
Range requests ("bytes=N-") get a 206 with the rest. Every request line is appended to
--log, followed by " range=<Range header>" when there is one and " auth" when the request
carried an Authorization header. The port is written to --port-file when ready.
"""
import argparse
import hashlib
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--layout", required=True)
ap.add_argument("--mode", default="ok")
ap.add_argument("--log", required=True)
ap.add_argument("--port-file", required=True)
args = ap.parse_args()

with open(os.path.join(args.layout, "index.json")) as f:
    top = json.load(f)["manifests"][0]


def blob(digest):
    with open(os.path.join(args.layout, "blobs", *digest.split(":", 1)), "rb") as f:
        return f.read()


manifest = blob(top["digest"])
manifest_type = top.get("mediaType", "application/vnd.oci.image.manifest.v1+json")
if args.mode == "bigmanifest":
    manifest = json.dumps({"schemaVersion": 2, "pad": "x" * (5 << 20)}).encode()
elif args.mode == "schema1":
    manifest = json.dumps({"schemaVersion": 1, "name": "x", "tag": "y", "fsLayers": []}).encode()
    manifest_type = "application/vnd.docker.distribution.manifest.v1+prettyjws"
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def note(self):
        with lock, open(args.log, "a") as f:
            rng = self.headers.get("Range")
            f.write("%s %s%s%s\n" % (self.command, self.path, " range=" + rng if rng else "",
                                     " auth" if self.headers.get("Authorization") else ""))

    def send(self, code, body=b"", ctype="application/json", extra=None, length=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def serve_blob(self, digest):
        try:
            data = blob(digest)
        except OSError:
            return self.send(404, b'{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown"}]}')
        if args.mode == "badblob" and digest != top["digest"]:
            data = bytes([data[0] ^ 1]) + data[1:]
        if args.mode == "stall":
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            time.sleep(3600)
            return
        rng = self.headers.get("Range", "")
        if rng.startswith("bytes=") and rng.endswith("-"):
            start = int(rng[6:-1])
            return self.send(206, data[start:], "application/octet-stream",
                             {"Content-Range": "bytes %d-%d/%d" % (start, len(data) - 1, len(data))})
        if args.mode == "truncate":
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.send(200, data, "application/octet-stream")

    def do_GET(self):
        self.note()
        p = self.path.split("?")[0]
        if args.mode == "redirect" and p.startswith("/v2/") and not self.headers.get("Authorization"):
            return self.send(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
                             extra={"WWW-Authenticate": 'Basic realm="fake"'})
        if p == "/v2/":
            return self.send(200, b"{}")
        if p.startswith("/direct/"):
            return self.serve_blob(p[len("/direct/"):])
        if "/manifests/" in p:
            if args.mode == "hang":
                time.sleep(3600)
                return
            digest = "sha256:" + hashlib.sha256(manifest).hexdigest()
            return self.send(200, manifest, manifest_type, {"Docker-Content-Digest": digest})
        if "/blobs/" in p:
            digest = p.rsplit("/", 1)[1]
            if args.mode == "redirect":
                port = self.server.server_address[1]
                return self.send(307, b"", extra={"Location": "http://localhost:%d/direct/%s" % (port, digest)})
            return self.serve_blob(digest)
        self.send(404, b'{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}')

    do_HEAD = do_GET


srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
srv.daemon_threads = True
with open(args.port_file + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(args.port_file + ".tmp", args.port_file)
srv.serve_forever()
