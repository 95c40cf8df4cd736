#!/usr/bin/env bats
# berthd pulls and pushes images (berth.services.transfer.v1.Transfer, berthctl pull/push/
# login/logout) against Debian's docker-registry on loopback ports: plain HTTP, TLS with a
# CA made here, htpasswd Basic auth, the Bearer token flow (tests/compat/registry/
# token-server.py), and a registry that answers badly on purpose (fake-registry.py).
# Debian's ctr pulls from the same registry into berthd as the client-side reference.

load compat-helpers
load registry/helpers

BERTH_TOP=${BERTH_TOP:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
BUILD=${BUILD:-build}
case $BUILD in /*) BUILD_DIR=$BUILD ;; *) BUILD_DIR=$BERTH_TOP/$BUILD ;; esac
BERTHD=${BERTHD:-$BUILD_DIR/berthd}
BERTHCTL=${BERTHCTL:-$BUILD_DIR/berthctl}
IMAGE=localhost/berth-reg:latest

setup_file() {
	compat_need docker-registry htpasswd openssl skopeo umoci ctr curl
	export IMG_TMP
	IMG_TMP=$(mktemp -d "${BERTH_TEST_TMPBASE:-/tmp}/berth-regimg-XXXXXX")
	"$BERTH_TOP/tests/helpers/mkimage.sh" "$IMG_TMP/img" --layers 3 --name "$IMAGE" >/dev/null
	# a two-platform index: linux/amd64 -> image a, linux/arm64 -> image b
	"$BERTH_TOP/tests/helpers/mkimage.sh" "$IMG_TMP/a" --layers 2 >/dev/null
	"$BERTH_TOP/tests/helpers/mkimage.sh" "$IMG_TMP/b" --layers 2 >/dev/null
	local idx=$IMG_TMP/multi ma mb inner
	cp -r "$IMG_TMP/a/oci" "$idx"
	cp -n "$IMG_TMP/b/oci/blobs/sha256/"* "$idx/blobs/sha256/"
	ma=$(jq -c '.manifests[0] | {mediaType, digest, size}' "$IMG_TMP/a/oci/index.json")
	mb=$(jq -c '.manifests[0] | {mediaType, digest, size}' "$IMG_TMP/b/oci/index.json")
	jq -nc --argjson a "$ma" --argjson b "$mb" '{schemaVersion: 2,
		mediaType: "application/vnd.oci.image.index.v1+json",
		manifests: [($a + {platform: {os: "linux", architecture: "amd64"}}),
			    ($b + {platform: {os: "linux", architecture: "arm64"}})]}' >"$IMG_TMP/inner.json"
	inner=$(sha256sum "$IMG_TMP/inner.json" | cut -d' ' -f1)
	cp "$IMG_TMP/inner.json" "$idx/blobs/sha256/$inner"
	jq -nc --arg d "sha256:$inner" --argjson s "$(stat -c %s "$IMG_TMP/inner.json")" \
		'{schemaVersion: 2, manifests: [{mediaType: "application/vnd.oci.image.index.v1+json",
		digest: $d, size: $s, annotations: {"org.opencontainers.image.ref.name": "multi"}}]}' \
		>"$idx/index.json"
	echo "${ma}" | jq -r .digest >"$IMG_TMP/a.digest"
	echo "${mb}" | jq -r .digest >"$IMG_TMP/b.digest"
	echo "sha256:$inner" >"$IMG_TMP/multi.digest"
}

teardown_file() {
	[ -n "${IMG_TMP:-}" ] && rm -rf "$IMG_TMP"
}

setup() {
	compat_need docker-registry htpasswd openssl skopeo umoci ctr curl
	T=$(mktemp -d "${BERTH_TEST_TMPBASE:-/tmp}/berth-reg-XXXXXX")
	RT=$T
	SOCK=$T/berthd.sock
	export DOCKER_CONFIG=$T/docker
	mkdir -p "$T/certs.d"
	echo "{\"registry_certs_dir\": \"$T/certs.d\"}" >"$T/berthd.json"
	start_berthd
}

teardown() {
	stop_berthd
	reg_stop_all
	[ -n "${T:-}" ] && rm -rf "$T"
}

bctl() {
	"$BERTHCTL" -a "$SOCK" "$@" 3>&-
}

# skopeo_push SRC_OCI REF [skopeo options]: put a test image into a registry
skopeo_push() {
	local src=$1 ref=$2
	shift 2
	skopeo copy -q --all --dest-tls-verify=false "$@" "oci:$src" "docker://$ref" 3>&-
}

@test "registry: push then pull round trip keeps the digests; ctr lists the image; it runs" {
	reg_start plain
	run bctl images import "$IMG_TMP/img/image.oci.tar"
	[ "$status" -eq 0 ] || fail_with "import: $output"
	local want
	want=$(jq -r '.manifests[0].digest' "$IMG_TMP/img/oci/index.json")
	run bctl push "$IMAGE" "$REG/round/trip:v1"
	[ "$status" -eq 0 ] || fail_with "push: $output"
	[[ "$output" == *"pushed $REG/round/trip:v1: $want"* ]] || fail_with "push output: $output"
	# the registry has it under that digest
	local got
	got=$(curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
		"http://$REG/v2/round/trip/manifests/v1" | sha256sum | cut -d' ' -f1)
	[ "sha256:$got" = "$want" ] || fail_with "registry has manifest sha256:$got, not $want"
	# a fresh namespace pulls it back: same digest, records visible to ctr
	run bctl -n other pull "$REG/round/trip:v1"
	[ "$status" -eq 0 ] || fail_with "pull: $output"
	[[ "$output" == *"pulled $REG/round/trip:v1: $want"* ]] || fail_with "pull output: $output"
	run ctr -a "$SOCK" -n other images ls
	[[ "$output" == *"$REG/round/trip:v1"*"$want"* ]] || fail_with "ctr images ls: $output"
	run ctr -a "$SOCK" -n other images check
	[[ "$output" == *"complete"* ]] || fail_with "ctr images check: $output"
	run timeout 120 "$BERTHCTL" -a "$SOCK" -n other run --rm "$REG/round/trip:v1" /bin/busybox echo pulled-and-ran 3>&-
	[ "$status" -eq 0 ] && [[ "$output" == *pulled-and-ran* ]] || fail_with "run: $output"
}

@test "registry: a second pull downloads no blob and sends one request" {
	reg_start plain
	skopeo_push "$IMG_TMP/img/oci:latest" "$REG/again/img:1"
	run bctl pull "$REG/again/img:1"
	[ "$status" -eq 0 ] || fail_with "first pull: $output"
	[[ "$output" == *"downloading"* ]] || fail_with "first pull downloaded nothing: $output"
	local before
	before=$(reg_blob_gets)
	[ "$before" -ge 4 ] || fail_with "expected >= 4 blob GETs after the first pull, got $before"
	run bctl pull "$REG/again/img:1"
	[ "$status" -eq 0 ] || fail_with "second pull: $output"
	[[ "$output" == *"(1 registry requests)"* ]] || fail_with "second pull: $output"
	[[ "$output" != *"downloading"* ]] || fail_with "second pull downloaded: $output"
	[ "$(reg_blob_gets)" -eq "$before" ] || fail_with "blob GETs went from $before to $(reg_blob_gets)"
}

@test "registry: --platform picks its manifest out of an index, default linux/amd64; --all-platforms" {
	reg_start plain
	skopeo_push "$IMG_TMP/multi:multi" "$REG/multi/img:1"
	local a b
	a=$(cat "$IMG_TMP/a.digest")
	b=$(cat "$IMG_TMP/b.digest")
	run bctl -n arm pull --platform linux/arm64 "$REG/multi/img:1"
	[ "$status" -eq 0 ] || fail_with "pull arm64: $output"
	[[ "$output" == *": $(cat "$IMG_TMP/multi.digest")"* ]] || fail_with "target is not the index: $output"
	run ctr -a "$SOCK" -n arm content ls -q
	[[ "$output" == *"$b"* ]] || fail_with "arm64 manifest $b not fetched: $output"
	[[ "$output" != *"$a"* ]] || fail_with "amd64 manifest $a fetched too: $output"
	run bctl -n amd pull "$REG/multi/img:1"
	[ "$status" -eq 0 ] || fail_with "pull default: $output"
	run ctr -a "$SOCK" -n amd content ls -q
	[[ "$output" == *"$a"* && "$output" != *"$b"* ]] || fail_with "default platform: $output"
	run bctl -n all pull --all-platforms "$REG/multi/img:1"
	[ "$status" -eq 0 ] || fail_with "pull --all-platforms: $output"
	run ctr -a "$SOCK" -n all content ls -q
	[[ "$output" == *"$a"* && "$output" == *"$b"* ]] || fail_with "--all-platforms: $output"
	run bctl -n s390 pull --platform linux/s390x "$REG/multi/img:1"
	[ "$status" -ne 0 ]
	[[ "$output" == *"no manifest for platform linux/s390x"* ]] || fail_with "$output"
	run bctl pull --platform linux "$REG/multi/img:1"
	[ "$status" -ne 0 ]
	[[ "$output" == *"platform 'linux'"* ]] || fail_with "$output"
}

@test "registry: TLS with the test CA in certs.d/<host:port>/ca.crt; refused without it" {
	# 127.0.0.2 is not one of the hosts spoken to over plain HTTP
	reg_start tls --host 127.0.0.2 --tls
	skopeo_push "$IMG_TMP/img/oci:latest" "$REG/tls/img:1" --dest-cert-dir "$RT/nocert"
	run bctl pull --timeout 10 "$REG/tls/img:1"
	[ "$status" -ne 0 ]
	[[ "$output" == *"TLS"* && "$output" == *"certificate"* ]] || fail_with "no-CA pull: $output"
	mkdir -p "$T/certs.d/$REG"
	cp "$RT/ca.crt" "$T/certs.d/$REG/ca.crt"
	run bctl pull "$REG/tls/img:1"
	[ "$status" -eq 0 ] || fail_with "pull with CA: $output"
	run ctr -a "$SOCK" -n default images ls -q
	[[ "$output" == *"$REG/tls/img:1"* ]] || fail_with "$output"
}

@test "registry: htpasswd Basic auth: login checks and stores 0600, pull and push work, logout forgets" {
	reg_start basic --htpasswd alice:s3cret
	skopeo_push "$IMG_TMP/img/oci:latest" "$REG/priv/img:1" --dest-creds alice:s3cret
	run bctl pull "$REG/priv/img:1"
	[ "$status" -ne 0 ]
	[[ "$output" == *"authentication required"*"berthctl login"* ]] || fail_with "anonymous: $output"
	run bctl login -u alice -p wrong "$REG"
	[ "$status" -ne 0 ]
	[[ "$output" == *"HTTP 401"* ]] || fail_with "wrong password: $output"
	[ ! -e "$DOCKER_CONFIG/config.json" ] || fail_with "a refused login wrote config.json"
	run bash -c "echo s3cret | '$BERTHCTL' -a '$SOCK' login -u alice --password-stdin $REG 3>&-"
	[ "$status" -eq 0 ] || fail_with "login: $output"
	[ "$(stat -c %a "$DOCKER_CONFIG/config.json")" = 600 ]
	jq -e --arg h "$REG" '.auths[$h].auth' "$DOCKER_CONFIG/config.json" >/dev/null
	run bctl pull "$REG/priv/img:1"
	[ "$status" -eq 0 ] || fail_with "pull: $output"
	run bctl push "$REG/priv/img:1" "$REG/priv/copy:2"
	[ "$status" -eq 0 ] || fail_with "push: $output"
	[[ "$output" == *"mounted"* ]] || fail_with "same-registry push did not mount: $output"
	run bctl logout "$REG"
	[ "$status" -eq 0 ]
	run bctl logout "$REG"
	[ "$status" -ne 0 ]
	[[ "$output" == *"not logged in to '$REG'"* ]] || fail_with "$output"
	run bctl -n fresh pull "$REG/priv/img:1"
	[ "$status" -ne 0 ]
}

@test "registry: Bearer token flow: anonymous pull refused, login then pull and push" {
	token_start bob tokpw
	reg_start tokreg --token "$TOKEN_URL"
	run bctl pull "$REG/tok/img:1"
	[ "$status" -ne 0 ]
	[[ "$output" == *"HTTP 401"* ]] || fail_with "anonymous: $output"
	grep -q '^- repository:tok/img:pull$' "$TOKEN_LOG" || fail_with "token server log: $(cat "$TOKEN_LOG")"
	run bctl login -u bob -p nope "$REG"
	[ "$status" -ne 0 ]
	[[ "$output" == *"refused the credentials"* ]] || fail_with "wrong password: $output"
	run bctl login -u bob -p tokpw "$REG"
	[ "$status" -eq 0 ] || fail_with "login: $output"
	run bctl images import "$IMG_TMP/img/image.oci.tar"
	run bctl push "$IMAGE" "$REG/tok/img:1"
	[ "$status" -eq 0 ] || fail_with "push: $output"
	grep -Eq '^bob repository:tok/img:(pull,push|push,pull)$' "$TOKEN_LOG" || fail_with "token log: $(cat "$TOKEN_LOG")"
	run bctl -n tok pull "$REG/tok/img:1"
	[ "$status" -eq 0 ] || fail_with "pull: $output"
	grep -q '^bob repository:tok/img:pull$' "$TOKEN_LOG" || fail_with "token log: $(cat "$TOKEN_LOG")"
}

@test "registry: unknown tag and unknown repository are NOT_FOUND errors naming them" {
	reg_start plain
	skopeo_push "$IMG_TMP/img/oci:latest" "$REG/known/img:1"
	run bctl pull "$REG/known/img:nope"
	[ "$status" -ne 0 ]
	[[ "$output" == *"'$REG/known/img' at 'nope'"*"HTTP 404 not found"*"MANIFEST_UNKNOWN"* ]] || fail_with "$output"
	run bctl pull "$REG/unknown/repo:1"
	[ "$status" -ne 0 ]
	# docker-registry 2.8 says MANIFEST_UNKNOWN for an unknown repository too
	[[ "$output" == *"'$REG/unknown/repo' at '1'"*"HTTP 404 not found"* ]] || fail_with "$output"
	run ctr -a "$SOCK" images ls -q
	[ -z "$output" ] || fail_with "a failed pull left an image: $output"
	run bctl pull "Bad/Name:x"
	[ "$status" -ne 0 ]
	[[ "$output" == *"invalid repository name component 'Name'"* ]] || fail_with "$output"
}

# bad_pull MODE WANT...: a pull from fake-registry.py in MODE fails with every WANT in its
# error (kept in BAD_OUT); no image record appears and berthd keeps serving
bad_pull() {
	local mode=$1 w
	shift
	fake_start "$mode" "$IMG_TMP/img/oci"
	run bctl pull --timeout 3 "$FAKE/bad/img:1"
	[ "$status" -ne 0 ] || fail_with "mode $mode: pull succeeded: $output"
	BAD_OUT=$output
	for w in "$@"; do
		[[ "$output" == *"$w"* ]] || fail_with "mode $mode: expected '$w' in: $output"
	done
	run ctr -a "$SOCK" images ls -q
	[ -z "$output" ] || fail_with "mode $mode: a failed pull left an image: $output"
	# berthd keeps serving
	run bctl images ls
	[ "$status" -eq 0 ]
}

@test "registry: a blob whose digest does not match is refused and not kept" {
	bad_pull badblob "digest mismatch: the registry sent content of digest"
	local bad
	bad=$(sed -n "s/.*blob '\(sha256:[0-9a-f]*\)': digest mismatch.*/\1/p" <<<"$BAD_OUT")
	[ -n "$bad" ] || fail_with "no digest named in: $BAD_OUT"
	run ctr -a "$SOCK" content active
	[ "$status" -eq 0 ]
	[[ "$output" != *"$bad"* ]] || fail_with "the bad ingest of $bad was kept: $output"
	run ctr -a "$SOCK" content ls -q
	[[ "$output" != *"$bad"* ]] || fail_with "the bad blob $bad was committed: $output"
}

@test "registry: a truncated blob is an error (the partial ingest stays for a resume)" {
	bad_pull truncate "truncated"
}

@test "registry: a registry that stops answering times out" {
	bad_pull hang "no progress for 3 s"
}

@test "registry: a manifest over the 4 MiB cap is refused" {
	bad_pull bigmanifest "larger than the 4194304-byte limit"
}

@test "registry: a Docker schema 1 manifest is refused with a clear error" {
	bad_pull schema1 "schema 1 is not supported"
}

@test "registry: blob GETs redirected to another host are followed, without the credentials" {
	fake_start redirect "$IMG_TMP/img/oci"
	run bctl login -u any -p thing "$FAKE"
	[ "$status" -eq 0 ] || fail_with "login: $output"
	run bctl pull "$FAKE/redir/img:1"
	[ "$status" -eq 0 ] || fail_with "pull: $output"
	grep -q '^GET /v2/redir/img/blobs/sha256:[0-9a-f]* auth$' "$FAKE_LOG" ||
		fail_with "no authorized blob GET: $(cat "$FAKE_LOG")"
	grep -q '^GET /direct/sha256:[0-9a-f]*$' "$FAKE_LOG" || fail_with "no redirected GET: $(cat "$FAKE_LOG")"
	run grep '^GET /direct/.* auth$' "$FAKE_LOG"
	[ "$status" -ne 0 ] || fail_with "credentials sent to the redirect target: $output"
}

@test "registry: ctr images pull --plain-http from the same registry into berthd still works" {
	reg_start plain
	skopeo_push "$IMG_TMP/img/oci:latest" "$REG/ctr/img:1"
	run timeout 120 ctr -a "$SOCK" -n ctrns images pull --plain-http "$REG/ctr/img:1" 3>&-
	[ "$status" -eq 0 ] || fail_with "ctr pull: $output"
	local want
	want=$(jq -r '.manifests[0].digest' "$IMG_TMP/img/oci/index.json")
	run ctr -a "$SOCK" -n ctrns images ls
	[[ "$output" == *"$REG/ctr/img:1"*"$want"* ]] || fail_with "$output"
	# and berthd's own pull of it into that namespace finds every blob there
	run bctl -n ctrns pull "$REG/ctr/img:1"
	[ "$status" -eq 0 ] || fail_with "$output"
	[[ "$output" != *"downloading"* ]] || fail_with "re-downloaded: $output"
}

@test "registry: a registry that is not there: the error names it, not berthd's socket" {
	local port
	port=$(free_port)
	run bctl pull "127.0.0.1:$port/gone/img:1"
	[ "$status" -ne 0 ]
	[[ "$output" == *"manifest '127.0.0.1:$port/gone/img' at '1'"*"Couldn't connect to server"* ]] || fail_with "$output"
	[[ "$output" != *"cannot reach '$SOCK'"* ]] || fail_with "blamed berthd's socket: $output"
	run bctl images ls
	[ "$status" -eq 0 ]
}

@test "registry: a pull killed half-way (berthd kill -9) resumes its partial blobs with Range" {
	fake_start stall "$IMG_TMP/img/oci"
	local stall=$FAKE
	bctl pull --timeout 60 "$stall/res/img:1" >"$T/pull.out" 2>&1 &
	local pull=$!
	# wait until the big layer (busybox, ~1 MB) has its first half in an ingest
	wait_for_half() {
		ctr -a "$SOCK" content active 2>/dev/null | awk 'NR > 1 && $2 ~ /kB|KiB|MB|MiB/' | grep -q .
	}
	wait_for wait_for_half || fail_with "no partial ingest: $(ctr -a "$SOCK" content active 2>&1)"
	kill -9 "$BERTHD_PID"
	wait "$BERTHD_PID" 2>/dev/null || true
	BERTHD_PID=
	wait "$pull" || true
	start_berthd
	run ctr -a "$SOCK" content active
	[[ "$output" == *layer-sha256:* ]] || fail_with "the partial ingest is gone after the restart: $output"
	fake_start ok "$IMG_TMP/img/oci"
	run bctl pull --name res:1 "$FAKE/res/img:1"
	[ "$status" -eq 0 ] || fail_with "resumed pull: $output"
	grep -q '^GET /v2/res/img/blobs/sha256:[0-9a-f]* range=bytes=[1-9][0-9]*-$' "$FAKE_LOG" ||
		fail_with "no Range request: $(cat "$FAKE_LOG")"
	run ctr -a "$SOCK" images check
	[[ "$output" == *"res:1"*complete* ]] || fail_with "$output"
	run ctr -a "$SOCK" content active
	[[ "$output" != *layer-sha256:* ]] || fail_with "ingests left: $output"
}

@test "registry: a blob already whole in its ingest (crash before the commit) is committed, not fetched" {
	fake_start stall "$IMG_TMP/img/oci"
	bctl pull --timeout 60 "$FAKE/whole/img:1" >"$T/pull.out" 2>&1 &
	local pull=$! d ref digest
	wait_for_half() {
		ctr -a "$SOCK" content active 2>/dev/null | awk 'NR > 1 && $2 ~ /kB|KiB|MB|MiB/' | grep -q .
	}
	wait_for wait_for_half || fail_with "no partial ingest: $(ctr -a "$SOCK" content active 2>&1)"
	kill -9 "$BERTHD_PID"
	wait "$BERTHD_PID" 2>/dev/null || true
	BERTHD_PID=
	wait "$pull" || true
	# complete one partial ingest by hand, as if berthd died between the last write and
	# the commit
	for d in "$T/root/content/ingest/"*/; do
		ref=$(sed -n 2p "$d/ref")
		digest=${ref#layer-}
		[ "$digest" != "$ref" ] && [ -s "$d/data" ] || continue
		cp "$IMG_TMP/img/oci/blobs/sha256/${digest#sha256:}" "$d/data"
		break
	done
	[ -n "${digest:-}" ] && [ "$digest" != "${ref:-}" ] || fail_with "no layer ingest on disk"
	start_berthd
	fake_start ok "$IMG_TMP/img/oci"
	run bctl pull "$FAKE/whole/img:1"
	[ "$status" -eq 0 ] || fail_with "pull: $output"
	run grep -c "^GET /v2/whole/img/blobs/$digest" "$FAKE_LOG"
	[ "$output" = 0 ] || fail_with "$digest was fetched again: $(cat "$FAKE_LOG")"
	run ctr -a "$SOCK" content ls -q
	[[ "$output" == *"$digest"* ]] || fail_with "$digest not committed: $output"
}

@test "registry: on a terminal the per-blob lines are redrawn in place; plain output has one line per state" {
	command -v script >/dev/null || skip "needs script (util-linux)"
	reg_start plain
	skopeo_push "$IMG_TMP/img/oci:latest" "$REG/tty/img:1"
	run script -qec "'$BERTHCTL' -a '$SOCK' -n tty pull '$REG/tty/img:1'" /dev/null
	[ "$status" -eq 0 ] || fail_with "pull on a pty: $output"
	# cursor up + erase line: a blob's line rewritten where it is
	[[ "$output" == *$'\e['[0-9]*$'A\r\e[2K'* ]] || fail_with "no in-place redraw: $(printf %q "$output")"
	# the same pull again on an empty store, not on a terminal
	stop_berthd
	rm -rf "$T/root"
	start_berthd
	run bctl -n plain pull "$REG/tty/img:1"
	[ "$status" -eq 0 ]
	[[ "$output" != *$'\e'* ]] || fail_with "escape sequences in plain output"
	# each blob: waiting, downloading, done, each once
	local n
	n=$(grep -c ': done ' <<<"$output")
	[ "$n" -eq 5 ] || fail_with "expected 5 'done' lines (config, 3 layers, manifest), got $n"
	[ "$(sort <<<"$output" | uniq -d | wc -l)" -eq 0 ] || fail_with "repeated lines: $output"
}

@test "registry: mirrors from berthd.json are tried first, then the registry itself" {
	reg_start mirror
	local mirror=$REG mirror_dir=$REG_DIR up_port
	skopeo_push "$IMG_TMP/img/oci:latest" "$mirror/mir/img:1"
	# an upstream that is not there at all: the mirror alone serves it
	up_port=$(free_port 127.0.0.2)
	stop_berthd
	cat >"$T/berthd.json" <<JSON
{"registry_certs_dir": "$T/certs.d",
 "registry_mirrors": {"127.0.0.2:$up_port": ["http://$mirror"],
                      "$mirror": ["http://127.0.0.1:$(free_port)"]}}
JSON
	start_berthd
	run bctl pull "127.0.0.2:$up_port/mir/img:1"
	[ "$status" -eq 0 ] || fail_with "pull through the mirror: $output"
	local want
	want=$(jq -r '.manifests[0].digest' "$IMG_TMP/img/oci/index.json")
	run ctr -a "$SOCK" content ls
	[[ "$(grep "^$want" <<<"$output")" == *"containerd.io/distribution.source.127.0.0.2:$up_port=mir/img"* ]] ||
		fail_with "the label does not name the registry: $output"
	# a mirror that is not there: the registry itself answers
	run bctl -n up pull "$mirror/mir/img:1"
	[ "$status" -eq 0 ] || fail_with "fallback to the registry: $output"
	# neither: the error names both
	run bctl -n none pull "127.0.0.2:$up_port/mir/nothing:1"
	[ "$status" -ne 0 ]
	[[ "$output" == *"mirror 'http://$mirror': "*"HTTP 404"*"registry: manifest '127.0.0.2:$up_port/mir/nothing'"* ]] ||
		fail_with "$output"
	# a bad mirror entry is refused at start, naming it
	stop_berthd
	echo '{"registry_mirrors": {"docker.io": ["ftp://x"]}}' >"$T/berthd.json"
	run "$BERTHD" --root "$T/root" --state "$T/state" -a "$SOCK" -c "$T/berthd.json"
	[ "$status" -ne 0 ]
	[[ "$output" == *"registry_mirrors.docker.io[0]: want an http:// or https:// URL"* ]] || fail_with "$output"
}

@test "registry: two pulls of the same image at once both succeed (the second waits for the first's blobs)" {
	fake_start stall "$IMG_TMP/img/oci"
	local stall=$FAKE
	# the first pull holds every blob's ingest, half written, on a registry that stalls
	# (berthctl itself in the background, not a function's subshell: it is killed below)
	"$BERTHCTL" -a "$SOCK" -n one pull --timeout 60 "$stall/two/img:1" >"$T/one.out" 2>&1 3>&- &
	local one=$!
	wait_for_half() {
		ctr -a "$SOCK" -n one content active 2>/dev/null | awk 'NR > 1 && $2 ~ /kB|KiB|MB|MiB/' | grep -q .
	}
	wait_for wait_for_half || fail_with "no partial ingest"
	# a second pull of the same blobs from a healthy registry, while the first holds them
	fake_start ok "$IMG_TMP/img/oci"
	bctl -n one pull --timeout 5 "$FAKE/two/img:1" >"$T/two.out" 2>&1 &
	local two=$!
	sleep 1
	kill -0 "$two" 2>/dev/null || fail_with "the second pull did not wait: $(cat "$T/two.out")"
	# the first pull is cancelled: its ingests are released, the second takes them over
	kill "$one"
	wait "$one" || true
	wait "$two" || fail_with "second pull: $(cat "$T/two.out")"
	run ctr -a "$SOCK" -n one images check
	[[ "$output" == *complete* ]] || fail_with "$output"
}
