# tests/helpers/grpc-health.py SOCKET [SERVICE] - calls grpc.health.v1.Health/Check on the
# gRPC socket for SERVICE (default "", the server as a whole) and prints "OK|<status
# number>" (1 is SERVING) or "<CODE>|<details>". Needs Debian's python3-grpcio; the
# messages are coded by hand in the protobuf wire format (one string field in, one enum
# field out).
import sys

import grpc


def main():
    sock = sys.argv[1]
    service = (sys.argv[2] if len(sys.argv) > 2 else "").encode()
    req = (b"\x0a" + bytes([len(service)]) + service) if service else b""
    check = grpc.insecure_channel("unix:" + sock).unary_unary("/grpc.health.v1.Health/Check")
    try:
        resp = check(req, timeout=10)
    except grpc.RpcError as e:
        print("%s|%s" % (e.code().name, e.details()))
        return
    # field 1, varint: b"\x08" + value; an absent field is 0 (UNKNOWN)
    print("OK|%d" % (resp[1] if len(resp) >= 2 and resp[0] == 0x08 else 0))


main()
