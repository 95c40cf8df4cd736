#!/usr/bin/env bats
# Content commit when the blob is already there, berthd next to a private containerd 1.6
# (the reference): both answer the same codes and both add the blob to the writer's lease
# (containerd's metadata store leases existing content before it says AlreadyExists).
# Raw gRPC through python3-grpcio, the requests hand-encoded in protobuf wire format.

load compat-helpers

BERTH_TOP=${BERTH_TOP:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
BUILD=${BUILD:-build}
case $BUILD in /*) BUILD_DIR=$BUILD ;; *) BUILD_DIR=$BERTH_TOP/$BUILD ;; esac
BERTHD=${BERTHD:-$BUILD_DIR/berthd}
NS=compat

setup() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	command -v ctr >/dev/null || skip "needs ctr (Debian package containerd)"
	command -v containerd >/dev/null || skip "needs containerd"
	/usr/bin/python3 -c 'import grpc' 2>/dev/null || skip "needs python3-grpcio"
	T=$(mktemp -d "${BERTH_TEST_TMPBASE:-/tmp}/berth-commit-XXXXXX")
	SOCK=$T/berthd.sock
	start_berthd
	compat_containerd_start "$T/ctrd"
}

teardown() {
	[ -n "${CTRD_DIR:-}" ] && compat_containerd_stop
	stop_berthd
	[ -n "${T:-}" ] && rm -rf "$T"
}

# commit_script SOCK: one line per step, "<step> <grpc code> [<lease holds the blob>]"
commit_script() {
	/usr/bin/python3 - "$1" "$NS" <<'PY'
import hashlib, sys, grpc

def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])

def f_bytes(num, b):
    b = b if isinstance(b, bytes) else b.encode()
    return varint(num << 3 | 2) + varint(len(b)) + b

def f_int(num, v):
    return varint(num << 3) + varint(v)

ch = grpc.insecure_channel("unix:" + sys.argv[1])
ns = sys.argv[2]
blob = b"berth commit test blob\n" * 100
digest = "sha256:" + hashlib.sha256(blob).hexdigest()

def md(lease=None):
    m = [("containerd-namespace", ns)]
    if lease:
        m.append(("containerd-lease", lease))
    return m

def code(f):
    try:
        f()
        return "OK"
    except grpc.RpcError as e:
        return e.code().name

def lease_create(lid):
    ch.unary_unary("/containerd.services.leases.v1.Leases/Create")(
        f_bytes(1, lid), metadata=md(), timeout=10)

def lease_has_blob(lid):
    resp = ch.unary_unary("/containerd.services.leases.v1.Leases/ListResources")(
        f_bytes(1, lid), metadata=md(), timeout=10)
    return "leased" if digest.encode() in resp else "not-leased"

def write(ref, lease=None, expected_first=False):
    reqs = []
    if expected_first:  # STAT with the expected digest first, as content.OpenWriter does
        reqs.append(f_int(1, 0) + f_bytes(2, ref) + f_int(3, len(blob)) + f_bytes(4, digest))
    reqs.append(f_int(1, 2) + f_bytes(2, ref) + f_int(3, len(blob)) + f_bytes(6, blob))
    list(ch.stream_stream("/containerd.services.content.v1.Content/Write")(
        iter(reqs), metadata=md(lease), timeout=10))

print("first-commit", code(lambda: write("ref-1")))
lease_create("lease-commit")
print("commit-again", code(lambda: write("ref-2", "lease-commit")), lease_has_blob("lease-commit"))
lease_create("lease-open")
print("open-expected", code(lambda: write("ref-3", "lease-open", True)), lease_has_blob("lease-open"))
print("no-such-lease", code(lambda: write("ref-4", "ghost-lease")))
PY
}

@test "Content.Write of a blob the namespace has: AlreadyExists and leased, as containerd" {
	run commit_script "$T/ctrd/c.sock"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	want=$output
	echo "containerd: $want"
	run commit_script "$SOCK"
	[ "$status" -eq 0 ] || { echo "$output"; cat "$T/berthd.log"; false; }
	echo "berthd: $output"
	[ "$output" = "$want" ]
	[ "$output" = "first-commit OK
commit-again ALREADY_EXISTS leased
open-expected ALREADY_EXISTS leased
no-such-lease NOT_FOUND" ]
}
