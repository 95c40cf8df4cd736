# mk/tests-events.mk - unit tests of runtime/lib/events.c and update.c (durations, memory
# sizes, what `update` applies and how it merges into the stored config).
$(eval $(call unit_test,test_events,$(LIBRUNTIME) $(LIBSPEC) $(LIBCOMMON),$(call pkg_libs,json-c libseccomp libcap)))
TEST_BINS += $(filter-out $(TEST_BINS),$(UNIT_TESTS))
