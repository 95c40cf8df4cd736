# mk/tests-systemd.mk - unit tests of runtime/lib/cgroup/dbus.c and the pure part of
# runtime/lib/cgroup/cgroup_systemd.c (the systemd cgroup driver), linked with the cgroup
# objects it uses (not libberth-runtime.a, so they build while other runtime/lib files
# are half-written). The integration tests, tests/integration/runtime/systemd-cgroup.bats,
# boot a private systemd through tests/helpers/systemd-ns.sh (util-linux's unshare and
# nsenter, /lib/systemd/systemd, systemctl) unless the host runs systemd.
SYSTEMD_TEST_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard runtime/lib/cgroup/*.c))
$(eval $(call unit_test,test_dbus,$(SYSTEMD_TEST_OBJS) $(LIBSPEC) $(LIBCOMMON),$(call pkg_libs,json-c libseccomp libcap)))
DEB_EXTRA += systemd util-linux
