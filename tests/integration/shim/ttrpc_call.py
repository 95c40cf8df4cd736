#!/usr/bin/python3
"""tests/integration/shim/ttrpc_call.py SOCKET METHOD [FIELD=VALUE...]

A minimal ttrpc 1.1 client for tests: sends containerd.task.v2.Task/METHOD with a
request whose string fields are FIELD=VALUE (field numbers: id=1, exec_id=2, ...;
pass NUM=VALUE) and prints "code=<grpc code> message=<text> payload=<hex>".
Hand-encoded protobuf, so it needs nothing outside the Python standard library.
"""
import socket
import struct
import sys


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field(num, data):
    return varint(num << 3 | 2) + varint(len(data)) + data


def read_varint(buf, i):
    shift = n = 0
    while True:
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


def parse(buf):
    """{field: [values]} of a message (varints as ints, length-delimited as bytes)"""
    out, i = {}, 0
    while i < len(buf):
        key, i = read_varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = read_varint(buf, i)
        elif wt == 2:
            ln, i = read_varint(buf, i)
            v, i = buf[i:i + ln], i + ln
        else:
            raise ValueError("wire type %d" % wt)
        out.setdefault(num, []).append(v)
    return out


def main():
    path, method = sys.argv[1], sys.argv[2]
    names = {"id": 1, "exec_id": 2}
    payload = b""
    for arg in sys.argv[3:]:
        k, v = arg.split("=", 1)
        payload += field(names[k] if k in names else int(k), v.encode())
    req = field(1, b"containerd.task.v2.Task") + field(2, method.encode()) + field(3, payload)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path[7:] if path.startswith("unix://") else path)
    s.sendall(struct.pack(">IIBB", len(req), 1, 1, 0) + req)
    hdr = b""
    while len(hdr) < 10:
        hdr += s.recv(10 - len(hdr))
    length, sid, typ, _ = struct.unpack(">IIBB", hdr)
    body = b""
    while len(body) < length:
        body += s.recv(length - len(body))
    assert sid == 1 and typ == 2, (sid, typ)
    resp = parse(body)
    st = parse(resp.get(1, [b""])[0])
    code = st.get(1, [0])[0]
    msg = st.get(2, [b""])[0].decode()
    print("code=%d message=%s payload=%s" % (code, msg, resp.get(2, [b""])[0].hex()))


main()
