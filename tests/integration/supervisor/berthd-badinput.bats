#!/usr/bin/env bats
# Bad input to berthd over raw gRPC (python3-grpcio, requests hand-encoded in protobuf wire
# format, so that berthd sees exactly what a broken client would send): every case gets
# the right status code, a message naming the field, and leaves nothing half-written.

load ../helpers
load ../berthd

setup_file() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	/usr/bin/python3 -c 'import grpc' 2>/dev/null || skip "needs python3-grpcio"
	export RAW_PY
	RAW_PY=$(mktemp "${BERTH_TEST_TMPBASE:-/tmp}/berth-raw-XXXXXX.py")
	cat >"$RAW_PY" <<'PY'
# raw gRPC calls with hand-encoded protobuf: call(method, bytes[, ns]) prints "CODE|details"
import sys, grpc

def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])

def f_str(num, s):
    b = s if isinstance(s, bytes) else s.encode()
    return varint(num << 3 | 2) + varint(len(b)) + b

def f_int(num, v):
    return varint(num << 3) + varint(v)

def desc(mt, digest, size):
    return f_str(1, mt) + f_str(2, digest) + f_int(3, size)

def image(name, target=None):
    m = f_str(1, name)
    if target is not None:
        m += f_str(3, target)
    return m

def channel():
    return grpc.insecure_channel("unix:" + sys.argv[1])

def call(method, req, ns="badinput", stream=False):
    ch = channel()
    md = [("containerd-namespace", ns)] if ns else []
    try:
        if stream:
            f = ch.stream_stream(method)
            resps = list(f(iter(req), metadata=md, timeout=10))
            print("OK|%d responses" % len(resps))
        else:
            ch.unary_unary(method)(req, metadata=md, timeout=10)
            print("OK|")
    except grpc.RpcError as e:
        print("%s|%s" % (e.code().name, e.details()))

DIGEST = "sha256:" + "a" * 64
exec(sys.argv[2])
PY
}

teardown_file() {
	[ -n "${RAW_PY:-}" ] && rm -f "$RAW_PY"
}

setup() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	command -v ctr >/dev/null || skip "needs ctr (Debian package containerd)"
	T=$(mktemp -d "${BERTH_TEST_TMPBASE:-/tmp}/berth-bad-XXXXXX")
	SOCK=$T/berthd.sock
	BERTHD=$BUILD_DIR/berthd start_berthd || return 1
}

teardown() {
	stop_berthd
	[ -n "${T:-}" ] && rm -rf "$T"
}

# raw 'PYTHON CODE': runs the code with call()/f_str()/... available
raw() {
	run /usr/bin/python3 "$RAW_PY" "$SOCK" "$1"
	echo "$output"
}

@test "bad input: a request that does not decode is InvalidArgument, without reaching the service" {
	raw 'call("/containerd.services.images.v1.Images/Create", b"\x0a\xff\xff\xff\xff")'
	[[ "$output" == "INVALID_ARGUMENT|"*"malformed request"* ]]
	[ -z "$(ctr -a "$SOCK" -n badinput images ls -q)" ]
}

@test "bad input: an unknown method is Unimplemented naming it" {
	raw 'call("/containerd.services.images.v1.Images/Frobnicate", b"")'
	[[ "$output" == "UNIMPLEMENTED|"*"/containerd.services.images.v1.Images/Frobnicate"* ]]
}

@test "bad input: a call without containerd-namespace metadata is InvalidArgument naming the key" {
	raw 'call("/containerd.services.images.v1.Images/List", b"", ns=None)'
	[[ "$output" == "INVALID_ARGUMENT|"*"containerd-namespace"* ]]
	raw 'call("/containerd.services.images.v1.Images/List", b"", ns="bad/ns")'
	[[ "$output" == "INVALID_ARGUMENT|namespace 'bad/ns'"* ]]
}

@test "bad input: Images.Create checks name, target digest and media type" {
	raw 'call("/containerd.services.images.v1.Images/Create", f_str(1, image("")))'
	[[ "$output" == "INVALID_ARGUMENT|image.name: must not be empty"* ]]
	raw 'call("/containerd.services.images.v1.Images/Create", f_str(1, image("x:1")))'
	[[ "$output" == "INVALID_ARGUMENT|image 'x:1': target: missing"* ]]
	raw 'call("/containerd.services.images.v1.Images/Create", f_str(1, image("x:1", desc("application/vnd.oci.image.manifest.v1+json", "sha256:xyz", 1))))'
	[[ "$output" == "INVALID_ARGUMENT|image 'x:1': target: digest 'sha256:xyz'"* ]]
	raw 'call("/containerd.services.images.v1.Images/Create", f_str(1, image("x:1", desc("", DIGEST, 1))))'
	[[ "$output" == "INVALID_ARGUMENT|image 'x:1': target.media_type: must not be empty"* ]]
	[ -z "$(ctr -a "$SOCK" -n badinput images ls -q)" ]
}

@test "bad input: Images.Update with an unknown field mask path names the path" {
	raw 'call("/containerd.services.images.v1.Images/Create", f_str(1, image("x:1", desc("application/vnd.oci.image.manifest.v1+json", DIGEST, 1))))'
	[[ "$output" == "OK|"* ]]
	raw 'call("/containerd.services.images.v1.Images/Update", f_str(1, image("x:1", desc("m", DIGEST, 1))) + f_str(2, f_str(1, "created_at")))'
	[[ "$output" == "INVALID_ARGUMENT|"*"cannot update 'created_at'"* ]]
	raw 'call("/containerd.services.images.v1.Images/Update", f_str(1, image("nope:1", desc("m", DIGEST, 1))))'
	[[ "$output" == "NOT_FOUND|image 'nope:1': not found"* ]]
}

@test "bad input: Content.Info and Delete refuse malformed digests by name" {
	raw 'call("/containerd.services.content.v1.Content/Info", f_str(1, "sha256:123"))'
	[[ "$output" == "INVALID_ARGUMENT|digest 'sha256:123'"* ]]
	raw 'call("/containerd.services.content.v1.Content/Delete", f_str(1, "md5:abc"))'
	[[ "$output" == "INVALID_ARGUMENT|"*"unsupported algorithm"* ]]
	raw 'call("/containerd.services.content.v1.Content/Read", f_str(1, DIGEST))'
	# Read is a server stream: the error comes as the stream status
	[[ "$output" == *"not found"* ]] || [[ "$output" == "OK|"* ]]
}

@test "bad input: Content.Write needs a ref in its first message" {
	raw 'call("/containerd.services.content.v1.Content/Write", [f_int(1, 1) + f_str(6, b"data")], stream=True)'
	[[ "$output" == "INVALID_ARGUMENT|first message must have a reference"* ]]
}

# regression: containerd 1.6 (services/content/contentserver) answers OutOfRange here, berthd
# answered InvalidArgument
@test "bad input: Content.Write at the wrong offset is OutOfRange as in containerd and the ingest keeps its bytes" {
	raw 'call("/containerd.services.content.v1.Content/Write", [f_int(1, 1) + f_str(2, "r1") + f_str(6, b"hello"), f_int(1, 1) + f_str(2, "r1") + f_int(5, 3) + f_str(6, b"xx")], stream=True)'
	[[ "$output" == "OUT_OF_RANGE|ref r1: write @3 must occur at current offset 5"* ]]
	raw 'call("/containerd.services.content.v1.Content/Status", f_str(1, "r1"))'
	[[ "$output" == "OK|"* ]]
	[ -z "$(ls "$T/root/content/blobs/sha256")" ]
}

@test "bad input: Content.Write commit with the wrong size or digest is FailedPrecondition, nothing visible" {
	raw 'call("/containerd.services.content.v1.Content/Write", [f_int(1, 1) + f_str(2, "r2") + f_str(6, b"hello"), f_int(1, 2) + f_str(2, "r2") + f_int(3, 99) + f_int(5, 5)], stream=True)'
	[[ "$output" == "FAILED_PRECONDITION|ref r2: unexpected commit size 5, expected 99"* ]]
	raw 'call("/containerd.services.content.v1.Content/Write", [f_int(1, 2) + f_str(2, "r2") + f_str(4, DIGEST) + f_int(5, 5)], stream=True)'
	[[ "$output" == "FAILED_PRECONDITION|ref r2: unexpected commit digest"* ]]
	[ -z "$(ls "$T/root/content/blobs/sha256")" ]
	[ -z "$(ctr -a "$SOCK" -n badinput content ls -q)" ]
	raw 'call("/containerd.services.content.v1.Content/Write", [f_int(1, 2) + f_str(2, "r2") + f_int(3, 5) + f_int(5, 5)], stream=True)'
	[[ "$output" == "OK|1 responses" ]]
	[ "$(ctr -a "$SOCK" -n badinput content ls -q)" = \
	  "sha256:$(printf hello | sha256sum | cut -d' ' -f1)" ]
}

@test "bad input: Leases.AddResource with an unknown resource type names it" {
	raw 'call("/containerd.services.leases.v1.Leases/Create", f_str(1, "l1"))'
	[[ "$output" == "OK|"* ]]
	raw 'call("/containerd.services.leases.v1.Leases/AddResource", f_str(1, "l1") + f_str(2, f_str(1, "x") + f_str(2, "volumes")))'
	[[ "$output" == "INVALID_ARGUMENT|resource.type 'volumes': unsupported"* ]]
	raw 'call("/containerd.services.leases.v1.Leases/AddResource", f_str(1, "nope") + f_str(2, f_str(1, DIGEST) + f_str(2, "content")))'
	[[ "$output" == "NOT_FOUND|lease 'nope': not found"* ]]
}

@test "bad input: Namespaces.Update of a field other than labels is refused by name" {
	raw 'call("/containerd.services.namespaces.v1.Namespaces/Create", f_str(1, f_str(1, "n1")))'
	[[ "$output" == "OK|"* ]]
	raw 'call("/containerd.services.namespaces.v1.Namespaces/Update", f_str(1, f_str(1, "n1")) + f_str(2, f_str(1, "name")))'
	[[ "$output" == "INVALID_ARGUMENT|update_mask: cannot update 'name' of namespace 'n1'"* ]]
}

@test "bad input: Events.Publish with a malformed topic is InvalidArgument" {
	raw 'call("/containerd.services.events.v1.Events/Publish", f_str(1, "no-slash") + f_str(2, f_str(1, "t")))'
	[[ "$output" == "INVALID_ARGUMENT|topic 'no-slash'"* ]]
}

@test "bad input: a request over 16 MiB is refused by gRPC, berthd keeps serving" {
	raw 'call("/containerd.services.images.v1.Images/Create", f_str(1, image("big:1", desc("m", DIGEST, 1) + f_str(5, f_str(1, "k") + f_str(2, b"v" * (17 << 20))))))'
	[[ "$output" == "RESOURCE_EXHAUSTED|"* ]]
	ctr -a "$SOCK" version
}
