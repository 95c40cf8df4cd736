# tests/helpers/grpc-ns.py SOCKET NAME - calls containerd.services.namespaces.v1.Namespaces/Get
# for NAME (no containerd-namespace metadata, as the Docker Engine calls it) on the gRPC
# socket and prints "OK|<name answered>|<labels k=v,... sorted>" or "<CODE>|<details>".
# Needs Debian's python3-grpcio (/usr/bin/python3); the request and the answer are coded
# by hand in the protobuf wire format, so that no generated stubs are needed.
import sys

import grpc


def varint(n):
    out = b""
    while True:
        low, n = n & 0x7F, n >> 7
        if not n:
            return out + bytes([low])
        out += bytes([low | 0x80])


def read_varint(buf, i):
    n = shift = 0
    while True:
        c = buf[i]
        i += 1
        n |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return n, i


def fields(buf):
    """(field number, bytes or int) of each field of one message"""
    i, out = 0, []
    while i < len(buf):
        key, i = read_varint(buf, i)
        if key & 7 == 2:
            size, i = read_varint(buf, i)
            out.append((key >> 3, buf[i:i + size]))
            i += size
        elif key & 7 == 0:
            value, i = read_varint(buf, i)
            out.append((key >> 3, value))
        else:
            sys.exit("grpc-ns: unexpected wire type %d" % (key & 7))
    return out


def main():
    sock, name = sys.argv[1], sys.argv[2]
    req = varint(1 << 3 | 2) + varint(len(name.encode())) + name.encode()
    get = grpc.insecure_channel("unix:" + sock).unary_unary(
        "/containerd.services.namespaces.v1.Namespaces/Get")
    try:
        resp = get(req, timeout=10)
    except grpc.RpcError as e:
        print("%s|%s" % (e.code().name, e.details()))
        return
    got, labels = "", []
    for num, ns in fields(resp):
        if num != 1:
            continue
        for fnum, value in fields(ns):
            if fnum == 1:
                got = value.decode()
            elif fnum == 2:
                kv = dict(fields(value))
                labels.append("%s=%s" % (kv.get(1, b"").decode(), kv.get(2, b"").decode()))
    print("OK|%s|%s" % (got, ",".join(sorted(labels))))


main()
