#!/usr/bin/python3
"""bench/version_rtt.py SOCKET N: N sequential unary Version calls on one gRPC channel.

A raw call to /containerd.services.version.v1.Version/Version with an empty request (bytes in
and out, no generated stubs); prints the median per-call latency in microseconds.
Needs Debian's python3-grpcio.
"""
import statistics
import sys
import time

import grpc


def main():
    sock, n = sys.argv[1], int(sys.argv[2])
    with grpc.insecure_channel("unix://" + sock) as ch:
        call = ch.unary_unary("/containerd.services.version.v1.Version/Version",
                              request_serializer=None, response_deserializer=None)
        md = (("containerd-namespace", "bench"),)
        call(b"", metadata=md, timeout=10)  # connects; not counted
        lat = []
        for _ in range(n):
            t = time.perf_counter_ns()
            reply = call(b"", metadata=md, timeout=10)
            lat.append(time.perf_counter_ns() - t)
        if not reply:
            sys.exit("version_rtt: empty Version reply from " + sock)
    print("%.1f" % (statistics.median(lat) / 1000))


if __name__ == "__main__":
    main()
