# mk/tests-conformance.mk - `make conformance`: the OCI runtime-tools validation suite
# (the OCI runtime conformance tests) against build/berth, through tests/conformance/run.sh,
# which fails only on failures not listed in tests/conformance/expected-failures.txt.
# The suite is built once in $(BUILD)/conformance (Debian Go packages and source tarball).
# Not part of `make check`. CONFORMANCE_RUNTIME=runc compares with another runtime.
#
# podman: the compat tests (tests/compat/runtime-podman.bats) run berth under it.

DEB_EXTRA += podman

CONFORMANCE_RUNTIME ?= $(BUILD)/berth

.PHONY: conformance
conformance: $(BUILD)/berth
	BUILD=$(BUILD) tests/conformance/run.sh $(CONFORMANCE_RUNTIME)
