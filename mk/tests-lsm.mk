# mk/tests-lsm.mk - unit tests of runtime/lib/lsm (AppArmor/SELinux process labels).
$(eval $(call unit_test,test_lsm,$(LIBRUNTIME) $(LIBSPEC) $(LIBCOMMON),$(call pkg_libs,json-c libseccomp libcap)))
TEST_BINS += $(filter-out $(TEST_BINS),$(UNIT_TESTS))
