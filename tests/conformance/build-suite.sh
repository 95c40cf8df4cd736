#!/bin/bash
# tests/conformance/build-suite.sh SRCDIR - builds the OCI runtime-tools validation suite
# (the OCI runtime conformance tests) into SRCDIR, offline, from Debian's packages:
#
#  - the source: Debian's source package golang-github-opencontainers-runtime-tools,
#    upstream 0.9.0.109.ge931285 (Debian 12's binary package -dev ships neither
#    validation/ nor cmd/). $RT_ORIG_TARBALL names a local copy of its .orig.tar.xz;
#    otherwise it is fetched once from the pool of the Debian archive apt uses and
#    checked against its sha256 (cached in $RT_WORK/dl).
#  - Go and the libraries: Debian's golang-go and golang-*-dev packages (mk/deps.mk),
#    built in GOPATH mode against /usr/share/gocode with no module proxy.
#  - github.com/mndrix/tap-go, which Debian does not package: our own TAP writer,
#    tests/conformance/tap-go/tap.go, is put at that import path.
#
# Results in SRCDIR: runtimetest (static: it runs inside the test containers),
# validation/<name>/<name>.t (one program per test) and the rootfs tarballs the tests
# unpack; SRCDIR/.built marks a complete build. Exit 0 on success, 3 on failure (with
# what failed on stderr).
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=${1:?usage: build-suite.sh SRCDIR}
work=${RT_WORK:?RT_WORK not set}

version=0.9.0.109.ge931285
orig=golang-github-opencontainers-runtime-tools_$version.orig.tar.xz
orig_sha256=203989a1ea98cf2aaced79155bbda09270b20db19b03376dde91ab12e5e6a0fe
pkgs="golang-go golang-github-blang-semver-dev golang-github-google-uuid-dev
	golang-github-hashicorp-go-multierror-dev golang-github-mrunalp-fileutils-dev
	golang-github-opencontainers-selinux-dev golang-github-opencontainers-specs-dev
	golang-github-sirupsen-logrus-dev golang-github-stretchr-testify-dev
	golang-github-urfave-cli-dev golang-github-xeipuuv-gojsonschema-dev
	golang-gocapability-dev golang-golang-x-sys-dev golang-gopkg-yaml.v2-dev
	curl xz-utils"

fail() {
	echo "build-suite: $*" >&2
	exit 3
}

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] || fail "Debian packages missing:$missing (run 'make deps')"

# the source tarball, checked
tarball=${RT_ORIG_TARBALL:-$work/dl/$orig}
if ! echo "$orig_sha256  $tarball" | sha256sum -c --status 2>/dev/null; then
	[ -z "${RT_ORIG_TARBALL:-}" ] || fail "'$RT_ORIG_TARBALL': not the Debian tarball $orig (sha256 differs)"
	mirror=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -m1 '/debian/\?$')
	[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $2 ~ /\/debian\/?$/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
	[ -n "$mirror" ] || fail "no Debian mirror in apt's sources to fetch '$orig' from (set RT_ORIG_TARBALL)"
	url=${mirror%/}/pool/main/g/golang-github-opencontainers-runtime-tools/$orig
	mkdir -p "$work/dl"
	echo "build-suite: fetching $url" >&2
	curl -fsSL -o "$tarball.part" "$url" || fail "fetch '$url' failed"
	echo "$orig_sha256  $tarball.part" | sha256sum -c --status || fail "'$url': sha256 differs from $orig_sha256"
	mv "$tarball.part" "$tarball"
fi

rm -rf "$src"
mkdir -p "$src" || fail "mkdir '$src' failed"
tar -xJf "$tarball" -C "$src" --strip-components=1 || fail "unpack '$tarball' failed"

# GOPATH: the suite at its import path, tap-go beside it, Debian's libraries after
gopath=$work/gopath
rm -rf "$gopath"
mkdir -p "$gopath/src/github.com/opencontainers" "$gopath/src/github.com/mndrix/tap-go"
ln -s "$src" "$gopath/src/github.com/opencontainers/runtime-tools"
cp "$here/tap-go/tap.go" "$gopath/src/github.com/mndrix/tap-go/" || fail "copy tap.go failed"

export GOPATH=$gopath:/usr/share/gocode GO111MODULE=off GOPROXY=off GOFLAGS=
export GOCACHE=$work/gocache
cd "$gopath/src/github.com/opencontainers/runtime-tools" || fail "cd into the suite failed"
go build -tags "netgo osusergo" -ldflags "-extldflags -static" -o runtimetest ./cmd/runtimetest ||
	fail "go build runtimetest failed"
n=0
for dir in validation/*/; do
	name=$(basename "$dir")
	[ "$name" != util ] && [ -f "$dir$name.go" ] || continue
	go build -o "$dir$name.t" "./$dir$name.go" || fail "go build '$dir$name.go' failed"
	n=$((n + 1))
done
[ "$n" -gt 0 ] || fail "no test program found under validation/"
touch "$src/.built"
echo "build-suite: $n test programs and runtimetest built in $src" >&2
