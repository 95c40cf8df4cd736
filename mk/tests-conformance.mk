# mk/tests-conformance.mk - `make conformance`: the OCI runtime-tools validation suite
# (the OCI runtime conformance tests) against build/berth, through tests/conformance/run.sh,
# which fails only on failures not listed in tests/conformance/expected-failures.txt.
# The suite is built once in $(BUILD)/conformance by tests/conformance/build-suite.sh
# (Debian's Go packages and source tarball).
# `make check` runs it too (tests/run.sh suite `conformance`: one TAP line per test binary).
# CONFORMANCE_RUNTIME=runc compares with another runtime.
#
# podman: the compat tests (tests/compat/runtime-podman.bats) run berth under it.
# The rest is what tests/conformance/build-suite.sh needs to build the suite offline
# (Debian's Go and the golang-*-dev libraries the suite imports) and to fetch the Debian
# source tarball once from the apt mirror (curl, xz-utils).

DEB_EXTRA += podman
DEB_EXTRA += curl xz-utils golang-go golang-github-blang-semver-dev \
	golang-github-google-uuid-dev golang-github-hashicorp-go-multierror-dev \
	golang-github-mrunalp-fileutils-dev golang-github-opencontainers-selinux-dev \
	golang-github-opencontainers-specs-dev golang-github-sirupsen-logrus-dev \
	golang-github-stretchr-testify-dev golang-github-urfave-cli-dev \
	golang-github-xeipuuv-gojsonschema-dev golang-gocapability-dev golang-golang-x-sys-dev \
	golang-gopkg-yaml.v2-dev

CONFORMANCE_RUNTIME ?= $(BUILD)/berth

.PHONY: conformance
conformance: $(BUILD)/berth
	BUILD=$(BUILD) tests/conformance/run.sh $(CONFORMANCE_RUNTIME)

# the same as a tests/run.sh suite: one TAP line per test binary, expected failures skipped
.PHONY: check-conformance
check-conformance: $(BUILD)/berth
	BUILD=$(BUILD) tests/run.sh conformance
