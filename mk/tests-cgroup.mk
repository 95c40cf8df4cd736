# mk/tests-cgroup.mk - unit tests of runtime/lib/cgroup/ (cgroup*.c) and seccomp.c (run as root).
#
# They link the module's own objects rather than libberth-runtime.a, so they
# build while other runtime/lib files are half-written (the folder's dbus.o: for cgroup_systemd.c).
CGROUP_TEST_OBJS  := $(patsubst %.c,$(BUILD)/%.o,$(wildcard runtime/lib/cgroup/*.c))
SECCOMP_TEST_OBJS := $(BUILD)/runtime/lib/seccomp.o
$(eval $(call unit_test,test_cgroup,$(CGROUP_TEST_OBJS) $(LIBSPEC) $(LIBCOMMON),$(call pkg_libs,json-c libseccomp libcap)))
$(eval $(call unit_test,test_seccomp,$(SECCOMP_TEST_OBJS) $(LIBSPEC) $(LIBCOMMON),$(call pkg_libs,json-c libseccomp libcap)))
TEST_BINS += $(filter-out $(TEST_BINS),$(UNIT_TESTS))
