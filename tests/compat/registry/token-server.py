#!/usr/bin/python3
"""tests/compat/registry/token-server.py - a Bearer token server for docker-registry's
`auth: token` (the Docker token flow), signing RS256 JWTs with the openssl command line.

GET /token?service=S&scope=repository:NAME:ACTIONS[&scope=...] with Basic credentials
--user/--password gets every action it asks for; anonymous requests get only "pull" if
--anonymous-pull, else nothing; wrong credentials get 401. The JWT's "kid" is the libtrust
key id of --cert's public key, which is how the registry finds it in its rootcertbundle.
Every request is appended to --log as "<user or -> <scopes>". Port to --port-file.
"""
import argparse
import base64
import hashlib
import json
import os
import subprocess
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--key", required=True)
ap.add_argument("--cert", required=True)
ap.add_argument("--issuer", required=True)
ap.add_argument("--user", required=True)
ap.add_argument("--password", required=True)
ap.add_argument("--anonymous-pull", action="store_true")
ap.add_argument("--log", required=True)
ap.add_argument("--port-file", required=True)
args = ap.parse_args()


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def libtrust_kid(cert):
    pub = subprocess.run(["openssl", "x509", "-in", cert, "-pubkey", "-noout"], check=True,
                         capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub, check=True,
                         capture_output=True).stdout
    s = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode().rstrip("=")
    return ":".join(s[i:i + 4] for i in range(0, len(s), 4))


KID = libtrust_kid(args.cert)


def sign(claims):
    head = b64url(json.dumps({"typ": "JWT", "alg": "RS256", "kid": KID}).encode())
    body = b64url(json.dumps(claims).encode())
    msg = (head + "." + body).encode()
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", args.key], input=msg,
                         check=True, capture_output=True).stdout
    return head + "." + body + "." + b64url(sig)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(u.query)
        user = None
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
            if user != args.user or pw != args.password:
                with open(args.log, "a") as f:
                    f.write("refused %s\n" % user)
                return self.reply(401, {"details": "incorrect username or password"})
        scopes = [s for v in q.get("scope", []) for s in v.split(" ") if s]
        with open(args.log, "a") as f:
            f.write("%s %s\n" % (user or "-", " ".join(scopes)))
        access = []
        for s in scopes:
            typ, name, actions = s.split(":")[0], ":".join(s.split(":")[1:-1]), s.split(":")[-1]
            want = actions.split(",")
            if user is None:
                want = [a for a in want if a == "pull"] if args.anonymous_pull else []
            access.append({"type": typ, "name": name, "actions": want})
        now = int(time.time())
        claims = {"iss": args.issuer, "sub": user or "", "aud": q.get("service", [""])[0],
                  "exp": now + 300, "nbf": now - 10, "iat": now, "jti": b64url(os.urandom(12)),
                  "access": access}
        tok = sign(claims)
        self.reply(200, {"token": tok, "access_token": tok, "expires_in": 300})


srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
srv.daemon_threads = True
with open(args.port_file + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(args.port_file + ".tmp", args.port_file)
srv.serve_forever()
