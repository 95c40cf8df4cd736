# mk/tests-runtime-core.mk - unit tests of the runtime core (runtime/lib state, signals,
# pidstat, sync, process helpers; runtime/cli flag parser). The flag parser lives in the
# berth binary's sources, so its object is linked in directly.
$(eval $(call unit_test,test_rt_core,$(BUILD)/runtime/cli/flags.o $(LIBRUNTIME) $(LIBSPEC) $(LIBCOMMON),$(call pkg_libs,json-c libseccomp libcap)))
TEST_BINS += $(filter-out $(TEST_BINS),$(UNIT_TESTS))
