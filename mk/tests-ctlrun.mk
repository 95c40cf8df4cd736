# mk/tests-ctlrun.mk - unit tests of berthctl run's spec building (supervisor/ctl/spec.c) and --user resolution (user.c):
# sizes, env merging, entrypoint/cmd, user, workdir, limits, cgroups path. The end-to-end
# tests are tests/integration/supervisor/berthctl-run.bats.
CFLAGS_tests/unit/test_ctl_spec.c = $(SUPERVISOR_PB_CFLAGS)
$(eval $(call unit_test,test_ctl_spec,$(BUILD)/supervisor/ctl/spec.o $(BUILD)/supervisor/ctl/user.o $(BUILD)/supervisor/ctl/spec_flags.o $(LIBSPEC) $(LIBCOMMON),$(call pkg_libs,json-c)))
