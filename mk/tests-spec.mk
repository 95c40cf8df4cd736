# mk/tests-spec.mk - unit tests of spec/ (parser, mount options, serializer, generators).
$(eval $(call unit_test,test_spec,$(LIBSPEC) $(LIBCOMMON),$(call pkg_libs,json-c)))
$(eval $(call unit_test,test_spec_errors,$(LIBSPEC) $(LIBCOMMON),$(call pkg_libs,json-c)))
$(eval $(call unit_test,test_spec_mountopt,$(LIBSPEC) $(LIBCOMMON),$(call pkg_libs,json-c)))
# test_spec finds its fixtures through $BERTH_TOP (tests/run.sh), else at this absolute path
CFLAGS_tests/unit/test_spec.c := -DSPEC_FIXTURES='"$(CURDIR)/tests/fixtures/spec"'
TEST_BINS += $(filter-out $(TEST_BINS),$(UNIT_TESTS))
